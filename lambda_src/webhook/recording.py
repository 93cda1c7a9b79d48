"""Recording one mapped event: the conditional event write, then the payment-status write.

One code path for every way an event arrives — a verified webhook delivery or an
event listed from a provider's API by the reconciler — so an event that arrives
both ways is stored once, with the same attributes and the same payment update.
"""

from __future__ import annotations

from typing import Literal, Protocol

from webhook.payments import PaymentEvent
from webhook.providers.common import EventRecord, StoredRecord
from webhook.status_map import map_status
from webhook.storage import StoredEvent, WriteResult
from webhook.timestamps import epoch_floor

ReceivedVia = Literal["webhook", "api"]
SECONDS_PER_DAY = 86_400


class TransactionStore(Protocol):
    """:class:`webhook.storage.DynamoTransactionStore`; test fakes and the bench implement the same one method."""

    def write(self, event: StoredEvent) -> WriteResult:
        """Store ``event`` unless it is there; on a duplicate, the existing item's ``processedAt``."""
        ...


class PaymentStore(Protocol):
    def apply(self, event: PaymentEvent, updated_at: str) -> bool: ...


def record_event(
    store: TransactionStore,
    payments: PaymentStore | None,
    record: EventRecord,
    received_at: str,
    *,
    received_via: ReceivedVia = "webhook",
    retention_days: int | None = None,
) -> StoredRecord:
    """The event item, then (when configured) the payment item; any failure raises (5xx)."""
    event = StoredEvent(
        record.transaction,
        record.event_id,
        received_at,
        record.raw_event,
        amount_minor=record.amount_minor,
        success=record.success,
        received_via=received_via,
        expires_at=None if retention_days is None else expires_at(received_at, retention_days),
    )
    result = store.write(event)
    if payments is not None:
        payments.apply(payment_event(record, result.processed_at), received_at)
    return StoredRecord(record, result.written)


def expires_at(processed_at: str, retention_days: int) -> int:
    """TTL of an event item: floor(``processedAt``) + days x 86,400, in Unix seconds.

    A re-delivery computes a later value, but its write fails the condition, so the
    stored item keeps the first one (like every attribute of the first write).
    """
    return epoch_floor(processed_at) + retention_days * SECONDS_PER_DAY


def payment_event(record: EventRecord, first_processed_at: str) -> PaymentEvent:
    """The payment-status view of a stored record."""
    tx = record.transaction
    status = map_status(
        record.scheme,
        tx.status,
        success=record.success,
        amount_minor=record.amount_minor,
        amount_refunded_minor=record.amount_refunded_minor,
    )
    return PaymentEvent(
        transaction_id=tx.transaction_id,
        event_id=record.event_id,
        status=status,
        provider_status=tx.status,
        provider=tx.provider,
        amount=tx.amount,
        currency=tx.currency,
        event_time=record.event_time or first_processed_at,
    )
