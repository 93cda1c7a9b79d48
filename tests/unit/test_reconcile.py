"""The reconciler's Stripe client, page splitting and run, with a fake opener and in-memory stores."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

import pytest

from webhook.payments import PaymentEvent
from webhook.quarantine import QuarantinedEvent
from webhook.reconcile.client import StripeAuthError, StripeError, StripeEventsClient
from webhook.reconcile.page import PageError, parse_page
from webhook.reconcile.run import EVENT_TYPES, Reconciler, list_params
from webhook.reconcile.settings import load_reconcile_settings
from webhook.reconcile.wiring import read_api_key
from webhook.storage import StoredEvent, WriteResult

KEY = "rk_test_51SecretRestrictedKeyValue0123456789"
NOW = 1_767_268_800


class FakeOpener:
    """Answers queued (status, headers, body) or raises queued exceptions; records each request."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.requests: list[urllib.request.Request] = []

    def __call__(self, request: urllib.request.Request, timeout: float) -> tuple[int, Mapping[str, str], bytes]:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        status, headers, body = answer
        return status, headers, body.encode() if isinstance(body, str) else body

    def params(self, index: int) -> list[tuple[str, str]]:
        url = urllib.parse.urlsplit(self.requests[index].full_url)
        return urllib.parse.parse_qsl(url.query, keep_blank_values=True)


def payment(event_id: str, amount: str = "2000", event_type: str = "payment_intent.succeeded") -> str:
    return (
        f'{{\n  "id": "{event_id}",\n  "object": "event",\n  "type": "{event_type}",\n  "created": 1767268000,\n'
        f'  "data": {{"object": {{"id": "pi_{event_id}", "object": "payment_intent",'
        f' "amount": {amount}, "currency": "usd",'
        ' "fee": 0.10000000000000000001}}\n}'
    )


def page(*events: str, has_more: bool = False) -> str:
    return '{{"object": "list", "url": "/v1/events", "has_more": {}, "data": [{}]}}'.format(
        "true" if has_more else "false",
        ",\n ".join(events),
    )


def client(opener: FakeOpener, sleeps: list[float] | None = None, **kwargs: Any) -> StripeEventsClient:
    return StripeEventsClient(
        KEY,
        api_base="https://stripe.test",
        opener=opener,
        sleep=(sleeps if sleeps is not None else []).append,
        **kwargs,
    )


# --- client ------------------------------------------------------------------------------------


def test_request_url_params_and_headers() -> None:
    opener = FakeOpener((200, {}, page()))
    client(opener, api_version="2024-06-20").list_events(list_params(NOW - 2_592_000, None))
    (request,) = opener.requests
    assert request.get_method() == "GET"
    assert request.full_url.startswith("https://stripe.test/v1/events?")
    assert request.get_header("Authorization") == f"Bearer {KEY}"
    assert request.get_header("Stripe-version") == "2024-06-20"
    assert opener.params(0) == [
        ("delivery_success", "false"),
        ("created[gte]", str(NOW - 2_592_000)),
        *[("types[]", t) for t in EVENT_TYPES],
        ("limit", "100"),
    ]


def test_event_types_are_the_seven_the_status_map_maps() -> None:
    from webhook.status_map import map_status

    assert len(EVENT_TYPES) == 7
    for event_type in EVENT_TYPES:
        assert map_status("stripe", event_type, success=None, amount_minor=100, amount_refunded_minor=50) != "unknown"


def test_no_version_header_when_unset() -> None:
    opener = FakeOpener((200, {}, page()))
    client(opener).list_events([])
    assert opener.requests[0].get_header("Stripe-version") is None


def test_retries_429_5xx_and_network_errors_with_backoff_honouring_retry_after() -> None:
    opener = FakeOpener((429, {"Retry-After": "7"}, "{}"), (503, {}, "{}"), OSError("reset"), (200, {}, page()))
    sleeps: list[float] = []
    assert client(opener, sleeps).list_events([]) == page()
    assert sleeps == [7.0, 2.0, 4.0]
    assert len(opener.requests) == 4


def test_persistent_failure_raises_after_bounded_attempts() -> None:
    opener = FakeOpener(*[(500, {}, "{}")] * 4)
    sleeps: list[float] = []
    with pytest.raises(StripeError, match="after 4 attempts: HTTP 500") as info:
        client(opener, sleeps).list_events([])
    assert len(opener.requests) == 4 and sleeps == [1.0, 2.0, 4.0]
    assert KEY not in str(info.value)


@pytest.mark.parametrize("status", [401, 403])
def test_refused_key_fails_at_once_naming_the_status_not_the_key(status: int) -> None:
    opener = FakeOpener((status, {}, f'{{"error": {{"message": "Invalid API Key provided: {KEY}"}}}}'))
    with pytest.raises(StripeAuthError) as info:
        client(opener).list_events([])
    assert str(status) in str(info.value) and KEY not in str(info.value) and "rk_" not in str(info.value)
    assert len(opener.requests) == 1
    assert KEY not in repr(client(opener))


def test_other_4xx_is_not_retried() -> None:
    opener = FakeOpener((400, {}, "{}"))
    with pytest.raises(StripeError, match="HTTP 400"):
        client(opener).list_events([])
    assert len(opener.requests) == 1


# --- page --------------------------------------------------------------------------------------


def test_page_events_are_their_exact_text() -> None:
    one, two = payment("evt_1", "1999"), payment("evt_2", "12345678901234567890")
    parsed = parse_page(page(one, two, has_more=True))
    assert parsed.has_more is True
    assert [(e.event_id, e.text) for e in parsed.events] == [("evt_1", one), ("evt_2", two)]


@pytest.mark.parametrize("text", ["[]", "{}", '{"data": {}}', "not json", '{"data": [], "data": []}'])
def test_not_an_events_list(text: str) -> None:
    with pytest.raises(PageError):
        parse_page(text)


# --- run ---------------------------------------------------------------------------------------


class MemoryStore:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], StoredEvent] = {}

    def write(self, event: StoredEvent) -> WriteResult:
        key = (event.transaction.transaction_id, event.event_id)
        if key in self.items:
            return WriteResult(False, self.items[key].processed_at)
        self.items[key] = event
        return WriteResult(True, event.processed_at)


class MemoryPayments:
    def __init__(self) -> None:
        self.events: list[PaymentEvent] = []

    def apply(self, event: PaymentEvent, updated_at: str) -> bool:
        self.events.append(event)
        return True


class MemoryQuarantine:
    def __init__(self) -> None:
        self.kept: list[QuarantinedEvent] = []

    def put(self, event: QuarantinedEvent) -> None:
        self.kept.append(event)


def reconciler(opener: FakeOpener, store: MemoryStore, quarantine: MemoryQuarantine | None = None) -> Reconciler:
    return Reconciler(
        client(opener),
        store,
        MemoryPayments(),
        quarantine=quarantine,
        lookback_seconds=3600,
        clock=lambda: float(NOW),
    )


def test_run_pages_with_starting_after_and_counts() -> None:
    ignored = '{"id": "evt_c", "type": "customer.created", "created": 1, "data": {"object": {"id": "cus_1"}}}'
    refused = payment("evt_bad", "19.99")
    opener = FakeOpener(
        (200, {}, page(payment("evt_1"), ignored, has_more=True)),
        (200, {}, page(refused, payment("evt_1"), payment("evt_2"))),
    )
    store, quarantine = MemoryStore(), MemoryQuarantine()
    counts = reconciler(opener, store, quarantine).run()
    assert counts.as_dict() == {"listed": 5, "stored": 2, "duplicates": 1, "ignored": 1, "refused": 1}
    assert opener.params(0)[-1] == ("limit", "100")
    assert opener.params(1)[-1] == ("starting_after", "evt_c")
    assert ("created[gte]", str(NOW - 3600)) in opener.params(1)
    stored = store.items[("pi_evt_1", "evt_1")]
    assert stored.raw_event == payment("evt_1") and stored.received_via == "api"
    (copy,) = quarantine.kept
    assert (copy.event_id, copy.provider, copy.path, copy.reason_code) == (
        "evt_bad",
        "stripe",
        "/stripe",
        "invalid_field",
    )
    assert copy.body == refused.encode()


def test_page_stored_before_the_next_is_requested_and_a_failure_keeps_it() -> None:
    store = MemoryStore()

    class Watching(FakeOpener):
        def __call__(self, request: urllib.request.Request, timeout: float) -> Any:
            if self.requests:
                assert list(store.items) == [("pi_evt_1", "evt_1")]  # page 1 already stored
            return super().__call__(request, timeout)

    opener = Watching((200, {}, page(payment("evt_1"), has_more=True)), *[(502, {}, "")] * 4)
    with pytest.raises(StripeError):
        reconciler(opener, store).run()
    assert list(store.items) == [("pi_evt_1", "evt_1")]


# --- settings and key --------------------------------------------------------------------------


def test_settings_defaults_and_errors() -> None:
    env = {"TABLE_NAME": "t", "STRIPE_API_KEY_PARAM": "/p"}
    settings = load_reconcile_settings(env)
    assert (settings.api_base, settings.api_version, settings.lookback_seconds) == (
        "https://api.stripe.com",
        None,
        2_592_000,
    )
    assert settings.storage.table_name == "t"
    custom = load_reconcile_settings(
        {**env, "STRIPE_API_BASE": "http://127.0.0.1:1", "RECONCILE_LOOKBACK_SECONDS": "60", "STRIPE_API_VERSION": "v"}
    )
    assert (custom.api_base, custom.api_version, custom.lookback_seconds) == ("http://127.0.0.1:1", "v", 60)
    from webhook.config import ConfigError

    for bad in ({"TABLE_NAME": "t"}, {**env, "RECONCILE_LOOKBACK_SECONDS": "x"}, {**env, "STRIPE_API_BASE": "ftp://x"}):
        with pytest.raises(ConfigError):
            load_reconcile_settings(bad)


def test_api_key_read_with_decryption_and_errors_never_carry_it() -> None:
    calls: list[dict[str, Any]] = []

    class Ssm:
        def get_parameter(self, **kwargs: Any) -> Any:
            calls.append(kwargs)
            return {"Parameter": {"Value": KEY + "\n"}}

    assert read_api_key(Ssm(), "/p") == KEY
    assert calls == [{"Name": "/p", "WithDecryption": True}]

    class Missing:
        def get_parameter(self, **kwargs: Any) -> Any:
            raise type("ClientError", (Exception,), {"response": {"Error": {"Code": "ParameterNotFound"}}})(KEY)

    class Placeholder:
        def get_parameter(self, **kwargs: Any) -> Any:
            return {"Parameter": {"Value": "unset"}}

    with pytest.raises(StripeError, match="holds no key yet"):
        read_api_key(Placeholder(), "/p")

    with pytest.raises(StripeError, match="ParameterNotFound") as info:
        read_api_key(Missing(), "/p")
    assert KEY not in str(info.value)


def test_page_numbers_never_become_floats() -> None:
    text = page(payment("evt_1", "12345678901234567890"))
    assert "0.10000000000000000001" in parse_page(text).events[0].text
    assert json.loads(parse_page(text).events[0].text)["id"] == "evt_1"
