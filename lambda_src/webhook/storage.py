"""Storing one item per delivered event with a single conditional PutItem.

Key: ``transactionId`` (partition, S) and ``eventId`` (sort, S; the
``webhook-id`` header, the Stripe event id, or Adyen's
``{eventCode}:{pspReference}:{success}``).  The condition
``attribute_not_exists(transactionId) AND attribute_not_exists(eventId)``
makes a re-delivery (same transaction and event id), even a concurrent one,
fail the condition instead of writing twice; that is reported as a duplicate.
A duplicate is not compared with the stored item: the first write wins.
The write asks for ``ReturnValuesOnConditionCheckFailure=ALL_OLD``, so a
duplicate also tells, at no extra cost, when the event was *first* stored
(its ``processedAt``): the payment status uses it as the event time of an
event without one, and a retry must not move it.

Provider events also carry ``amountMinor`` (N, the provider's integer as
sent) and, for Adyen, ``success`` (BOOL).

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
from webhook.raw_body import body_attribute
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
    amount_minor: int | None = None
    success: bool | None = None
    received_via: str = "webhook"  # "webhook" (a verified delivery) or "api" (listed by the reconciler)
    expires_at: int | None = None  # Unix seconds (TTL), when EVENT_RETENTION_DAYS is set

    def to_item(self) -> dict[str, dict[str, Any]]:
        tx = self.transaction
        item: dict[str, dict[str, Any]] = {
            "transactionId": {"S": tx.transaction_id},
            "eventId": {"S": self.event_id},
            "amount": {"N": dynamodb_number(tx.amount)},
            "currency": {"S": tx.currency},
            "status": {"S": tx.status},
            "provider": {"S": tx.provider},
            "timestamp": {"S": tx.timestamp if tx.timestamp is not None else self.processed_at},
            "processedAt": {"S": self.processed_at},
            "receivedVia": {"S": self.received_via},
        }
        name, value = body_attribute(self.raw_event)
        item[name] = value
        if self.expires_at is not None:
            item["expiresAt"] = {"N": str(self.expires_at)}
        if self.amount_minor is not None:
            item["amountMinor"] = {"N": str(self.amount_minor)}
        if self.success is not None:
            item["success"] = {"BOOL": self.success}
        return item


@dataclass(frozen=True)
class WriteResult:
    written: bool  # False: the event was already stored
    processed_at: str  # when the stored item was first written (ours, or the existing item's)


class DynamoTransactionStore:
    """Writes :class:`StoredEvent` items to one table."""

    def __init__(self, client: Callable[[], DynamoDBClient], table_name: str) -> None:
        self._client = client
        self._table = table_name

    def write(self, event: StoredEvent) -> WriteResult:
        """The conditional write; on a duplicate, the existing item's ``processedAt``."""
        try:
            self._client().put_item(
                TableName=self._table,
                Item=event.to_item(),
                ConditionExpression=CONDITION,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return WriteResult(False, _first_processed_at(exc, event.processed_at))
            failure = storage_failure(exc, "the event could not be stored")
            if failure is None:
                raise
            raise failure from None
        return WriteResult(True, event.processed_at)


def _first_processed_at(exc: BaseException, fallback: str) -> str:
    response = getattr(exc, "response", None)
    item = response.get("Item") if isinstance(response, Mapping) else None
    value = item.get("processedAt") if isinstance(item, Mapping) else None
    text = value.get("S") if isinstance(value, Mapping) else None
    return text if isinstance(text, str) else fallback


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
