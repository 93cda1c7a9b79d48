"""webhook_cli.consume: the events FIFO queue read, printed, deduplicated and emptied (moto in-process)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from webhook_cli import consume

REGION = "eu-west-1"
SOURCE = "/payment-webhooks/clitest"


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "EVENTS_QUEUE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="payment-events-clitest.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        yield sqs, url


def status_changed(tx: str, event_id: str, previous: str | None, status: str, amount: str = "19.99") -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "type": "payment.status_changed",
        "id": f"payment.status_changed/{tx}/{event_id}",
        "source": SOURCE,
        "subject": tx,
        "time": "2026-12-01T11:00:00.000Z",
        "datacontenttype": "application/json",
        "data": {
            "transactionId": tx,
            "status": status,
            "previousStatus": previous,
            "providerStatus": status,
            "amount": amount,
            "currency": "USD",
            "provider": "stripe",
            "lastEventId": event_id,
            "eventTime": "2026-12-01T11:00:00.000Z",
            "updatedAt": "2026-12-01T11:00:01.000Z",
        },
    }


def event_received(tx: str, event_id: str, status: str, amount: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "type": "payment.event_received",
        "id": f"payment.event_received/{tx}/{event_id}",
        "source": SOURCE,
        "subject": tx,
        "time": "2026-12-01T11:00:00.000Z",
        "datacontenttype": "application/json",
        "data": {"transactionId": tx, "eventId": event_id, "status": status, "amount": amount, "currency": "EUR"},
    }


def publish(sqs: Any, url: str, event: dict[str, Any], dedup_suffix: str = "") -> None:
    """As the publisher sends: group = the payment, dedup id = SHA-256 of the message id."""
    sqs.send_message(
        QueueUrl=url,
        MessageBody=json.dumps(event, separators=(",", ":")),
        MessageGroupId=event["subject"],
        MessageDeduplicationId=hashlib.sha256((event["id"] + dedup_suffix).encode()).hexdigest(),
    )


def run(url: str, *extra: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = consume.main(["--no-env-file", "--queue-url", url, "--wait", "1", *extra])
    return code, capsys.readouterr().out.splitlines()


def remaining(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_each_payments_changes_print_in_order_with_exact_amounts_and_are_deleted(queue, capsys):
    sqs, url = queue
    publish(sqs, url, status_changed("pi_1", "evt_1", None, "pending", "1234567890123456789.01"))
    publish(sqs, url, event_received("psp_9", "CAPTURE:psp_9:true", "CAPTURE", "10"))
    publish(sqs, url, status_changed("pi_1", "evt_2", "pending", "succeeded", "1234567890123456789.01"))
    publish(sqs, url, status_changed("pi_1", "evt_3", "succeeded", "refunded", "1234567890123456789.01"))
    code, lines = run(url, capsys=capsys)
    assert code == 0
    assert [line for line in lines if "pi_1" in line] == [
        "payment.status_changed  pi_1  (new) -> pending  1234567890123456789.01 USD  "
        "id=payment.status_changed/pi_1/evt_1",
        "payment.status_changed  pi_1  pending -> succeeded  1234567890123456789.01 USD  "
        "id=payment.status_changed/pi_1/evt_2",
        "payment.status_changed  pi_1  succeeded -> refunded  1234567890123456789.01 USD  "
        "id=payment.status_changed/pi_1/evt_3",
    ]
    assert "payment.event_received  psp_9  CAPTURE  10 EUR  id=payment.event_received/psp_9/CAPTURE:psp_9:true" in lines
    assert len(lines) == 4
    assert remaining(sqs, url) == 0


def test_a_repeated_message_id_is_printed_once_and_still_deleted(queue, capsys):
    sqs, url = queue
    change = status_changed("pi_2", "evt_1", None, "pending")
    publish(sqs, url, change)
    publish(sqs, url, change, dedup_suffix="-redelivered")  # past SQS's dedup window: a second copy
    code, lines = run(url, capsys=capsys)
    assert (code, len(lines)) == (0, 1)
    assert remaining(sqs, url) == 0


def test_json_prints_the_cloudevent_as_received(queue, capsys):
    sqs, url = queue
    event = event_received("pi_3", "evt_1", "payment_intent.created", "0.000001")
    publish(sqs, url, event)
    code, lines = run(url, "--json", capsys=capsys)
    assert code == 0
    assert lines == [json.dumps(event, separators=(",", ":"))]
    assert json.loads(lines[0])["data"]["amount"] == "0.000001"


def test_max_messages_stops_early_and_leaves_the_rest(queue, capsys):
    sqs, url = queue
    for n in range(3):
        publish(sqs, url, status_changed(f"pi_m{n}", "evt_1", None, "pending"))
    code, lines = run(url, "--max-messages", "2", capsys=capsys)
    assert (code, len(lines)) == (0, 2)
    assert remaining(sqs, url) == 1


def test_a_body_that_is_not_json_is_left_in_the_queue(queue, capsys):
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="not json", MessageGroupId="g", MessageDeduplicationId="d")
    code, lines = run(url, capsys=capsys)
    assert (code, lines) == (0, [])
    # received once (now invisible for the visibility timeout) but not deleted
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_the_queue_url_comes_from_the_env_file(queue, capsys, tmp_path: Path):
    sqs, url = queue
    publish(sqs, url, status_changed("pi_4", "evt_1", None, "pending"))
    env_file = tmp_path / "local.env"
    env_file.write_text(f"EVENTS_QUEUE_URL={url}\nAWS_REGION={REGION}\n")
    assert consume.main(["--env-file", str(env_file), "--wait", "1"]) == 0
    assert "pi_4" in capsys.readouterr().out


def test_no_queue_is_a_usage_error(queue, capsys):
    assert consume.main(["--no-env-file"]) == consume.EXIT_USAGE
    assert "EVENTS_QUEUE_URL" in capsys.readouterr().err


def test_an_aws_error_names_its_code_only(queue, capsys):
    _sqs, url = queue
    code = consume.main(["--no-env-file", "--queue-url", url.replace("clitest", "missing"), "--wait", "1"])
    assert code == consume.EXIT_AWS
    err = capsys.readouterr().err
    assert "AWS error:" in err and "arn:" not in err
