"""``/stripe``: ``Stripe-Signature`` (as stripe-python ``WebhookSignature``), Stripe event -> record.

Rules and choices: lambda_src/README.md, "Providers" > ``/stripe``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from typing import Any

from webhook.errors import FieldError, WebhookError
from webhook.exponents import from_minor, stripe_exponent
from webhook.parsing import IntegerLiteral, parse_object
from webhook.providers.common import EventRecord, Mapped, Provider, StoredRecord, VerifiedDelivery, duplicated
from webhook.responses import event_response, json_response
from webhook.signature import SignatureError
from webhook.timestamps import utc_from_epoch
from webhook.validation import (
    MAX_TEXT_LENGTH,
    Transaction,
    check_amount,
    check_currency,
    check_text,
    check_transaction_id,
)

HEADER = "stripe-signature"
SCHEME = "v1"
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
_HEX_DIGEST_RE = re.compile(r"[0-9a-f]{64}")
_EVENT_ID_RE = re.compile(r"[\x21-\x7e]{1,256}")
MAX_CREATED = 253_402_300_799  # 9999-12-31T23:59:59Z
MAX_AMOUNT_LITERAL = 64  # characters of an amount literal worth converting (38 digits is the real limit)


def decode_secret(token: str) -> bytes | None:
    """Stripe keys are the UTF-8 bytes of the whole secret string."""
    key = token.encode("utf-8", "surrogatepass")
    return key or None


def _parse_header(header: str) -> tuple[str, list[bytes]]:
    timestamp: str | None = None
    candidates: list[bytes] = []
    for entry in header.split(","):
        key, equals, value = entry.partition("=")
        if not equals:
            continue
        if key == "t" and timestamp is None:
            timestamp = value
        elif key == SCHEME and _HEX_DIGEST_RE.fullmatch(value):
            candidates.append(value.encode("ascii"))
    if timestamp is None or not _TIMESTAMP_RE.fullmatch(timestamp):
        raise SignatureError("malformed Stripe-Signature header")
    if not candidates:
        raise SignatureError("no v1 signature in Stripe-Signature header")
    return timestamp, candidates


def verify(
    headers: Mapping[str, str], raw: bytes, keys: Sequence[bytes], *, tolerance_seconds: int, now: float
) -> VerifiedDelivery:
    header = headers.get(HEADER)
    if header is None:
        raise SignatureError("missing Stripe-Signature header")
    timestamp, candidates = _parse_header(header)
    sent_at = int(timestamp)
    if sent_at < now - tolerance_seconds:
        raise SignatureError("Stripe-Signature timestamp is too old")
    if sent_at > now + tolerance_seconds:
        raise SignatureError("Stripe-Signature timestamp is too far in the future")
    message = f"{sent_at}.".encode() + raw
    matched = False
    for key in keys:
        expected = hmac.new(key, message, hashlib.sha256).hexdigest().encode("ascii")
        for candidate in candidates:
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("signature does not match")
    return VerifiedDelivery(raw, headers)


def _integer(field: str, value: object) -> int:
    if not isinstance(value, IntegerLiteral):
        raise FieldError(field, "must be a JSON integer (minor units)")
    if len(str(value)) > MAX_AMOUNT_LITERAL:
        raise FieldError(field, "is out of range")
    return int(value)


def _event_id(data: Mapping[str, Any]) -> str:
    value = data.get("id")
    if not isinstance(value, str) or not _EVENT_ID_RE.fullmatch(value):
        raise FieldError("id", "must be 1-256 printable ASCII characters", missing="id" not in data)
    return value


def _created(data: Mapping[str, Any]) -> str:
    value = data.get("created")
    if not isinstance(value, IntegerLiteral) or not 0 <= value <= MAX_CREATED:
        raise FieldError("created", "must be Unix seconds (a JSON integer)", missing="created" not in data)
    return utc_from_epoch(int(value))


def map_delivery(delivery: VerifiedDelivery) -> Mapped:
    parsed = parse_object(delivery.raw)
    data = parsed.data
    field = duplicated(data, ("id", "type", "created", "data"))
    if field is not None:
        raise FieldError(field, "appears more than once")
    event_id = _event_id(data)
    container = data.get("data")
    obj = container.get("object") if isinstance(container, dict) else None
    if not isinstance(obj, dict) or obj.get("amount") is None or obj.get("currency") is None:
        # Not a payment event (customer.*, a plan without amount, a thin v2 event...): acknowledged, not stored.
        return Mapped((), ignored_event_id=event_id)
    field = duplicated(obj, ("id", "payment_intent", "amount", "currency", "amount_refunded"))
    if field is not None:
        raise FieldError(field, "appears more than once")
    if "type" not in data:
        raise FieldError("type", "is required", missing=True)
    event_type = check_text("type", data["type"], MAX_TEXT_LENGTH)
    created = _created(data)
    intent = obj.get("payment_intent")
    transaction_id = check_transaction_id(intent if isinstance(intent, str) else obj.get("id"))
    amount_minor = _integer("amount", obj["amount"])
    currency = check_currency(obj["currency"])
    amount = check_amount(from_minor(amount_minor, stripe_exponent(currency)))
    refunded = obj.get("amount_refunded")
    refunded_minor = None if refunded is None else _integer("amount_refunded", refunded)
    transaction = Transaction(transaction_id, amount, currency, event_type, "stripe", created)
    record = EventRecord(
        transaction,
        event_id,
        parsed.text,
        "stripe",
        created,
        amount_minor=amount_minor,
        amount_refunded_minor=refunded_minor,
    )
    return Mapped((record,))


def respond(mapped: Mapped, stored: Sequence[StoredRecord]) -> dict[str, Any]:
    if not stored:
        return json_response(200, {"status": "ignored", "eventId": mapped.ignored_event_id})
    if len(stored) != 1:
        raise WebhookError(500, "internal_error", "internal error")
    (one,) = stored
    status = "accepted" if one.written else "duplicate"
    return event_response(status, one.record.transaction.transaction_id, one.record.event_id)


PROVIDER = Provider("stripe", "STRIPE_SECRET_PARAM", verify, map_delivery, respond, decode_secret)
