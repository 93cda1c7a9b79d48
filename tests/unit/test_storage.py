from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber

from webhook.errors import WebhookError
from webhook.storage import CONDITION, DynamoTransactionStore, StoredEvent
from webhook.validation import Transaction

TABLE = "transactions-unit"


def stored(amount: str = "150.50", timestamp: str | None = "2026-01-01T00:00:00Z") -> StoredEvent:
    tx = Transaction("txn_1", Decimal(amount), "USD", "succeeded", "acme", timestamp)
    return StoredEvent(tx, "msg_1", "2026-01-01T00:00:01.000Z", '{"amount": 150.50}')


def test_condition_is_exactly_the_contract() -> None:
    assert CONDITION == "attribute_not_exists(transactionId) AND attribute_not_exists(eventId)"


def test_put_item_request_is_exact(ddb_client: Any) -> None:
    with Stubber(ddb_client) as stub:
        stub.add_response(
            "put_item",
            {},
            {
                "TableName": TABLE,
                "ConditionExpression": CONDITION,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                "Item": {
                    "transactionId": {"S": "txn_1"},
                    "eventId": {"S": "msg_1"},
                    "amount": {"N": "150.50"},
                    "currency": {"S": "USD"},
                    "status": {"S": "succeeded"},
                    "provider": {"S": "acme"},
                    "timestamp": {"S": "2026-01-01T00:00:00Z"},
                    "processedAt": {"S": "2026-01-01T00:00:01.000Z"},
                    "rawEvent": {"S": '{"amount": 150.50}'},
                    "receivedVia": {"S": "webhook"},
                },
            },
        )
        assert DynamoTransactionStore(lambda: ddb_client, TABLE).write(stored()).written is True
        stub.assert_no_pending_responses()


def test_timestamp_defaults_to_processing_time() -> None:
    assert stored(timestamp=None).to_item()["timestamp"] == {"S": "2026-01-01T00:00:01.000Z"}


@pytest.mark.parametrize(
    "amount", ["12345678901234567890123456789012345678", "1234567890.123456789", "1E-130", "-9.5E+125"]
)
def test_amount_sent_as_exact_text(amount: str) -> None:
    assert stored(amount).to_item()["amount"] == {"N": amount}


def test_conditional_check_failure_is_duplicate(ddb_client: Any) -> None:
    with Stubber(ddb_client) as stub:
        stub.add_client_error("put_item", service_error_code="ConditionalCheckFailedException", http_status_code=400)
        assert DynamoTransactionStore(lambda: ddb_client, TABLE).write(stored()).written is False


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("ProvisionedThroughputExceededException", 503, "storage_unavailable"),
        ("ThrottlingException", 503, "storage_unavailable"),
        ("RequestLimitExceeded", 503, "storage_unavailable"),
        ("InternalServerError", 503, "storage_unavailable"),
        ("ResourceNotFoundException", 500, "storage_error"),
        ("AccessDeniedException", 500, "storage_error"),
        ("ValidationException", 500, "storage_error"),
    ],
)
def test_aws_errors_are_sanitized_5xx(ddb_client: Any, code: str, status: int, error: str) -> None:
    with Stubber(ddb_client) as stub:
        stub.add_client_error(
            "put_item", service_error_code=code, service_message=f"arn:aws:dynamodb:eu-west-1:1:table/{TABLE} boom"
        )
        with pytest.raises(WebhookError) as info:
            DynamoTransactionStore(lambda: ddb_client, TABLE).write(stored())
    err = info.value
    assert (err.status, err.code, err.detail) == (status, error, code)
    assert TABLE not in err.message and "arn:" not in err.message and "boom" not in err.message


def test_timeout_is_503() -> None:
    class Slow:
        def put_item(self, **kwargs: Any) -> Any:
            raise ReadTimeoutError(endpoint_url="https://dynamodb")

    with pytest.raises(WebhookError) as info:
        DynamoTransactionStore(Slow, TABLE).write(stored())
    assert (info.value.status, info.value.code) == (503, "storage_unavailable")


def test_unexpected_error_propagates() -> None:
    class Broken:
        def put_item(self, **kwargs: Any) -> Any:
            raise TypeError("bug")

    with pytest.raises(TypeError):
        DynamoTransactionStore(Broken, TABLE).write(stored())


def test_received_via_names_the_way_the_event_came() -> None:
    tx = Transaction("txn_1", Decimal("1"), "USD", "succeeded", "stripe", None)
    listed = StoredEvent(tx, "evt_1", "2026-01-01T00:00:01.000Z", "{}", received_via="api")
    assert listed.to_item()["receivedVia"] == {"S": "api"}
    assert stored().to_item()["receivedVia"] == {"S": "webhook"}
