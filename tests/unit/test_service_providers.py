"""The pipeline with fakes, on the provider paths: routing, order, batches, the payment write."""

from __future__ import annotations

import json
from typing import Any

from tests.provider_signing import (
    ADYEN_HMAC_KEY,
    STRIPE_SECRET,
    adyen_event,
    adyen_item,
    sample,
    stripe_event,
    stripe_payment,
)
from webhook.errors import WebhookError
from webhook.payments import PaymentEvent
from webhook.service import Dependencies, WebhookService
from webhook.storage import StoredEvent, WriteResult

NOW = 1_767_268_800.0


class Keys:
    def __init__(self, *keys: bytes) -> None:
        self._keys = keys
        self.calls = 0

    def keys(self) -> tuple[bytes, ...]:
        self.calls += 1
        return self._keys


class Store:
    """Like DynamoTransactionStore: ``write`` tells when a duplicate was first stored."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.items: dict[tuple[str, str], StoredEvent] = {}
        self.calls = 0
        self.fail_at = fail_at
        self.log: list[str] = []

    def write(self, event: StoredEvent) -> WriteResult:
        self.calls += 1
        if self.calls == self.fail_at:
            raise WebhookError(503, "storage_unavailable", "storage is temporarily unavailable")
        key = (event.transaction.transaction_id, event.event_id)
        self.log.append(f"event {event.event_id}")
        if key in self.items:
            return WriteResult(False, self.items[key].processed_at)
        self.items[key] = event
        return WriteResult(True, event.processed_at)


class Payments:
    def __init__(self, log: list[str], error: Exception | None = None) -> None:
        self.applied: list[PaymentEvent] = []
        self.log = log
        self.error = error

    def apply(self, event: PaymentEvent, updated_at: str) -> bool:
        self.log.append(f"payment {event.event_id}")
        if self.error:
            raise self.error
        self.applied.append(event)
        return True


class Harness:
    def __init__(self, *, enabled: frozenset[str] = frozenset({"standard", "stripe", "adyen"}), **kw: Any) -> None:
        self.store = kw.get("store", Store())
        self.payments = kw["payments"] if "payments" in kw else Payments(self.store.log)
        self.stripe = Keys(STRIPE_SECRET.encode())
        self.adyen = Keys(bytes.fromhex(ADYEN_HMAC_KEY))
        self.lines: list[str] = []
        deps = Dependencies(
            kw.get("standard"),
            self.store,
            300,
            provider_secrets={"stripe": self.stripe, "adyen": self.adyen},
            payments=self.payments,
        )
        self.clock = [NOW]
        self.service = WebhookService(
            lambda: deps, clock=lambda: self.clock[0], log=self.lines.append, enabled=lambda p: p in enabled
        )

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = self.service.handle(event, None)
        return response


def code(response: dict[str, Any]) -> tuple[int, str]:
    return response["statusCode"], json.loads(response["body"])["error"]["code"]


def test_routing_404_before_anything_else() -> None:
    h = Harness(enabled=frozenset({"standard", "adyen"}))
    assert code(h(stripe_event(stripe_payment(), method="GET", timestamp=int(NOW)))) == (404, "unknown_provider")
    assert code(h(stripe_event(stripe_payment(), path="/x", method="GET"))) == (404, "unknown_provider")
    assert h.stripe.calls == 0 and h.store.calls == 0
    assert json.loads(h.lines[-1])["outcome"] == "rejected"


def test_standard_without_secret_is_500_configuration_error() -> None:
    h = Harness()
    event = stripe_event(stripe_payment(), path="/", timestamp=int(NOW))
    assert code(h(event)) == (500, "configuration_error")


def test_stripe_event_is_stored_then_applied_then_answered() -> None:
    h = Harness()
    response = h(stripe_event(stripe_payment(), timestamp=int(NOW)))
    assert json.loads(response["body"])["status"] == "accepted"
    assert h.store.log == ["event evt_test_0001", "payment evt_test_0001"]
    (applied,) = h.payments.applied
    assert (applied.status, applied.provider_status, applied.provider) == (
        "succeeded",
        "payment_intent.succeeded",
        "stripe",
    )
    assert applied.event_time == "2026-01-01T12:00:00.000Z"
    (stored,) = h.store.items.values()
    assert stored.amount_minor == 2000 and stored.success is None
    assert stored.to_item()["amountMinor"] == {"N": "2000"}


def test_payment_failure_is_5xx_after_the_event_is_stored() -> None:
    h = Harness()
    h.payments.error = WebhookError(500, "storage_error", "the payment status could not be stored")
    assert code(h(stripe_event(stripe_payment(), timestamp=int(NOW)))) == (500, "storage_error")
    assert len(h.store.items) == 1


def test_ignored_event_writes_nothing_and_logs_ignored() -> None:
    h = Harness()
    event = sample("stripe_customer_created.json")
    response = h(stripe_event(event, timestamp=int(NOW)))
    assert json.loads(response["body"]) == {"status": "ignored", "eventId": event["id"]}
    assert h.store.calls == 0 and h.payments.applied == []
    line = json.loads(h.lines[-1])
    assert (line["outcome"], line["eventId"], line["provider"]) == ("ignored", event["id"], "stripe")


def test_adyen_batch_stores_and_applies_each_item_in_order() -> None:
    h = Harness()
    response = h(adyen_event([adyen_item(), adyen_item(pspReference="P2", eventCode="CAPTURE")]))
    assert response["body"] == "[accepted]"
    assert h.store.log == [
        "event AUTHORISATION:QFQTPCQ8HXSKGK82:true",
        "payment AUTHORISATION:QFQTPCQ8HXSKGK82:true",
        "event CAPTURE:P2:true",
        "payment CAPTURE:P2:true",
    ]
    assert [p.status for p in h.payments.applied] == ["authorized", "succeeded"]
    assert all(e.success is True for e in h.store.items.values())
    assert json.loads(h.lines[-1])["events"] == 2


def test_adyen_failure_midway_is_5xx_never_accepted() -> None:
    h = Harness(store=Store(fail_at=2))
    response = h(adyen_event([adyen_item(), adyen_item(pspReference="P2"), adyen_item(pspReference="P3")]))
    assert code(response) == (503, "storage_unavailable")
    assert len(h.store.items) == 1


def test_duplicate_uses_the_first_processing_time_as_event_time() -> None:
    h = Harness()
    item = adyen_item(eventDate=None)
    h(adyen_event([item]))
    h.clock[0] += 7
    h(adyen_event([item]))
    first, retry = h.payments.applied
    assert first.event_time == retry.event_time == "2026-01-01T12:00:00.000Z"
