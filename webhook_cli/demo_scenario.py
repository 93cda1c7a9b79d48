"""What `make demo` sends: each provider's deliveries of three payments, out of order, and what each must answer."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from webhook_cli import events, signing
from webhook_cli.transport import Answer

CET = timezone(timedelta(hours=1))


@dataclass(frozen=True)
class Step:
    title: str
    delivery: signing.Delivery
    expect_code: int = 200
    expect: str | None = "accepted"  # the body's "status" of a 2xx JSON answer, or the whole body ("[accepted]")
    note: str = ""


@dataclass(frozen=True)
class Payments:
    """The demo's payments and the status each must end in (behaviour.md, "Payment status")."""

    standard: str
    stripe: str
    adyen: str

    def expected(self, providers: set[str]) -> dict[str, str]:
        """The final status of each payment whose provider was delivered to."""
        final = {"standard": (self.standard, "succeeded"), "stripe": (self.stripe, "refunded")}
        final["adyen"] = (self.adyen, "succeeded")  # CAPTURE, later than the AUTHORISATION
        return dict(pair for provider, pair in final.items() if provider in providers)


def new_payments() -> Payments:
    run = events.new_event_id()[4:10]
    return Payments(f"tx-demo-{run}", events.stripe_id("pi"), events.adyen_psp_reference())


def steps(values: Mapping[str, str], payments: Payments, now: int, wrong_secret: str) -> list[Step]:
    """Every delivery of the demo, in the order it is sent, each signed as its provider does."""
    standard_secret = [values["WEBHOOK_SECRET"]]
    tx = payments.standard

    def standard(body: bytes, msg_id: str, secret: list[str] = standard_secret, at: int = now) -> signing.Delivery:
        return signing.standard_delivery(body, secret, msg_id, at)

    pending = events.build_payload(tx, "1234567890123456789.01", "usd", "pending", "demo-pay")
    succeeded = events.build_payload(tx, "1234567890123456789.01", "USD", "succeeded", "demo-pay")
    found = [
        Step(
            "Standard Webhooks: a new payment whose amount has more digits than a binary float can hold",
            standard(pending, f"msg_{tx}_1"),
        ),
        Step("Standard Webhooks: the same payment succeeded (a new event of it)", standard(succeeded, f"msg_{tx}_2")),
        Step(
            "The provider re-delivers that event (same webhook-id; fresh timestamp and signature)",
            standard(succeeded, f"msg_{tx}_2"),
            expect="duplicate",
        ),
        Step(
            "A forged request: signed with a secret that is not ours",
            standard(events.build_payload("tx-forged", "1000000", "USD", "succeeded"), "msg_forged", [wrong_secret]),
            401,
            None,
        ),
        Step(
            "A replayed request: correctly signed, but 10 minutes ago",
            standard(events.build_payload("tx-stale", "5.00", "USD", "succeeded"), "msg_stale", at=now - 600),
            401,
            None,
        ),
        Step(
            'A bad amount: "12,50" is not a decimal number (authentic, so it is also quarantined)',
            standard(events.build_payload("tx-bad", '"12,50"', "EUR", "succeeded"), "msg_bad"),
            400,
            None,
        ),
    ]
    if values.get("STRIPE_SECRET"):
        stripe_secret = [values["STRIPE_SECRET"]]
        pi, start = payments.stripe, now - 300

        def stripe(event_type: str, created: int, **kwargs: Any) -> signing.Delivery:
            body = events.stripe_event(event_type, pi, 1999, "usd", created=created, **kwargs)
            return signing.stripe_delivery(body, stripe_secret, now)

        found += [
            Step(
                "Stripe, out of order: the refund (created last, delivered first)",
                stripe("charge.refunded", start + 120),
            ),
            Step("Stripe: the payment succeeded (created second)", stripe("payment_intent.succeeded", start + 60)),
            Step(
                "Stripe: the payment was created (created first, delivered last)",
                stripe("payment_intent.created", start),
            ),
            Step(
                "Stripe: an event that is not a payment (a customer was created)",
                stripe("customer.created", start),
                expect="ignored",
            ),
        ]
    if values.get("ADYEN_HMAC_KEY"):
        key = values["ADYEN_HMAC_KEY"]
        psp, start_at = payments.adyen, datetime.fromtimestamp(now - 300, tz=CET)

        def adyen(code: str, at: datetime) -> signing.Delivery:
            notification = events.adyen_notification(
                code, psp, 1000, "EUR", event_date=events.adyen_event_date(at), merchant_reference=f"order-{psp}"
            )
            return signing.adyen_delivery(notification, key)

        found += [
            Step(
                "Adyen, out of order: the capture (a minute after the authorisation, delivered first)",
                adyen("CAPTURE", start_at + timedelta(minutes=1)),
                expect="[accepted]",
            ),
            Step("Adyen: the authorisation", adyen("AUTHORISATION", start_at), expect="[accepted]"),
        ]
    return found


# --------------------------------------------------------------------------- sending


def answered_as_expected(step: Step, answer: Answer) -> bool:
    if answer.status != step.expect_code:
        return False
    if step.expect is None or not answer.ok:
        return True
    if step.expect == answer.body.strip():
        return True
    try:
        data = json.loads(answer.body)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("status") == step.expect
