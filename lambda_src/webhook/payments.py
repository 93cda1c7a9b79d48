"""The current status of each payment, whatever the delivery order (docs/behaviour.md, "Payment status").

One item per payment in the payments table (partition key ``transactionId``,
S; no sort key).  It always holds the event that is greatest by

    (known, event time, rank, eventId)

where known is 0 only for ``unknown`` (an unmapped event never replaces a
known status), the event time is UTC in :data:`webhook.timestamps.UTC_FORMAT`, rank is
:data:`webhook.status_map.RANK` and ``eventId`` compares as a string.

That tuple is encoded into one string attribute, ``orderKey``::

    <known 0|1> "#" <event time, 24 chars> "#" <rank 0-6> "#" <eventId>

Every field before ``eventId`` has a fixed width and compares character by
character in the order of its value, so comparing two keys as strings compares
the tuples.  DynamoDB compares strings by their UTF-8 bytes, Python by code
points: the same order for every string DynamoDB can store.

:meth:`DynamoPaymentStore.apply` is one conditional PutItem of the whole item,
``attribute_not_exists(transactionId) OR orderKey < :key``: it writes iff the
payment is absent or the new event is strictly greater.  Any order, duplication
or concurrency of one set of events therefore ends in the same item (the
maximum), and a re-delivery heals a payment write that was lost after the event
itself was stored.  A lost race or an older (or the same) event is ``False``,
not an error.  AWS errors are classified like the transactions table's
(:func:`webhook.storage.storage_failure`): 503 ``storage_unavailable`` /
500 ``storage_error``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from webhook.aws import error_code
from webhook.status_map import RANK, STATUSES
from webhook.storage import DynamoDBClient, storage_failure
from webhook.timestamps import check_event_time
from webhook.validation import dynamodb_number

CONDITION: Final = "attribute_not_exists(transactionId) OR orderKey < :key"
ORDER_KEY_SEPARATOR: Final = "#"


@dataclass(frozen=True)
class PaymentEvent:
    """One provider event, as it bears on the payment's current status.

    Construction checks ``status`` (one of STATUSES) and ``event_time`` (the fixed
    UTC format): a violation is the caller's programming error (``ValueError``).
    """

    transaction_id: str
    event_id: str
    status: str  # mapped, one of STATUSES
    provider_status: str  # the provider's own (Stripe type, Adyen eventCode, §1 status)
    provider: str  # stored `provider` attribute
    amount: Decimal
    currency: str
    event_time: str  # already UTC in UTC_FORMAT (the caller converts)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {self.status!r}")
        check_event_time(self.event_time)

    def to_item(self, updated_at: str) -> dict[str, dict[str, str]]:
        """The whole payment item holding this event."""
        return {
            "transactionId": {"S": self.transaction_id},
            "status": {"S": self.status},
            "providerStatus": {"S": self.provider_status},
            "amount": {"N": dynamodb_number(self.amount)},
            "currency": {"S": self.currency},
            "provider": {"S": self.provider},
            "lastEventId": {"S": self.event_id},
            "eventTime": {"S": self.event_time},
            "updatedAt": {"S": updated_at},
            "orderKey": {"S": order_key(self)},
        }


def order_key(event: PaymentEvent) -> str:
    """A string that compares as ``(known, event time, rank, eventId)``."""
    known = "0" if event.status == "unknown" else "1"
    return ORDER_KEY_SEPARATOR.join(
        (known, check_event_time(event.event_time), str(RANK[event.status]), event.event_id)
    )


class DynamoPaymentStore:
    """Keeps the greatest event of each payment in one table."""

    def __init__(self, client: Callable[[], DynamoDBClient], table_name: str) -> None:
        self._client = client
        self._table = table_name

    def apply(self, event: PaymentEvent, updated_at: str) -> bool:
        """True when the item now holds ``event``; False when a greater-or-equal event is there."""
        item = event.to_item(updated_at)
        try:
            self._client().put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression=CONDITION,
                ExpressionAttributeValues={":key": item["orderKey"]},
            )
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            failure = storage_failure(exc, "the payment status could not be stored")
            if failure is None:
                raise
            raise failure from None
        return True
