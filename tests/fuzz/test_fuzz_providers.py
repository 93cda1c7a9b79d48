"""Authentic deliveries of any shape on /stripe and /adyen: 200 or 400, never a crash.

Bodies are signed correctly (stdlib HMAC, each provider's scheme), so every
request passes verification and exercises the mapping with hostile content:
wrong types, nulls, huge and fractional numbers, missing and duplicated fields.
An accepted delivery stored exactly what the oracle says; a refusal stored
nothing and was quarantined.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.provider_signing import function_url_event
from webhook.exponents import adyen_exponent, from_minor, stripe_exponent
from webhook.quarantine import QuarantinedEvent
from webhook.service import Dependencies, WebhookService
from webhook.storage import StoredEvent, WriteResult

from .conftest import FUZZ_SETTINGS, record

NOW = 1_767_268_800
STRIPE_KEY = b"whsec_fuzz_only_stripe_secret"
ADYEN_KEY = bytes(range(32))


class _Keys:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def keys(self) -> tuple[bytes, ...]:
        return (self._key,)


class Harness:
    def __init__(self) -> None:
        self.stored: list[StoredEvent] = []
        self.quarantined: list[QuarantinedEvent] = []
        self.lines: list[str] = []
        deps = Dependencies(
            None,
            self,  # type: ignore[arg-type]
            300,
            self,  # type: ignore[arg-type]
            provider_secrets={"stripe": _Keys(STRIPE_KEY), "adyen": _Keys(ADYEN_KEY)},
        )
        self.service = WebhookService(lambda: deps, clock=lambda: NOW, log=self.lines.append)

    def put(self, event: QuarantinedEvent) -> None:
        self.quarantined.append(event)

    def write(self, event: StoredEvent) -> WriteResult:
        self.stored.append(event)
        return WriteResult(True, event.processed_at)

    def handle(self, test: str, path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        event = function_url_event(path, body, headers, base64_encoded=True)
        response: dict[str, Any] = self.service.handle(event, None)
        record(test, response["statusCode"])
        assert response["statusCode"] in (200, 400), (response, self.lines)
        if response["statusCode"] == 400:
            assert self.stored == [] and len(self.quarantined) == 1
            assert json.loads(response["body"])["error"]["code"] in ("invalid_json", "invalid_field", "missing_field")
        else:
            assert self.quarantined == []
        return response


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**45), max_value=10**45)
    | st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str).map(Decimal)
    | st.text(max_size=12)
    | st.sampled_from(["usd", "JPY", "kwd", "xyz", "", "pi_123", "evt_1", "pi with space"])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


def dumps(value: Any) -> str:
    return (
        json.dumps(value, default=lambda d: _Raw(str(d)), separators=(",", ":"))
        .replace('"\\u0000RAW', "")
        .replace('RAW\\u0000"', "")
    )


class _Raw(str):
    def __new__(cls, text: str) -> _Raw:
        return str.__new__(cls, f"\x00RAW{text}RAW\x00")


@st.composite
def stripe_bodies(draw: st.DrawFn) -> bytes:
    obj: dict[str, Any] = {}
    for name in ("id", "payment_intent", "amount", "currency", "amount_refunded"):
        if draw(st.booleans()):
            obj[name] = draw(SCALARS)
    if draw(st.booleans()):
        obj["amount"] = draw(st.integers(min_value=-(10**40), max_value=10**40))
        obj["currency"] = draw(st.sampled_from(["usd", "jpy", "kwd", "EUR", "xyz"]))
    event: dict[str, Any] = {"object": "event", "data": {"object": obj} if draw(st.integers(0, 9)) else draw(VALUES)}
    for name, good in (("id", "evt_fuzz"), ("type", "payment_intent.succeeded"), ("created", NOW)):
        if draw(st.integers(0, 4)):
            event[name] = good if draw(st.integers(0, 2)) else draw(SCALARS)
    return dumps(event).encode()


@FUZZ_SETTINGS
@given(body=stripe_bodies())
def test_authentic_stripe_deliveries_of_any_shape(body: bytes) -> None:
    mac = hmac.new(STRIPE_KEY, f"{NOW}.".encode() + body, hashlib.sha256).hexdigest()
    harness = Harness()
    response = harness.handle("authentic /stripe bodies", "/stripe", {"stripe-signature": f"t={NOW},v1={mac}"}, body)
    if response["statusCode"] == 200 and harness.stored:
        (stored,) = harness.stored
        obj = json.loads(body, parse_float=Decimal)["data"]["object"]
        assert type(obj["amount"]) is int and stored.amount_minor == obj["amount"]
        currency = obj["currency"].upper()
        assert stored.transaction.amount == from_minor(obj["amount"], stripe_exponent(currency))


ITEM_FIELDS = ("pspReference", "originalReference", "merchantAccountCode", "merchantReference", "eventCode", "success")


def adyen_sign(item: dict[str, Any]) -> None:
    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    amount = item.get("amount") if isinstance(item.get("amount"), dict) else {}
    fields = [item.get(n) for n in ITEM_FIELDS[:4]] + [amount.get("value"), amount.get("currency")]
    fields += [item.get("eventCode"), item.get("success")]
    payload = ":".join(text(f) for f in fields).encode()
    item["additionalData"] = {
        "hmacSignature": base64.b64encode(hmac.new(ADYEN_KEY, payload, hashlib.sha256).digest()).decode()
    }


STRINGISH = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=16) | st.text(max_size=8)


@st.composite
def adyen_items(draw: st.DrawFn) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for name in ITEM_FIELDS:
        if draw(st.integers(0, 5)):
            item[name] = draw(STRINGISH if name != "success" else st.sampled_from(["true", "false", "TRUE", ""]))
    if draw(st.integers(0, 5)):
        item["amount"] = {
            "value": draw(st.integers(min_value=-(10**40), max_value=10**40) | st.sampled_from([1.5, "100", None])),
            "currency": draw(st.sampled_from(["EUR", "CLP", "CVE", "JPY", "KWD", "eur", "ZZZ", 978])),
        }
    if draw(st.booleans()):
        item["eventDate"] = draw(
            st.sampled_from(["2026-12-01T11:00:00+01:00", "2026-12-01", "soon", "2026-12-01T11:00:00"])
        )
    adyen_sign(item)
    return item


@FUZZ_SETTINGS
@given(items=st.lists(adyen_items(), min_size=1, max_size=3))
def test_authentic_adyen_deliveries_of_any_shape(items: list[dict[str, Any]]) -> None:
    body = json.dumps({"live": "false", "notificationItems": [{"NotificationRequestItem": i} for i in items]}).encode()
    harness = Harness()
    response = harness.handle("authentic /adyen bodies", "/adyen", {"content-type": "application/json"}, body)
    if response["statusCode"] == 200:
        assert response["body"] == "[accepted]" and len(harness.stored) == len(items)
        for item, stored in zip(items, harness.stored, strict=True):
            value, currency = item["amount"]["value"], item["amount"]["currency"].upper()
            assert stored.amount_minor == value and stored.success is (item["success"] == "true")
            assert stored.transaction.amount == from_minor(value, adyen_exponent(currency))
            assert stored.event_id == f"{item['eventCode']}:{item['pspReference']}:{item['success']}"
