"""``/adyen``: per-item ``hmacSignature`` (as Adyen's ``util.py``, on every item), items -> records.

The body is decoded as JSON only to reach the signed fields; nothing is
mapped until every item has verified.  Rules and choices: lambda_src/README.md,
"Providers" > ``/adyen``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from webhook.errors import FieldError
from webhook.exponents import adyen_exponent, from_minor
from webhook.parsing import IntegerLiteral, decode
from webhook.providers.common import EventRecord, Mapped, Provider, StoredRecord, VerifiedDelivery, duplicated
from webhook.responses import text_response
from webhook.signature import SignatureError
from webhook.timestamps import event_time
from webhook.validation import (
    MAX_TEXT_LENGTH,
    Transaction,
    check_amount,
    check_currency,
    check_text,
    check_timestamp,
    check_transaction_id,
)

ITEM = "NotificationRequestItem"
SIGNED_FIELDS = (
    "pspReference",
    "originalReference",
    "merchantAccountCode",
    "merchantReference",
    "value",
    "currency",
    "eventCode",
    "success",
)
ACCEPTED_BODY = "[accepted]"
MAX_EVENT_ID_BYTES = 1024  # DynamoDB sort key limit
MAX_VALUE_LITERAL = 64


def decode_secret(token: str) -> bytes | None:
    """Adyen HMAC keys are hex; a token that is not even-length hex is unusable."""
    try:
        key = bytes.fromhex(token)
    except ValueError:
        return None
    return key or None


def _text(value: object) -> str:
    """A signed field as Adyen's signer writes it; TypeError when it cannot be one."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | Decimal):
        return str(value)
    raise TypeError("not a signable field")


def _payload(item: Mapping[str, Any]) -> bytes:
    amount = item.get("amount")
    amount = amount if isinstance(amount, Mapping) else {}
    fields = {**item, "value": amount.get("value"), "currency": amount.get("currency")}
    return ":".join(_text(fields.get(name)) for name in SIGNED_FIELDS).encode("utf-8", "surrogatepass")


def _signature(item: Mapping[str, Any]) -> bytes:
    additional = item.get("additionalData")
    value = additional.get("hmacSignature") if isinstance(additional, Mapping) else None
    if not isinstance(value, str) or not value.isascii():
        raise SignatureError("notification item without hmacSignature")
    try:
        mac = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("malformed hmacSignature") from None
    # Canonical text only: Adyen's SDK compares the base64 strings, so a variant spelling never matches.
    if len(mac) != hashlib.sha256().digest_size or base64.b64encode(mac).decode("ascii") != value:
        raise SignatureError("malformed hmacSignature")
    return mac


def _items(raw: bytes) -> list[Mapping[str, Any]]:
    try:
        body = decode(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SignatureError("body is not a JSON Adyen notification") from None
    entries = body.get("notificationItems") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries:
        raise SignatureError("no NotificationRequestItem in the body")
    items: list[Mapping[str, Any]] = []
    for entry in entries:
        item = entry.get(ITEM) if isinstance(entry, dict) else None
        if not isinstance(item, dict):
            raise SignatureError("no NotificationRequestItem in the body")
        items.append(item)
    return items


def verify(
    headers: Mapping[str, str], raw: bytes, keys: Sequence[bytes], *, tolerance_seconds: int, now: float
) -> VerifiedDelivery:
    """Every item verifies against at least one key, or :class:`SignatureError`."""
    items = _items(raw)
    for item in items:
        candidate = _signature(item)
        try:
            payload = _payload(item)
        except TypeError:
            raise SignatureError("notification item cannot be verified") from None
        matched = False
        for key in keys:
            matched |= hmac.compare_digest(hmac.new(key, payload, hashlib.sha256).digest(), candidate)
        if not matched:
            raise SignatureError("signature does not match")
    return VerifiedDelivery(raw, headers, body=items)


def _string(item: Mapping[str, Any], field: str) -> str:
    if field not in item or item[field] is None:
        raise FieldError(field, "is required", missing=True)
    return check_text(field, item[field], MAX_TEXT_LENGTH)


def _success(item: Mapping[str, Any]) -> tuple[str, bool]:
    value = item.get("success")
    if value not in ("true", "false"):
        raise FieldError("success", 'must be "true" or "false"', missing="success" not in item)
    assert isinstance(value, str)
    return value, value == "true"


def _amount(item: Mapping[str, Any]) -> tuple[int, str]:
    amount = item.get("amount")
    if not isinstance(amount, dict):
        raise FieldError("amount", "must be an object with value and currency", missing=amount is None)
    field = duplicated(amount, ("value", "currency"))
    if field is not None:
        raise FieldError(f"amount.{field}", "appears more than once")
    value = amount.get("value")
    if not isinstance(value, IntegerLiteral) or len(str(value)) > MAX_VALUE_LITERAL:
        raise FieldError("amount", "value must be a JSON integer (minor units)", missing=value is None)
    return int(value), check_currency(amount.get("currency"))


def _record(item: Mapping[str, Any], text: str) -> EventRecord:
    field = duplicated(item, (*SIGNED_FIELDS, "amount", "eventDate", "additionalData"))
    if field is not None:
        raise FieldError(field, "appears more than once")
    psp_reference = _string(item, "pspReference")
    original = item.get("originalReference")
    original = "" if original is None else check_text("originalReference", original, MAX_TEXT_LENGTH)
    event_code = _string(item, "eventCode")
    success_text, success = _success(item)
    transaction_id = check_transaction_id(original or psp_reference)
    amount_minor, currency = _amount(item)
    amount = check_amount(from_minor(amount_minor, adyen_exponent(currency)))
    event_id = f"{event_code}:{psp_reference}:{success_text}"
    if not event_id.strip() or len(event_id.encode("utf-8", "surrogatepass")) > MAX_EVENT_ID_BYTES:
        raise FieldError("eventCode", "makes an event id longer than 1024 bytes")
    date = item.get("eventDate")
    timestamp = None if date is None else _event_date(date)
    transaction = Transaction(transaction_id, amount, currency, event_code, "adyen", timestamp)
    time = event_time(timestamp) if timestamp is not None else None
    return EventRecord(transaction, event_id, text, "adyen", time, amount_minor=amount_minor, success=success)


def _event_date(value: object) -> str:
    try:
        return check_timestamp(value)
    except FieldError:
        raise FieldError("eventDate", "must be an ISO-8601 date-time") from None


def map_delivery(delivery: VerifiedDelivery) -> Mapped:
    text = delivery.raw.decode("utf-8")  # verification decoded it already
    items: list[Mapping[str, Any]] = delivery.body
    return Mapped(tuple(_record(item, text) for item in items))


def respond(mapped: Mapped, stored: Sequence[StoredRecord]) -> dict[str, Any]:
    """``[accepted]`` once every item is stored or was already there (any failure raised before)."""
    return text_response(200, ACCEPTED_BODY)


PROVIDER = Provider("adyen", "ADYEN_HMAC_KEY_PARAM", verify, map_delivery, respond, decode_secret)
