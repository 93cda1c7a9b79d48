"""``/`` and ``/standard``: Standard Webhooks signature, the flat payload; ``eventId`` = ``webhook-id``.

docs/behaviour.md, "Signatures" and "Fields".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from webhook.parsing import parse_object
from webhook.providers.common import EventRecord, Mapped, Provider, StoredRecord, VerifiedDelivery
from webhook.responses import event_response
from webhook.signature import decode_secret
from webhook.signature import verify as verify_signature
from webhook.timestamps import event_time
from webhook.validation import validate


def verify(
    headers: Mapping[str, str], raw: bytes, keys: Sequence[bytes], *, tolerance_seconds: int, now: float
) -> VerifiedDelivery:
    event_id = verify_signature(headers, raw, keys, tolerance_seconds=tolerance_seconds, now=now)
    return VerifiedDelivery(raw, headers, event_id)


def map_delivery(delivery: VerifiedDelivery) -> Mapped:
    parsed = parse_object(delivery.raw)
    transaction = validate(parsed.data, parsed.duplicate_keys)
    assert delivery.event_id is not None
    time = event_time(transaction.timestamp) if transaction.timestamp is not None else None
    record = EventRecord(transaction, delivery.event_id, parsed.text, "standard", time)
    return Mapped((record,))


def respond(mapped: Mapped, stored: Sequence[StoredRecord]) -> dict[str, Any]:
    (one,) = stored
    status = "accepted" if one.written else "duplicate"
    return event_response(status, one.record.transaction.transaction_id, one.record.event_id)


PROVIDER = Provider("standard", "WEBHOOK_SECRET_PARAM", verify, map_delivery, respond, decode_secret)
