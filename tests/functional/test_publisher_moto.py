"""The publisher on items the receiver really stored (moto, in-process).

Each delivery goes through ``handler.handler``; the items it wrote are read back and
wrapped as the stream records DynamoDB Streams would deliver for them (in-process moto
has no stream API: the images are the items as stored, binary as base64, and the payment
item's successive versions as NewImage/OldImage). The publisher sends to a real (moto)
FIFO queue and a bus whose rule forwards to a queue; what consumers read is checked.
"""

from __future__ import annotations

import base64
import itertools
import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import publisher as publisher_module
from tests.provider_signing import stripe_event, stripe_payment
from webhook import aws as aws_clients
from webhook.status_map import RANK

from .conftest import PAYMENTS_TABLE, REGION, TABLE

SUFFIX = "functest"
ACCOUNT = "123456789012"


def stream_arn(table: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}/stream/2026-12-01T00:00:00.000"


def to_stream_image(item: dict[str, Any]) -> dict[str, Any]:
    """An item as the low-level client returns it, in a stream record's JSON form (B as base64 text)."""
    return {k: {"B": base64.b64encode(v["B"]).decode()} if "B" in v else v for k, v in item.items()}


class Streams:
    """Stream records of what the receiver wrote, in write order."""

    def __init__(self, ddb: Any) -> None:
        self.ddb = ddb
        self.records: list[dict[str, Any]] = []
        self.sequence = itertools.count(100)
        self.payments: dict[str, dict[str, Any]] = {}

    def _record(self, table: str, name: str, new: dict[str, Any] | None, old: dict[str, Any] | None) -> None:
        dynamodb: dict[str, Any] = {"SequenceNumber": str(next(self.sequence)), "StreamViewType": "NEW_AND_OLD_IMAGES"}
        if new is not None:
            dynamodb["NewImage"] = to_stream_image(new)
        if old is not None:
            dynamodb["OldImage"] = to_stream_image(old)
        self.records.append(
            {
                "eventName": name,
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": REGION,
                "eventSourceARN": stream_arn(table),
                "dynamodb": dynamodb,
            }
        )

    def after_delivery(self, txn: str, event_id: str, written: bool) -> None:
        if written:
            item = self.ddb.get_item(TableName=TABLE, Key={"transactionId": {"S": txn}, "eventId": {"S": event_id}})
            self._record(TABLE, "INSERT", item["Item"], None)
        now = self.ddb.get_item(TableName=PAYMENTS_TABLE, Key={"transactionId": {"S": txn}}, ConsistentRead=True)
        new, old = now.get("Item"), self.payments.get(txn)
        if new is not None and new != old:
            self._record(PAYMENTS_TABLE, "INSERT" if old is None else "MODIFY", new, old)
            self.payments[txn] = new

    def take(self) -> list[dict[str, Any]]:
        taken, self.records = self.records, []
        return taken


@pytest.fixture
def outlets(aws: Any, providers: Any, payments_table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    events = boto3.client("events", region_name=REGION)
    fifo = sqs.create_queue(
        QueueName="events-functest.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"}
    )["QueueUrl"]
    tap = sqs.create_queue(QueueName="bus-tap-functest")["QueueUrl"]
    tap_arn = sqs.get_queue_attributes(QueueUrl=tap, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.create_event_bus(Name="events-functest")
    events.put_rule(
        Name="all", EventBusName="events-functest", EventPattern=json.dumps({"source": [f"payment-webhooks.{SUFFIX}"]})
    )
    events.put_targets(Rule="all", EventBusName="events-functest", Targets=[{"Id": "tap", "Arn": tap_arn}])
    for name, value in {
        "EVENTS_QUEUE_URL": fifo,
        "EVENT_BUS_NAME": "events-functest",
        "ENVIRONMENT_SUFFIX": SUFFIX,
    }.items():
        monkeypatch.setenv(name, value)
    aws_clients.reset_clients()
    publisher_module._publisher.clear()
    yield {"sqs": sqs, "fifo": fifo, "tap": tap, "streams": Streams(aws.ddb)}
    publisher_module._publisher.clear()
    for url in (fifo, tap):
        sqs.delete_queue(QueueUrl=url)
    events.remove_targets(Rule="all", EventBusName="events-functest", Ids=["tap"])
    events.delete_rule(Name="all", EventBusName="events-functest")
    events.delete_event_bus(Name="events-functest")


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
        if not got:
            return bodies
        for message in got:
            bodies.append({"body": json.loads(message["Body"]), "group": message["Attributes"].get("MessageGroupId")})
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def deliver(call: Any, streams: Streams, event: dict[str, Any]) -> None:
    response = call(stripe_event(event))
    assert response["statusCode"] == 200, response
    answer = json.loads(response["body"])
    streams.after_delivery(answer["transactionId"], answer["eventId"], answer["status"] == "accepted")


def test_stored_events_and_status_changes_reach_the_queue_and_the_bus(outlets: dict[str, Any], call: Any) -> None:
    streams = outlets["streams"]
    txn = "pi_publisher_1"
    succeeded = stripe_payment(
        "payment_intent.succeeded", event_id="evt_p2", created=1_767_268_900, id=txn, amount=1999
    )
    created = stripe_payment("payment_intent.created", event_id="evt_p1", created=1_767_268_800, id=txn, amount=1999)
    for event in (succeeded, created, succeeded):  # out of order, then a re-delivery
        deliver(call, streams, event)
    answer = publisher_module.handler({"Records": streams.take()}, None)
    assert answer == {"batchItemFailures": []}

    queued = drain(outlets["sqs"], outlets["fifo"])
    assert {m["group"] for m in queued} == {txn}
    kinds = [(m["body"]["type"], m["body"]["data"].get("status")) for m in queued]
    assert kinds.count(("payment.event_received", "payment_intent.succeeded")) == 1  # the re-delivery stored nothing
    assert kinds.count(("payment.event_received", "payment_intent.created")) == 1
    changes = [m["body"]["data"] for m in queued if m["body"]["type"] == "payment.status_changed"]
    assert [(c["previousStatus"], c["status"]) for c in changes] == [
        (None, "succeeded")
    ]  # the late "pending" changes nothing
    received = next(m["body"] for m in queued if m["body"]["data"].get("eventId") == "evt_p2")
    assert received["data"]["amount"] == "19.99" and received["data"]["amountMinor"] == "1999"
    assert received["data"]["rawEvent"] == json.dumps(succeeded, indent=2)  # the body exactly as received
    assert received["data"]["receivedVia"] == "webhook"
    assert received["time"] == "2026-01-01T12:01:40.000Z"

    bus = drain(outlets["sqs"], outlets["tap"])
    assert sorted(m["body"]["detail"]["id"] for m in bus) == sorted(m["body"]["id"] for m in queued)
    assert {m["body"]["source"] for m in bus} == {f"payment-webhooks.{SUFFIX}"}
    assert {m["body"]["detail-type"] for m in bus} == {"payment.event_received", "payment.status_changed"}


def test_a_record_that_cannot_be_published_stops_the_batch(
    outlets: dict[str, Any], call: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    streams = outlets["streams"]
    for n in range(3):
        deliver(
            call, streams, stripe_payment(event_id=f"evt_poison_{n}", id=f"pi_poison_{n}", created=1_767_268_800 + n)
        )
    records = [r for r in streams.take() if r["eventSourceARN"] == stream_arn(TABLE)]
    monkeypatch.setenv("EVENTS_QUEUE_URL", outlets["fifo"].replace("events-functest", "missing-queue"))
    publisher_module._publisher.clear()
    broken = publisher_module.handler({"Records": records}, None)
    assert broken == {"batchItemFailures": [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]}
    assert drain(outlets["sqs"], outlets["tap"]) == []  # nothing after the failed record went to the bus either


EVENTS = [
    ("payment_intent.created", 0),
    ("payment_intent.succeeded", 2),
    ("charge.refunded", 3),
    ("charge.dispute.created", 4),
    ("payment_intent.created", 2),  # same second as a later status: rank decides
]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(len(EVENTS))))
def test_any_delivery_order_publishes_status_changes_in_the_payment_order(
    outlets: dict[str, Any], call: Any, order: list[int]
) -> None:
    streams = outlets["streams"]
    txn = f"pi_order_{uuid.uuid4().hex}"  # the fixture's tables outlive each example
    for index in order:
        kind, second = EVENTS[index]
        obj: dict[str, Any] = {
            "id": f"ch_{txn}" if kind.startswith("charge") else txn,
            "amount": 1000,
            "payment_intent": txn,
            "amount_refunded": 1000 if kind == "charge.refunded" else 0,
        }
        deliver(call, streams, stripe_payment(kind, event_id=f"evt_{index}", created=1_767_268_800 + second, **obj))
    assert publisher_module.handler({"Records": streams.take()}, None) == {"batchItemFailures": []}
    changes = [
        m["body"] for m in drain(outlets["sqs"], outlets["fifo"]) if m["body"]["type"] == "payment.status_changed"
    ]
    drain(outlets["sqs"], outlets["tap"])
    keys = [
        (c["data"]["status"] != "unknown", c["data"]["eventTime"], RANK[c["data"]["status"]], c["data"]["lastEventId"])
        for c in changes
    ]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)  # each change moves the payment forward
    assert changes[0]["data"]["previousStatus"] is None
    for before, after in itertools.pairwise(changes):  # a change only when the status changes, chained
        assert after["data"]["previousStatus"] == before["data"]["status"] != after["data"]["status"]
    final = streams.payments[txn]
    assert changes[-1]["data"]["status"] == final["status"]["S"] == "disputed"
    assert changes[-1]["id"] == f"payment.status_changed/{txn}/{final['lastEventId']['S']}"
