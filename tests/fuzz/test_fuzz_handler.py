"""Hostile input: the handler never raises and never answers 2xx to an invalid or unsigned request.

Arbitrary raw Function URL events (methods, headers, bodies, base64 flags, events
that are not even objects), signed-but-garbage payloads, and authentic events
tampered with one change at a time. The oracle for "valid" is written from the
contract (docs/behaviour.md, "Receiving a delivery" and lambda_src/README.md), independently of the
handler's code: a 200 must be a valid payload, stored exactly as sent; a signed
refusal must be a 400 whose body went to the quarantine byte for byte.

``make fuzz`` runs these with large example counts; ``make test`` with a few hundred.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.provider_signing import function_url_event
from webhook.currencies import ISO_4217_CODES
from webhook.quarantine import QuarantinedEvent
from webhook.service import Dependencies, WebhookService
from webhook.signature import decode_secrets, sign
from webhook.storage import StoredEvent, WriteResult

from .conftest import FUZZ_SETTINGS, record

SECRET = "whsec_" + base64.b64encode(b"fuzz-only-webhook-signing-key-32").decode()
KEY = decode_secrets(SECRET)[0]
NOW = 1_767_268_800
TOLERANCE = 300
CLIENT_ERRORS = {400, 401, 404, 405, 413}


class _Keys:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def keys(self) -> tuple[bytes, ...]:
        return (self._key,)


class Harness:
    """The real pipeline with in-memory dependencies that never fail."""

    def __init__(self) -> None:
        self.stored: list[StoredEvent] = []
        self.quarantined: list[QuarantinedEvent] = []
        self.lines: list[str] = []
        provider_keys = {"stripe": _Keys(b"whsec_fuzz_stripe"), "adyen": _Keys(bytes(range(32)))}
        deps = Dependencies(self, self, TOLERANCE, self, provider_secrets=provider_keys)  # type: ignore[arg-type]
        self.service = WebhookService(lambda: deps, clock=lambda: NOW + 0.5, log=self.lines.append)
        self._seen: set[tuple[str, str]] = set()

    def keys(self) -> tuple[bytes, ...]:
        return (KEY,)

    def put(self, event: QuarantinedEvent) -> None:
        self.quarantined.append(event)

    def write(self, event: StoredEvent) -> WriteResult:
        key = (event.transaction.transaction_id, event.event_id)
        if key in self._seen:
            return WriteResult(False, event.processed_at)  # every event of a fuzz run has the same clock
        self._seen.add(key)
        self.stored.append(event)
        return WriteResult(True, event.processed_at)

    def handle(self, test: str, event: Any) -> tuple[int, dict[str, Any]]:
        response = self.service.handle(event, None)  # must never raise
        status = response["statusCode"]
        record(test, status)
        assert response["headers"]["content-type"] == "application/json"
        body = json.loads(response["body"])
        text = response["body"] + "".join(self.lines)
        assert SECRET not in text and SECRET.removeprefix("whsec_") not in text
        assert "Traceback" not in text
        if status >= 400:
            assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
            assert body["error"]["code"] != "internal_error", self.lines  # an exception escaped a check
        return status, body


# --- strategies ---------------------------------------------------------------------------------

HEADER_NAMES = st.sampled_from(
    ["webhook-id", "webhook-timestamp", "webhook-signature", "Webhook-Signature", "WEBHOOK-ID", "content-type"]
) | st.text(max_size=20)
HEADER_VALUES = (
    st.text(max_size=80)
    | st.from_regex(r"(v1|v1a|v2),[A-Za-z0-9+/=]{0,60}( v1,[A-Za-z0-9+/=]{0,50})*", fullmatch=True)
    | st.integers(min_value=NOW - 10_000, max_value=NOW + 10_000).map(str)
    | st.from_regex(r"msg_[A-Za-z0-9]{1,30}", fullmatch=True)
)
ANYTHING = st.none() | st.booleans() | st.integers() | st.text(max_size=10) | st.lists(st.integers(), max_size=3)
METHODS = st.sampled_from(["POST", "GET", "PUT", "post", "DELETE", "OPTIONS", "HEAD", ""]) | ANYTHING
BODIES = (
    st.none()
    | st.text(max_size=1500)
    | st.binary(max_size=1500).map(lambda b: base64.b64encode(b).decode())
    | st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789+/=%-_ \n", max_size=200)
    | st.integers(256 * 1024 - 2, 256 * 1024 + 2).map(lambda n: "x" * n)  # around the 413 limit
    | st.integers(256 * 1024 - 2, 256 * 1024 + 2).map(lambda n: base64.b64encode(b"\0" * n).decode())
    | ANYTHING
)


@st.composite
def raw_events(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 19)) == 0:
        return draw(ANYTHING | st.dictionaries(st.text(max_size=5), ANYTHING, max_size=3))
    event: dict[str, Any] = {"version": "2.0", "rawPath": "/"}
    http = {"method": "POST" if draw(st.integers(0, 9)) < 7 else draw(METHODS), "path": "/"}
    choice = draw(st.integers(0, 9))
    event["requestContext"] = {"http": http} if choice else draw(ANYTHING)
    event["headers"] = draw(st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=6) | ANYTHING)
    if draw(st.booleans()):
        event["body"] = draw(BODIES)
    if draw(st.booleans()):
        event["isBase64Encoded"] = draw(st.booleans() | ANYTHING | st.sampled_from(["true", "True", 1]))
    return event


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: Decimal(str(d)))
    | st.text(max_size=40)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
TRANSACTION_IDS = st.from_regex(r"[A-Za-z0-9_.:\-]{1,130}", fullmatch=True) | st.text(max_size=140)
AMOUNTS = (
    st.decimals(allow_nan=False, allow_infinity=False)
    | st.from_regex(r"[+-]?([0-9]{1,45}(\.[0-9]{0,45})?|\.[0-9]{1,45})([eE][+-]?[0-9]{1,4})?", fullmatch=True)
    | st.from_regex(r"[+-]?[0-9]{1,45}(\.[0-9]{1,45})?([eE][+-]?[0-9]{1,4})?", fullmatch=True).map(Decimal)
)
CURRENCIES = st.sampled_from(sorted(ISO_4217_CODES)) | st.sampled_from(["usd", "Eur", "XYZ", "ANG", "US", "USDD", ""])
TIMESTAMPS = st.sampled_from(
    ["2026-01-01", "2026-01-01T12:00:00Z", "2026-01-01T12:00:00+02:00", "yesterday", "", "2026-01-01x12:00:00"]
)


GOOD_FIELDS = {
    "transactionId": st.from_regex(r"[A-Za-z0-9_.:\-]{1,128}", fullmatch=True),
    "amount": AMOUNTS,
    "currency": st.sampled_from(sorted(ISO_4217_CODES)).map(lambda c: c.lower() if c < "M" else c),
    "status": st.text(max_size=20),
    "provider": st.text(max_size=20),
    "timestamp": st.sampled_from(["2026-01-01T12:00", "2026-01-01T12:00:00Z", "2026-01-01T12:00:00.5+02:00"]),
}
ANY_FIELDS = {
    "transactionId": TRANSACTION_IDS,
    "amount": AMOUNTS,
    "currency": CURRENCIES,
    "status": st.text(max_size=20),
    "provider": st.text(max_size=20),
    "timestamp": TIMESTAMPS,
}


@st.composite
def payload_objects(draw: st.DrawFn, near_valid: bool = False) -> dict[str, Any]:
    """Contract-shaped objects; ``near_valid``: valid fields with at most one change (absent, junk, bad value)."""
    fields: dict[str, Any] = {}
    changed = draw(st.sampled_from([None, *GOOD_FIELDS])) if near_valid else None
    for name in GOOD_FIELDS:
        if near_valid and name != changed:
            if name in ("status", "provider", "timestamp") and not draw(st.booleans()):
                continue  # optional fields may be absent
            fields[name] = draw(GOOD_FIELDS[name])
            continue
        presence = draw(st.integers(0, 9))
        if presence == 0:
            continue  # absent
        fields[name] = draw(JSON_VALUES) if presence == 1 else draw(ANY_FIELDS[name])
    extra = draw(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=3))
    fields.update({k: v for k, v in extra.items() if not near_valid or k not in GOOD_FIELDS})
    return fields


def dumps(value: Any) -> str:
    """JSON text with Decimals written as their exact digits (json can't, without a float)."""

    def encode(v: Any) -> str:
        if isinstance(v, Decimal):
            return str(v)
        if isinstance(v, dict):
            return "{" + ",".join(json.dumps(str(k)) + ":" + encode(x) for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ",".join(encode(x) for x in v) + "]"
        return json.dumps(v)

    return encode(value)


SIGNED_BODIES = (
    st.binary(max_size=2000)
    | payload_objects(near_valid=True).map(lambda d: dumps(d).encode())
    | payload_objects(near_valid=True).map(lambda d: dumps(d).encode())
    | payload_objects().map(lambda d: dumps(d).encode())
    | JSON_VALUES.map(lambda v: dumps(v).encode())
    | payload_objects().map(lambda d: dumps(d).encode()).map(lambda b: b.replace(b"}", b",}", 1))
    | st.text(max_size=500).map(lambda t: t.encode("utf-8", "surrogatepass"))
)


def signed_event(body: bytes, webhook_id: str = "msg_fuzz", *, b64: bool, timestamp: int = NOW) -> dict[str, Any]:
    try:
        body.decode("utf-8")
        as_b64 = b64
    except UnicodeDecodeError:
        as_b64 = True
    headers = {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(KEY, webhook_id, timestamp, body),
    }
    return function_url_event("/", body, headers, base64_encoded=as_b64)


# --- the oracle: what the contract calls a valid payload --------------------------------------------

_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,128}")
_AMOUNT_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
FIELDS = ("transactionId", "amount", "currency", "status", "provider", "timestamp")


def contract_amount(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, Decimal | str):
        return None
    if isinstance(value, str) and not _AMOUNT_TEXT.fullmatch(value):
        return None
    try:
        amount = Decimal(value)
    except ArithmeticError:
        return None
    if not amount.is_finite():
        return None
    digits = list(amount.as_tuple().digits)
    while len(digits) > 1 and digits[-1] == 0:  # DynamoDB drops trailing zeros: they do not count
        digits.pop()
    if len(digits) > 38:
        return None
    if amount != 0 and not (Decimal("1E-130") <= abs(amount) < Decimal("1E126")):
        return None
    return amount


def contract_valid(body: bytes) -> dict[str, Any] | None:
    """The parsed payload if the contract accepts it, else None."""
    pairs_seen: list[list[str]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        pairs_seen.append([k for k, _ in items])
        return dict(items)

    def refuse(_: str) -> Any:
        raise ValueError("NaN/Infinity")

    def number(text: str) -> Any:
        try:
            return Decimal(text)
        except ArithmeticError:  # an exponent beyond Decimal: valid JSON, never a valid amount
            return ("out of range", text)

    try:
        text = body.decode("utf-8")
        data = json.loads(text, parse_float=number, parse_int=number, parse_constant=refuse, object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    top = pairs_seen[-1]
    if any(top.count(f) > 1 for f in FIELDS):
        return None
    if not isinstance(data.get("transactionId"), str) or not _ID.fullmatch(data["transactionId"]):
        return None
    if "amount" not in data or contract_amount(data["amount"]) is None:
        return None
    currency = data.get("currency")
    if not isinstance(currency, str) or not currency.isascii() or currency.upper() not in ISO_4217_CODES:
        return None
    for name in ("status", "provider"):
        if name in data and (not isinstance(data[name], str) or len(data[name]) > 1024):
            return None
        if name in data and not _encodable(data[name]):
            return None
    if "timestamp" in data:
        stamp = data["timestamp"]
        if not isinstance(stamp, str) or len(stamp) > 64 or not _iso(stamp):
            return None
    return data


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}(?::[0-9]{2}(\.[0-9]{1,9})?)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?",
    re.ASCII,
)


def _iso(text: str) -> bool:
    """ISO-8601 / RFC 3339 date-times only: the grammar, then real calendar values."""
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        return False
    fraction = match.group(1) or ""
    try:
        datetime.fromisoformat(text.upper().replace(fraction, fraction[:7], 1) if fraction else text.upper())
    except ValueError:
        return False
    return True


# --- properties ---------------------------------------------------------------------------------------


@FUZZ_SETTINGS
@given(event=raw_events())
def test_arbitrary_unsigned_events_never_raise_and_are_never_2xx(event: Any) -> None:
    harness = Harness()
    status, _ = harness.handle("unsigned raw events", event)
    assert status in CLIENT_ERRORS
    assert harness.stored == [] and harness.quarantined == []


PATHS = st.sampled_from(["/", "/standard", "/stripe", "/adyen", "/other", "", "/stripe/"]) | st.text(max_size=10)
STRIPE_HEADERS = st.fixed_dictionaries(
    {
        "stripe-signature": st.from_regex(r"t=[0-9]{1,12}(,v[01]=[0-9a-f]{0,64}){0,3}", fullmatch=True)
        | st.text(max_size=80)
    }
)


@FUZZ_SETTINGS
@given(event=raw_events(), path=PATHS, stripe_headers=STRIPE_HEADERS, adyen_body=SIGNED_BODIES)
def test_arbitrary_unsigned_events_on_any_path_are_never_2xx(
    event: Any, path: str, stripe_headers: dict[str, str], adyen_body: bytes
) -> None:
    if isinstance(event, dict):
        event["rawPath"] = path
        if path == "/stripe" and isinstance(event.get("headers"), dict):
            event["headers"].update(stripe_headers)
        if path == "/adyen" and not event.get("isBase64Encoded"):
            event["body"] = adyen_body.decode("utf-8", "replace")  # JSON-ish bodies reach the item checks
    harness = Harness()
    status, _ = harness.handle("unsigned raw events, any path", event)
    assert status in CLIENT_ERRORS
    assert harness.stored == [] and harness.quarantined == []


@FUZZ_SETTINGS
@given(body=SIGNED_BODIES, b64=st.booleans())
def test_signed_payloads_200_only_when_valid_and_refusals_are_quarantined(body: bytes, b64: bool) -> None:
    harness = Harness()
    status, answer = harness.handle("signed payloads", signed_event(body, b64=b64))
    valid = contract_valid(body)
    if status == 200:
        assert valid is not None, f"2xx for a payload the contract refuses: {body!r}"
        (stored,) = harness.stored
        assert stored.raw_event == body.decode("utf-8")  # rawEvent is the body exactly
        assert stored.transaction.amount == contract_amount(valid["amount"])  # never rounded
        assert Decimal(stored.to_item()["amount"]["N"]) == stored.transaction.amount
        assert answer == {"status": "accepted", "transactionId": valid["transactionId"], "eventId": "msg_fuzz"}
        assert harness.quarantined == []
    else:
        assert status == 400, (status, answer)
        assert valid is None, f"400 for a payload the contract accepts: {body!r} -> {answer}"
        assert harness.stored == []
        (kept,) = harness.quarantined  # nothing authentic is lost
        assert kept.body == body and kept.reason_code == answer["error"]["code"]


VALID_BODY = b'{"transactionId":"txn_1","amount":"1234567890.123456789","currency":"EUR","status":"succeeded"}'


@st.composite
def tampered(draw: st.DrawFn) -> dict[str, Any]:
    event = signed_event(VALID_BODY, b64=draw(st.booleans()))
    headers = event["headers"]
    kind = draw(st.sampled_from(["body", "id", "timestamp", "signature", "stale", "future", "key", "drop", "method"]))
    if kind == "body":
        raw = bytearray(VALID_BODY)
        position = draw(st.integers(0, len(raw) - 1))
        raw[position] = (raw[position] + draw(st.integers(1, 255))) % 256
        event = {**event, "body": base64.b64encode(bytes(raw)).decode(), "isBase64Encoded": True}
    elif kind == "id":
        headers["webhook-id"] = draw(st.text(min_size=1, max_size=20).filter(lambda s: s != "msg_fuzz"))
    elif kind == "timestamp":
        headers["webhook-timestamp"] = str(NOW + draw(st.integers(-TOLERANCE, TOLERANCE).filter(bool)))
    elif kind == "signature":
        mac = bytearray(base64.b64decode(headers["webhook-signature"][3:]))
        mac[draw(st.integers(0, 31))] ^= draw(st.integers(1, 255))
        headers["webhook-signature"] = "v1," + base64.b64encode(bytes(mac)).decode()
    elif kind in ("stale", "future"):
        offset = draw(st.integers(TOLERANCE + 1, 10**6)) * (-1 if kind == "stale" else 1)
        stamp = NOW + offset
        headers["webhook-timestamp"] = str(stamp)
        headers["webhook-signature"] = sign(KEY, "msg_fuzz", stamp, VALID_BODY)  # correctly signed, wrong time
    elif kind == "key":
        other = draw(st.binary(min_size=1, max_size=64).filter(lambda k: k != KEY))
        headers["webhook-signature"] = sign(other, "msg_fuzz", NOW, VALID_BODY)
    elif kind == "drop":
        del headers[draw(st.sampled_from(["webhook-id", "webhook-timestamp", "webhook-signature"]))]
    else:
        event["requestContext"]["http"]["method"] = draw(st.sampled_from(["GET", "PUT", "post", "PATCH"]))
    return event


@FUZZ_SETTINGS
@given(event=tampered())
def test_any_single_tampering_of_an_authentic_event_is_refused(event: dict[str, Any]) -> None:
    harness = Harness()
    status, _ = harness.handle("tampered authentic events", event)
    assert status in (401, 405)
    assert harness.stored == [] and harness.quarantined == []


@FUZZ_SETTINGS
@given(event_ids=st.lists(st.sampled_from(["msg_a", "msg_b", "msg_c", "msg_d"]), min_size=1, max_size=12))
def test_redeliveries_are_stored_once(event_ids: list[str]) -> None:
    harness = Harness()
    seen: set[str] = set()
    for event_id in event_ids:
        status, answer = harness.handle("re-deliveries", signed_event(VALID_BODY, event_id, b64=False))
        assert (status, answer["status"]) == (200, "duplicate" if event_id in seen else "accepted")
        seen.add(event_id)
    assert sorted(s.event_id for s in harness.stored) == sorted(seen)
