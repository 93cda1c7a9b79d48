"""behaviour.md "Payment status" examples through handler.handler on moto: the events table and the payments table."""

from __future__ import annotations

import json
import time
from itertools import permutations
from typing import Any

import pytest
from botocore.stub import Stubber

from tests.provider_signing import adyen_event, adyen_item, sample, stripe_event, stripe_payment
from webhook import aws as aws_clients
from webhook import wiring

PI = "pi_3MtwBwLkdIwHu7ix28a3tqPa"
PSP = "QFQTPCQ8HXSKGK82"
T = 1_767_268_800  # 2026-01-01T12:00:00Z


def payment(aws: Any, table: str, transaction_id: str) -> dict[str, Any]:
    item: dict[str, Any] = aws.ddb.get_item(
        TableName=table, Key={"transactionId": {"S": transaction_id}}, ConsistentRead=True
    )["Item"]
    return {k: next(iter(v.values())) for k, v in item.items()}


def stripe_events() -> dict[str, dict[str, Any]]:
    refund = sample("stripe_charge_refunded.json")
    refund.update(id="evt_refund", created=T + 60)
    return {
        "created": stripe_payment(
            "payment_intent.created", event_id="evt_created", created=T, status="requires_payment_method"
        ),
        "succeeded": stripe_payment("payment_intent.succeeded", event_id="evt_succeeded", created=T),
        "refunded": refund,
    }


@pytest.mark.parametrize("order", list(permutations(["created", "succeeded", "refunded"])))
def test_stripe_created_and_succeeded_in_one_second_then_refunded(
    aws: Any, providers: Any, payments_table: str, call: Any, order: tuple[str, ...]
) -> None:
    events = stripe_events()
    for name in order:
        assert call(stripe_event(events[name]))["statusCode"] == 200
    item = payment(aws, payments_table, PI)
    assert item["status"] == "partially_refunded"  # 500 of 2000 refunded
    assert item["providerStatus"] == "charge.refunded" and item["lastEventId"] == "evt_refund"
    assert item["eventTime"] == "2026-01-01T12:01:00.000Z" and item["provider"] == "stripe"
    assert item["amount"] == "20.00" and item["currency"] == "USD"
    assert aws.count() == 3  # every event kept in the transactions table


@pytest.mark.parametrize("order", [("created", "succeeded"), ("succeeded", "created")])
def test_same_second_ties_break_by_rank(
    aws: Any, providers: Any, payments_table: str, call: Any, order: tuple[str, str]
) -> None:
    events = stripe_events()
    for name in order:
        call(stripe_event(events[name]))
    item = payment(aws, payments_table, PI)
    assert (item["status"], item["lastEventId"], item["eventTime"]) == (
        "succeeded",
        "evt_succeeded",
        "2026-01-01T12:00:00.000Z",
    )


def test_full_refund_is_refunded(aws: Any, providers: Any, payments_table: str, call: Any) -> None:
    refund = sample("stripe_charge_refunded.json")
    refund["data"]["object"]["amount_refunded"] = 2000
    assert call(stripe_event(refund))["statusCode"] == 200
    assert payment(aws, payments_table, PI)["status"] == "refunded"


def test_ignored_stripe_events_do_not_touch_the_payment(
    aws: Any, providers: Any, payments_table: str, call: Any
) -> None:
    assert json.loads(call(stripe_event(sample("stripe_customer_created.json")))["body"])["status"] == "ignored"
    assert aws.ddb.scan(TableName=payments_table)["Items"] == []


@pytest.mark.parametrize("batched", [False, True])
def test_adyen_capture_before_authorisation(
    aws: Any, providers: Any, payments_table: str, call: Any, batched: bool
) -> None:
    capture = sample("adyen_capture.json")["notificationItems"][0]["NotificationRequestItem"]
    authorisation = adyen_item()
    deliveries = [[capture, authorisation]] if batched else [[capture], [authorisation]]
    for items in deliveries:
        assert call(adyen_event(items))["body"] == "[accepted]"
    item = payment(aws, payments_table, PSP)
    assert item["status"] == "succeeded" and item["providerStatus"] == "CAPTURE"
    assert item["lastEventId"] == "CAPTURE:V4HZ4RBFJGXXGN82:true"
    assert item["eventTime"] == "2026-12-01T10:05:00.000Z"  # eventDate 11:05+01:00, in UTC
    assert item["amount"] == "11.30" and item["provider"] == "adyen"


def test_adyen_failed_authorisation_is_failed(aws: Any, providers: Any, payments_table: str, call: Any) -> None:
    call(adyen_event([adyen_item(success="false")]))
    assert payment(aws, payments_table, PSP)["status"] == "failed"


def test_standard_payload_status_and_timestamp(
    aws: Any, payments_table: str, invoke: Any, make_event: Any, make_payload: Any
) -> None:
    late = make_payload(status="refunded", timestamp="2026-01-01T13:00:00+01:00")  # 12:00Z
    early = make_payload(status="succeeded", timestamp="2026-01-01T11:59:59Z")
    assert invoke(make_event(late, webhook_id="msg_late")).status == 200
    assert invoke(make_event(early, webhook_id="msg_early")).status == 200
    item = payment(aws, payments_table, "txn_0001")
    assert (item["status"], item["eventTime"], item["lastEventId"]) == (
        "refunded",
        "2026-01-01T12:00:00.000Z",
        "msg_late",
    )
    assert item["provider"] == "acme-pay"


def test_event_time_of_a_retry_is_the_first_processing_time(
    aws: Any, payments_table: str, invoke: Any, make_event: Any, make_payload: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import handler as handler_module
    from webhook.service import WebhookService

    clock = [time.time()]
    service = WebhookService(wiring.from_environment, clock=lambda: clock[0], enabled=wiring.enabled)
    monkeypatch.setattr(handler_module, "_service", service)
    body = make_payload(timestamp=None, status="pending")
    assert invoke(make_event(body, webhook_id="msg_nots")).body["status"] == "accepted"
    first = payment(aws, payments_table, "txn_0001")
    stored = aws.get("txn_0001", "msg_nots")
    assert stored is not None and first["eventTime"] == stored["processedAt"]["S"]
    # The payment write is lost; the retry comes 5 s later and heals it, with the same event time.
    aws.ddb.delete_item(TableName=payments_table, Key={"transactionId": {"S": "txn_0001"}})
    clock[0] += 5
    assert invoke(make_event(body, webhook_id="msg_nots")).body["status"] == "duplicate"
    healed = payment(aws, payments_table, "txn_0001")
    assert healed["eventTime"] == first["eventTime"] and healed["updatedAt"] != first["updatedAt"]


def test_payment_write_failure_is_5xx_and_the_retry_heals(
    aws: Any, providers: Any, payments_table: str, call: Any
) -> None:
    delivery = stripe_event(stripe_payment())
    ddb = aws_clients.client("dynamodb")
    real_put = ddb.put_item

    def failing_payments(**kwargs: Any) -> Any:
        if kwargs["TableName"] == payments_table:
            with Stubber(ddb) as stub:
                stub.add_client_error("put_item", "ThrottlingException", http_status_code=400)
                return real_put(**kwargs)
        return real_put(**kwargs)

    ddb.put_item = failing_payments  # type: ignore[method-assign]
    try:
        response = call(delivery)
    finally:
        del ddb.put_item
    assert response["statusCode"] == 503
    assert json.loads(response["body"])["error"]["code"] == "storage_unavailable"
    assert aws.count() == 1  # the event is stored; the payment is not yet
    assert json.loads(call(delivery)["body"])["status"] == "duplicate"
    assert payment(aws, payments_table, PI)["status"] == "succeeded"


def test_without_payments_table_nothing_else_is_written(aws: Any, providers: Any, call: Any) -> None:
    wiring.reset(clients=False)
    assert call(stripe_event(stripe_payment()))["statusCode"] == 200
    assert aws.count() == 1
