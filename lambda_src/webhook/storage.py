"""Storing one item per delivered event with a single conditional PutItem.

Key: ``transactionId`` (partition, S) and ``eventId`` (sort, S; the
``webhook-id`` header).  The condition
``attribute_not_exists(transactionId) AND attribute_not_exists(eventId)``
makes a re-delivery (same transaction and event id), even a concurrent one,
fail the condition instead of writing twice; that is reported as a duplicate.
A duplicate is not compared with the stored item: the first write wins.

Amounts are sent as DynamoDB ``N`` text built from the exact Decimal
(:func:`webhook.validation.dynamodb_number`), via the low-level client, so
boto3's 38-digit rounding context is never involved.

Errors: throttling, AWS-side faults, timeouts -> 503 ``storage_unavailable``;
any other AWS error (table missing, access denied, validation) -> 500
``storage_error``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from webhook.aws import error_code, is_aws_error, is_retryable
from webhook.errors import WebhookError
from webhook.validation import Transaction, dynamodb_number

CONDITION = "attribute_not_exists(transactionId) AND attribute_not_exists(eventId)"


class DynamoDBClient(Protocol):
    def put_item(self, **kwargs: Any) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class StoredEvent:
    transaction: Transaction
    event_id: str
    processed_at: str
    raw_event: str

    def to_item(self) -> dict[str, dict[str, str]]:
        tx = self.transaction
        return {
            "transactionId": {"S": tx.transaction_id},
            "eventId": {"S": self.event_id},
            "amount": {"N": dynamodb_number(tx.amount)},
            "currency": {"S": tx.currency},
            "status": {"S": tx.status},
            "provider": {"S": tx.provider},
            "timestamp": {"S": tx.timestamp if tx.timestamp is not None else self.processed_at},
            "processedAt": {"S": self.processed_at},
            "rawEvent": {"S": self.raw_event},
        }


class DynamoTransactionStore:
    """Writes :class:`StoredEvent` items to one table."""

    def __init__(self, client: Callable[[], DynamoDBClient], table_name: str) -> None:
        self._client = client
        self._table = table_name

    def put(self, event: StoredEvent) -> bool:
        """True when written now, False when the event was already stored."""
        try:
            self._client().put_item(
                TableName=self._table,
                Item=event.to_item(),
                ConditionExpression=CONDITION,
            )
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            failure = storage_failure(exc, "the event could not be stored")
            if failure is None:
                raise
            raise failure from None
        return True


def storage_failure(exc: BaseException, message: str) -> WebhookError | None:
    """The error response for a failed DynamoDB call; None when ``exc`` is not an AWS error.

    Retryable (throttling, AWS-side faults, timeouts) -> 503 ``storage_unavailable``;
    any other AWS error -> 500 ``storage_error`` with ``message``.  The caller
    handles ``ConditionalCheckFailedException`` first and re-raises a None case.
    """
    if not is_aws_error(exc):
        return None
    detail = error_code(exc) or type(exc).__name__
    if is_retryable(exc):
        return WebhookError(503, "storage_unavailable", "storage is temporarily unavailable", detail=detail)
    return WebhookError(500, "storage_error", message, detail=detail)
