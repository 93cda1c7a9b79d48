"""The publisher's rules with fakes: which record publishes what, the CloudEvent's
fields, exact money as strings, the claim check, the FIFO group and deduplication
id, the bus entry, and stopping at the first record that cannot be published."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from typing import Any

import pytest

from webhook.events_out.destinations import EventBus, FifoQueue, PublishError
from webhook.events_out.messages import MAX_ENTRY_BYTES, Message
from webhook.events_out.publisher import Publisher, PublisherSettings

TX_TABLE, PAY_TABLE, SUFFIX = "pw-t1-transactions", "pw-t1-payments", "t1"
SETTINGS = PublisherSettings(TX_TABLE, PAY_TABLE, SUFFIX)


def arn(table: str) -> str:
    return f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}/stream/2026-12-01T00:00:00.000"


def s(value: str) -> dict[str, str]:
    return {"S": value}


def event_item(txn: str = "pi_1", event_id: str = "evt_1", amount: str = "19.99", **extra: Any) -> dict[str, Any]:
    item = {
        "transactionId": s(txn),
        "eventId": s(event_id),
        "amount": {"N": amount},
        "currency": s("USD"),
        "status": s("payment_intent.succeeded"),
        "provider": s("stripe"),
        "timestamp": s("2026-12-01T12:00:00+01:00"),
        "processedAt": s("2026-12-01T11:00:01.000Z"),
        "receivedVia": s("webhook"),
        "rawEvent": s('{"amount": 1999}'),
    }
    item.update(extra)
    return item


def payment_item(
    txn: str = "pi_1", status: str = "succeeded", event_id: str = "evt_1", amount: str = "19.99"
) -> dict[str, Any]:
    return {
        "transactionId": s(txn),
        "status": s(status),
        "providerStatus": s("payment_intent." + status),
        "amount": {"N": amount},
        "currency": s("USD"),
        "provider": s("stripe"),
        "lastEventId": s(event_id),
        "eventTime": s("2026-12-01T11:00:00.000Z"),
        "updatedAt": s("2026-12-01T11:00:01.000Z"),
    }


def record(table: str, name: str, seq: str, new: Any = None, old: Any = None) -> dict[str, Any]:
    dynamodb: dict[str, Any] = {"SequenceNumber": seq, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if new is not None:
        dynamodb["NewImage"] = new
    if old is not None:
        dynamodb["OldImage"] = old
    return {"eventName": name, "eventSource": "aws:dynamodb", "eventSourceARN": arn(table), "dynamodb": dynamodb}


class Sink:
    def __init__(self, fail_on: str | None = None) -> None:
        self.sent: list[Message] = []
        self.fail_on = fail_on

    def send(self, message: Message) -> None:
        if message.id == self.fail_on:
            raise PublishError("queue: ServiceUnavailable")
        self.sent.append(message)


def publish(records: list[dict[str, Any]], sink: Sink | None = None) -> tuple[dict[str, Any], Sink, list[str]]:
    sink = sink or Sink()
    lines: list[str] = []
    answer = Publisher(SETTINGS, [sink], log=lines.append).handle({"Records": records})
    return answer, sink, lines


def test_transactions_insert_is_event_received_with_every_field() -> None:
    answer, sink, _ = publish([record(TX_TABLE, "INSERT", "1", event_item(amountMinor={"N": "1999"}))])
    assert answer == {"batchItemFailures": []}
    (message,) = sink.sent
    assert message.document == {
        "specversion": "1.0",
        "type": "payment.event_received",
        "id": "payment.event_received/pi_1/evt_1",
        "source": "/payment-webhooks/t1",
        "subject": "pi_1",
        "time": "2026-12-01T11:00:00.000Z",  # the stored timestamp, in UTC, fixed format
        "datacontenttype": "application/json",
        "data": {
            "transactionId": "pi_1",
            "eventId": "evt_1",
            "provider": "stripe",
            "status": "payment_intent.succeeded",
            "amount": "19.99",
            "amountMinor": "1999",
            "currency": "USD",
            "timestamp": "2026-12-01T12:00:00+01:00",
            "processedAt": "2026-12-01T11:00:01.000Z",
            "receivedVia": "webhook",
            "rawEvent": '{"amount": 1999}',
        },
    }
    assert "rawEventOmitted" not in message.document["data"]


@pytest.mark.parametrize(
    ("stored", "text"),
    [
        ("1E+3", "1000"),
        ("0.1", "0.1"),
        ("-5", "-5"),
        ("1.2E-7", "0.00000012"),
        ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
    ],
)
def test_amounts_are_plain_strings_with_every_digit(stored: str, text: str) -> None:
    _, sink, _ = publish([record(TX_TABLE, "INSERT", "1", event_item(amount=stored))])
    assert sink.sent[0].document["data"]["amount"] == text
    assert f'"amount":"{text}"' in sink.sent[0].body()


def test_gzip_body_is_restored_from_the_stream_image() -> None:
    body = '{"amount": 19.990, "name": "Zoë"}' * 40
    packed = base64.b64encode(gzip.compress(body.encode(), mtime=0)).decode()
    item = event_item()
    del item["rawEvent"]
    item["rawEventGzip"] = {"B": packed}
    _, sink, _ = publish([record(TX_TABLE, "INSERT", "1", item)])
    assert sink.sent[0].document["data"]["rawEvent"] == body


def test_a_message_too_large_for_an_entry_omits_the_body() -> None:
    body = json.dumps({"pad": "x" * MAX_ENTRY_BYTES})
    _, sink, _ = publish([record(TX_TABLE, "INSERT", "1", event_item(rawEvent=s(body)))])
    data = sink.sent[0].document["data"]
    assert "rawEvent" not in data and data["rawEventOmitted"] is True
    assert len(sink.sent[0].body().encode()) < MAX_ENTRY_BYTES


def test_payments_insert_and_status_change_publish_but_a_kept_status_does_not() -> None:
    first, second = payment_item(status="pending", event_id="evt_1"), payment_item(status="succeeded", event_id="evt_2")
    kept = {**second, "updatedAt": s("2026-12-01T11:00:09.000Z")}
    answer, sink, _ = publish(
        [
            record(PAY_TABLE, "INSERT", "1", first),
            record(PAY_TABLE, "MODIFY", "2", second, first),
            record(PAY_TABLE, "MODIFY", "3", kept, second),
        ]
    )
    assert answer == {"batchItemFailures": []}
    assert [(m.document["data"]["previousStatus"], m.document["data"]["status"]) for m in sink.sent] == [
        (None, "pending"),
        ("pending", "succeeded"),
    ]
    change = sink.sent[1].document
    assert change["id"] == "payment.status_changed/pi_1/evt_2" and change["type"] == "payment.status_changed"
    assert change["time"] == "2026-12-01T11:00:00.000Z"
    assert set(change["data"]) == {
        "transactionId",
        "status",
        "previousStatus",
        "providerStatus",
        "amount",
        "currency",
        "provider",
        "lastEventId",
        "eventTime",
        "updatedAt",
    }


def test_removes_modifies_of_events_and_other_tables_publish_nothing() -> None:
    answer, sink, _ = publish(
        [
            record(TX_TABLE, "REMOVE", "1", old=event_item()),  # a TTL deletion
            record(PAY_TABLE, "REMOVE", "2", old=payment_item()),
            record(TX_TABLE, "MODIFY", "3", event_item(), event_item()),
            record("another-table", "INSERT", "4", event_item()),
        ]
    )
    assert answer == {"batchItemFailures": []} and sink.sent == []


def test_stops_at_the_first_record_it_cannot_publish() -> None:
    records = [record(TX_TABLE, "INSERT", str(n), event_item(event_id=f"evt_{n}")) for n in (1, 2, 3)]
    answer, sink, lines = publish(records, Sink(fail_on="payment.event_received/pi_1/evt_2"))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "2"}]}
    assert [m.id for m in sink.sent] == ["payment.event_received/pi_1/evt_1"]  # nothing after the failure
    log = json.loads(lines[0])
    assert log["outcome"] == "failed" and log["failedSequenceNumber"] == "2" and "arn:" not in lines[0]


def test_a_record_without_its_image_is_a_failure_not_a_skip() -> None:
    answer, sink, _ = publish([record(TX_TABLE, "INSERT", "7"), record(TX_TABLE, "INSERT", "8", event_item())])
    assert answer == {"batchItemFailures": [{"itemIdentifier": "7"}]} and sink.sent == []


class FakeSqs:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def send_message(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {"MessageId": "m"}


class FakeEvents:
    def __init__(self, failed: int = 0) -> None:
        self.calls: list[dict[str, Any]] = []
        self.failed = failed

    def put_events(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        entries = [{"ErrorCode": "InternalFailure"}] if self.failed else [{"EventId": "e"}]
        return {"FailedEntryCount": self.failed, "Entries": entries}


def test_fifo_group_is_the_payment_and_dedup_id_the_sha256_of_the_id() -> None:
    sqs = FakeSqs()
    _, sink, _ = publish([record(TX_TABLE, "INSERT", "1", event_item())])
    FifoQueue(lambda: sqs, "https://queue/q.fifo").send(sink.sent[0])
    (call,) = sqs.calls
    assert call["MessageGroupId"] == "pi_1"
    assert call["MessageDeduplicationId"] == hashlib.sha256(b"payment.event_received/pi_1/evt_1").hexdigest()
    assert json.loads(call["MessageBody"]) == sink.sent[0].document


def test_bus_entry_and_a_partial_failure_is_a_failure() -> None:
    events = FakeEvents()
    _, sink, _ = publish([record(TX_TABLE, "INSERT", "1", event_item())])
    EventBus(lambda: events, "pw-t1-events", SUFFIX).send(sink.sent[0])
    (entry,) = events.calls[0]["Entries"]
    assert entry["Source"] == "payment-webhooks.t1" and entry["DetailType"] == "payment.event_received"
    assert entry["EventBusName"] == "pw-t1-events" and json.loads(entry["Detail"]) == sink.sent[0].document
    with pytest.raises(PublishError, match="InternalFailure"):
        EventBus(lambda: FakeEvents(failed=1), "pw-t1-events", SUFFIX).send(sink.sent[0])
