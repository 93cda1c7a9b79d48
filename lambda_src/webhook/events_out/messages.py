"""The CloudEvents 1.0 messages the publisher sends, built from stream records.

- transactions ``INSERT`` -> ``payment.event_received``;
- payments ``INSERT``, or ``MODIFY`` whose status changed -> ``payment.status_changed``;
- anything else (a status kept, a ``REMOVE`` such as a TTL deletion, another table) -> nothing.

Money leaves as exact decimal strings in plain notation, never JSON numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from webhook import timestamps
from webhook.events_out.records import Image, RecordError, StreamRecord, number_text, optional_text, text
from webhook.raw_body import RawBodyError, raw_event_text_from_json

EVENT_RECEIVED = "payment.event_received"
STATUS_CHANGED = "payment.status_changed"
MAX_ENTRY_BYTES = 262_144  # EventBridge's limit per entry, Source and DetailType included


@dataclass(frozen=True)
class Message:
    type: str
    id: str
    transaction_id: str
    document: dict[str, Any]

    def body(self) -> str:
        """Compact UTF-8 JSON of the CloudEvent."""
        return json.dumps(self.document, separators=(",", ":"), ensure_ascii=False)


def source_of(suffix: str) -> str:
    return f"/payment-webhooks/{suffix}"


def bus_source_of(suffix: str) -> str:
    return f"payment-webhooks.{suffix}"


def plain_amount(image: Image, name: str) -> str:
    """A stored number as DynamoDB returns it, in plain notation with every digit (``1E+3`` -> ``1000``)."""
    raw = number_text(image, name)
    if raw is None:
        raise RecordError(f"item without the number attribute {name}")
    try:
        return format(Decimal(raw), "f")
    except InvalidOperation:
        raise RecordError(f"{name} is not a number") from None


def utc_time(value: str, name: str) -> str:
    try:
        return timestamps.event_time(value)
    except ValueError:
        raise RecordError(f"{name} is not an ISO-8601 time") from None


def message_for(record: StreamRecord, *, table_name: str, payments_table_name: str, suffix: str) -> Message | None:
    """The message one stream record publishes, or None."""
    if record.table_name == table_name and record.event_name == "INSERT":
        return _event_received(_require(record.new_image), suffix)
    if record.table_name == payments_table_name and record.event_name in ("INSERT", "MODIFY"):
        new = _require(record.new_image)
        previous = (
            None if record.event_name == "INSERT" or record.old_image is None else text(record.old_image, "status")
        )
        if record.event_name == "MODIFY" and previous == text(new, "status"):
            return None
        return _status_changed(new, previous, suffix)
    return None


def _require(image: Image | None) -> Image:
    if image is None:
        raise RecordError("stream record without its new image")
    return image


def _envelope(kind: str, transaction_id: str, event_id: str, time: str, suffix: str, data: dict[str, Any]) -> Message:
    message_id = f"{kind}/{transaction_id}/{event_id}"
    document = {
        "specversion": "1.0",
        "type": kind,
        "id": message_id,
        "source": source_of(suffix),
        "subject": transaction_id,
        "time": time,
        "datacontenttype": "application/json",
        "data": data,
    }
    return Message(kind, message_id, transaction_id, document)


def _event_received(item: Image, suffix: str) -> Message:
    transaction_id, event_id = text(item, "transactionId"), text(item, "eventId")
    try:
        raw = raw_event_text_from_json(item)
    except RawBodyError as exc:
        raise RecordError(str(exc)) from None
    data: dict[str, Any] = {
        "transactionId": transaction_id,
        "eventId": event_id,
        "provider": text(item, "provider"),
        "status": text(item, "status"),
        "amount": plain_amount(item, "amount"),
    }
    if number_text(item, "amountMinor") is not None:
        data["amountMinor"] = plain_amount(item, "amountMinor")
    data["currency"] = text(item, "currency")
    data["timestamp"] = text(item, "timestamp")
    data["processedAt"] = text(item, "processedAt")
    data["receivedVia"] = optional_text(item, "receivedVia") or "webhook"
    data["rawEvent"] = raw
    time = utc_time(data["timestamp"], "timestamp")
    message = _envelope(EVENT_RECEIVED, transaction_id, event_id, time, suffix, data)
    extra = len(bus_source_of(suffix).encode()) + len(EVENT_RECEIVED.encode())
    if len(message.body().encode("utf-8", "surrogatepass")) + extra > MAX_ENTRY_BYTES:
        # Claim check: the consumer reads the body from the table by key.
        del data["rawEvent"]
        data["rawEventOmitted"] = True
    return message


def _status_changed(item: Image, previous: str | None, suffix: str) -> Message:
    transaction_id = text(item, "transactionId")
    last_event_id = text(item, "lastEventId")
    event_time = utc_time(text(item, "eventTime"), "eventTime")
    data = {
        "transactionId": transaction_id,
        "status": text(item, "status"),
        "previousStatus": previous,
        "providerStatus": text(item, "providerStatus"),
        "amount": plain_amount(item, "amount"),
        "currency": text(item, "currency"),
        "provider": text(item, "provider"),
        "lastEventId": last_event_id,
        "eventTime": text(item, "eventTime"),
        "updatedAt": text(item, "updatedAt"),
    }
    return _envelope(STATUS_CHANGED, transaction_id, last_event_id, event_time, suffix, data)
