"""The payment item, its order key and the one conditional write (offline: botocore's Stubber)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import strategies as st

from webhook.errors import WebhookError
from webhook.payments import CONDITION, DynamoPaymentStore, PaymentEvent, order_key
from webhook.status_map import RANK, STATUSES
from webhook.timestamps import check_event_time, utc_text

TABLE = "payments-unit"
UPDATED_AT = "2026-12-01T11:00:05.123Z"


def event(
    status: str = "succeeded",
    event_time: str = "2026-12-01T11:00:00.000Z",
    event_id: str = "evt_1",
    amount: str = "19.99",
) -> PaymentEvent:
    return PaymentEvent(
        transaction_id="pi_1",
        event_id=event_id,
        status=status,
        provider_status="payment_intent.succeeded",
        provider="stripe",
        amount=Decimal(amount),
        currency="USD",
        event_time=event_time,
    )


# --- event time ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-01T11:00:00Z",
        "2026-12-01T11:00:00.00Z",
        "2026-12-01T11:00:00.0000Z",
        "2026-12-01T11:00:00.000",
        "2026-12-01T11:00:00.000z",
        "2026-12-01T11:00:00.000+00:00",
        "2026-12-01 11:00:00.000Z",
        "2026-12-01T11:00:00.000Z ",
        " 2026-12-01T11:00:00.000Z",
        "2026-12-01T11:00:00.000Z\n",
        "2026-12-01",
        "1764586800",
        "",
        "\uff12\uff10\uff12\uff16-12-01T11:00:00.000Z",  # full-width digits
        "2026-13-01T11:00:00.000Z",
        "2026-02-30T11:00:00.000Z",
        "2026-12-01T24:00:00.000Z",
        "2026-12-01T23:59:60.000Z",
        "0000-12-01T11:00:00.000Z",
        "+2026-12-01T11:00:00.000Z",
    ],
)
def test_any_other_event_time_is_a_programming_error(text: str) -> None:
    with pytest.raises(ValueError, match="event_time"):
        check_event_time(text)
    with pytest.raises(ValueError, match="event_time"):
        event(event_time=text)


@pytest.mark.parametrize("status", ["", "Succeeded", "paid", "payment_intent.succeeded"])
def test_status_must_be_mapped(status: str) -> None:
    with pytest.raises(ValueError, match="status"):
        event(status=status)


# --- order key ----------------------------------------------------------------------------

TIMES = ["2026-12-01T11:00:00.000Z", "2026-12-01T11:00:00.001Z", "2026-12-01T11:00:01.000Z"]
times = st.sampled_from(TIMES) | st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59), timezones=st.just(UTC)
).map(utc_text)
# Any string DynamoDB can store (no lone surrogates), with the key's own separator and its neighbours often.
event_ids = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12) | st.text(
    alphabet='#"$!\x00\x7f~ é€\U0001f4b3_-.:aZ09', max_size=6
)
events = st.builds(event, status=st.sampled_from(STATUSES), event_time=times, event_id=event_ids)


def reference(e: PaymentEvent) -> tuple[bool, datetime, int, str]:
    """behaviour.md's "Payment status" rule, spelled out: (known, event time, rank, eventId)."""
    moment = datetime.strptime(e.event_time, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return (e.status != "unknown", moment, RANK[e.status], e.event_id)


def sign(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


@given(events, events)
def test_order_key_compares_like_the_tuple(a: PaymentEvent, b: PaymentEvent) -> None:
    expected = sign(reference(a), reference(b))
    assert sign(order_key(a), order_key(b)) == expected
    # DynamoDB compares the UTF-8 bytes of strings.
    assert sign(order_key(a).encode(), order_key(b).encode()) == expected


@given(events, st.sampled_from(STATUSES), event_ids)
def test_equal_times_order_by_rank_then_event_id(a: PaymentEvent, status: str, event_id: str) -> None:
    b = event(status=status, event_time=a.event_time, event_id=event_id)
    assert sign(order_key(a), order_key(b)) == sign(
        (a.status != "unknown", RANK[a.status], a.event_id), (status != "unknown", RANK[status], event_id)
    )


@given(st.sampled_from([s for s in STATUSES if s != "unknown"]), times, times, event_ids, event_ids)
def test_unknown_never_beats_a_known_status(status: str, t1: str, t2: str, id1: str, id2: str) -> None:
    assert order_key(event("unknown", t1, id1)) < order_key(event(status, t2, id2))


def test_order_key_layout() -> None:
    assert order_key(event("refunded", event_id="evt_#1")) == "1#2026-12-01T11:00:00.000Z#5#evt_#1"
    assert order_key(event("unknown", event_id="")) == "0#2026-12-01T11:00:00.000Z#0#"


def test_a_later_second_beats_a_higher_rank() -> None:
    assert order_key(event("disputed", "2026-12-01T11:00:00.999Z")) < order_key(
        event("pending", "2026-12-01T11:00:01.000Z")
    )


# --- the item and the write ---------------------------------------------------------------


def test_condition_is_one_conditional_put() -> None:
    assert CONDITION == "attribute_not_exists(transactionId) OR orderKey < :key"


def expected_item(amount: str = "19.99") -> dict[str, Any]:
    return {
        "transactionId": {"S": "pi_1"},
        "status": {"S": "succeeded"},
        "providerStatus": {"S": "payment_intent.succeeded"},
        "amount": {"N": amount},
        "currency": {"S": "USD"},
        "provider": {"S": "stripe"},
        "lastEventId": {"S": "evt_1"},
        "eventTime": {"S": "2026-12-01T11:00:00.000Z"},
        "updatedAt": {"S": UPDATED_AT},
        "orderKey": {"S": "1#2026-12-01T11:00:00.000Z#3#evt_1"},
    }


def test_put_item_request_is_exact(ddb_client: Any) -> None:
    with Stubber(ddb_client) as stub:
        stub.add_response(
            "put_item",
            {},
            {
                "TableName": TABLE,
                "Item": expected_item(),
                "ConditionExpression": CONDITION,
                "ExpressionAttributeValues": {":key": {"S": "1#2026-12-01T11:00:00.000Z#3#evt_1"}},
            },
        )
        assert DynamoPaymentStore(lambda: ddb_client, TABLE).apply(event(), UPDATED_AT) is True
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    "amount", ["12345678901234567890123456789012345678", "1234567890.123456789", "1E-130", "-9.5E+125", "150.50"]
)
def test_amount_is_exact_text(amount: str) -> None:
    assert event(amount=amount).to_item(UPDATED_AT) == expected_item(amount)


def test_zero_amount_is_zero() -> None:
    assert event(amount="0.00").to_item(UPDATED_AT)["amount"] == {"N": "0"}


def test_greater_or_equal_event_already_there_is_false_not_an_error(ddb_client: Any) -> None:
    with Stubber(ddb_client) as stub:
        stub.add_client_error("put_item", service_error_code="ConditionalCheckFailedException", http_status_code=400)
        assert DynamoPaymentStore(lambda: ddb_client, TABLE).apply(event(), UPDATED_AT) is False
        stub.assert_no_pending_responses()


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
            DynamoPaymentStore(lambda: ddb_client, TABLE).apply(event(), UPDATED_AT)
    err = info.value
    assert (err.status, err.code, err.detail) == (status, error, code)
    assert TABLE not in err.message and "arn:" not in err.message and "boom" not in err.message
    assert err.__cause__ is None and err.__suppress_context__


@pytest.mark.parametrize(
    "exc", [ReadTimeoutError(endpoint_url="https://dynamodb"), EndpointConnectionError(endpoint_url="https://x")]
)
def test_timeouts_and_connection_errors_are_503(exc: Exception) -> None:
    class Down:
        def put_item(self, **kwargs: Any) -> Any:
            raise exc

    with pytest.raises(WebhookError) as info:
        DynamoPaymentStore(Down, TABLE).apply(event(), UPDATED_AT)
    assert (info.value.status, info.value.code) == (503, "storage_unavailable")


def test_unexpected_error_propagates() -> None:
    class Broken:
        def put_item(self, **kwargs: Any) -> Any:
            raise TypeError("bug")

    with pytest.raises(TypeError, match="bug"):
        DynamoPaymentStore(Broken, TABLE).apply(event(), UPDATED_AT)


def test_client_is_created_lazily_per_call() -> None:
    calls: list[dict[str, Any]] = []

    class Recorder:
        def put_item(self, **kwargs: Any) -> Any:
            calls.append(kwargs)
            return {}

    made: list[int] = []

    def factory() -> Recorder:
        made.append(1)
        return Recorder()

    store = DynamoPaymentStore(factory, TABLE)
    assert made == []
    assert store.apply(event(), UPDATED_AT) is True
    assert len(made) == 1 and len(calls) == 1
