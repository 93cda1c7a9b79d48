"""The stream poller against a real moto server (local_stack.emulator.server): table streams,
an event source mapping read back from the emulator, a Python callable as the function."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_stack.emulator import Emulator, aws_env
from local_stack.emulator.fixtures import create_payments_table
from local_stack.streams.mapping import FunctionError, read_mappings, sqs_failure_sender
from local_stack.streams.poller import StreamPoller

pytestmark = pytest.mark.timeout(120)

REGION = "eu-west-1"
TABLE = "payments-stream-test"


class Aws:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        env = aws_env(endpoint, REGION)
        self.kwargs = {
            "endpoint_url": endpoint,  # pinned: botocore may address streams through an account endpoint
            "region_name": REGION,
            "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
        }

    def client(self, service: str) -> Any:
        return boto3.client(service, **self.kwargs)


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Aws]:
    with Emulator(Path(tmp_path_factory.mktemp("stream-emulator")) / "moto.log") as emulator:
        yield Aws(emulator.endpoint)


def zipped_handler() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("publisher.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def mapped(aws: Aws) -> dict[str, str]:
    """A payments table streaming NEW_AND_OLD_IMAGES, mapped to a function, with an on-failure queue."""
    ddb, lam, iam, sqs = aws.client("dynamodb"), aws.client("lambda"), aws.client("iam"), aws.client("sqs")
    create_payments_table(ddb, TABLE)
    stream_arn = ddb.update_table(
        TableName=TABLE, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    )["TableDescription"]["LatestStreamArn"]
    trust = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    role = iam.create_role(
        RoleName="publisher-stream-test",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [trust]}),
    )["Role"]["Arn"]
    function_arn = lam.create_function(
        FunctionName="publisher-stream-test",
        Runtime="python3.13",
        Role=role,
        Handler="publisher.handler",
        Code={"ZipFile": zipped_handler()},
    )["FunctionArn"]
    queue_url = sqs.create_queue(QueueName="publisher-failures-test")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.create_event_source_mapping(
        FunctionName=function_arn,  # as Terraform passes it (moto then lists it only under the ARN)
        EventSourceArn=stream_arn,
        StartingPosition="TRIM_HORIZON",
        BatchSize=2,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=1,
        MaximumRecordAgeInSeconds=3600,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    return {"stream_arn": stream_arn, "function_arn": function_arn, "queue_url": queue_url, "queue_arn": queue_arn}


@pytest.fixture(scope="module")
def written(aws: Aws, mapped: dict[str, str]) -> float:
    """pi_a's three statuses and pi_poison's one, written once; how long the writes took."""
    ddb = aws.client("dynamodb")
    started = time.monotonic()
    for txn, statuses in (("pi_a", ["pending", "succeeded", "refunded"]), ("pi_poison", ["pending"])):
        for status in statuses:
            ddb.put_item(
                TableName=TABLE,
                Item={
                    "transactionId": {"S": txn},
                    "status": {"S": status},
                    "amount": {"N": "19.99"},
                    "rawEventGzip": {"B": b"\x1f\x8b-gzip"},
                },
            )
    return time.monotonic() - started


def poller_for(aws: Aws, function: Any, function_arn: str) -> StreamPoller:
    poller = StreamPoller(
        aws.client("dynamodbstreams"),
        lambda mapping: function,
        sqs_failure_sender(aws.client("sqs")),
        options={"sleep": lambda _s: None, "log": lambda _l: None},
    )
    poller.refresh(read_mappings(aws.client("lambda"), function_arn))
    return poller


def drain(poller: StreamPoller) -> None:
    for _ in range(50):
        if not poller.poll():
            return
    raise AssertionError("the streams never went idle")


def test_the_mapping_settings_read_back_from_the_emulator(aws: Aws, mapped: dict[str, str]):
    (mapping,) = read_mappings(aws.client("lambda"), mapped["function_arn"])
    assert mapping.stream_arn == mapped["stream_arn"]
    assert mapping.function_arn == mapped["function_arn"]
    assert (mapping.batch_size, mapping.starting_position) == (2, "TRIM_HORIZON")
    assert mapping.report_item_failures and mapping.bisect_on_error
    assert (mapping.maximum_retry_attempts, mapping.maximum_record_age_seconds) == (1, 3600)
    assert mapping.on_failure_destination == mapped["queue_arn"]
    assert mapping.region == REGION


def test_writes_keep_their_records_and_the_poller_delivers_them_in_order(
    aws: Aws, mapped: dict[str, str], written: float
):
    assert written < 10  # moto would invoke the mapped function inside each write (through Docker)

    def publisher(payload: bytes) -> bytes:
        records = json.loads(payload)["Records"]
        events.append(records)
        if any(record["dynamodb"]["Keys"]["transactionId"]["S"] == "pi_poison" for record in records):
            raise FunctionError("Unhandled")
        published.extend(records)
        return b'{"batchItemFailures": []}'

    events: list[list[dict[str, Any]]] = []
    published: list[dict[str, Any]] = []
    drain(poller_for(aws, publisher, mapped["function_arn"]))
    # [pending, succeeded] ok; [refunded, poison] fails and is bisected: [refunded] ok, [poison] fails twice
    assert [len(batch) for batch in events] == [2, 2, 1, 1, 1]
    delivered = [r for r in published if r["dynamodb"]["Keys"]["transactionId"]["S"] == "pi_a"]
    history = [
        (r["eventName"], r["dynamodb"].get("OldImage", {}).get("status"), r["dynamodb"]["NewImage"]["status"])
        for r in delivered
    ]
    assert history == [
        ("INSERT", None, {"S": "pending"}),
        ("MODIFY", {"S": "pending"}, {"S": "succeeded"}),
        ("MODIFY", {"S": "succeeded"}, {"S": "refunded"}),
    ]
    first = delivered[0]
    assert first["eventVersion"] == "1.1" and first["eventSource"] == "aws:dynamodb"
    assert first["awsRegion"] == REGION and first["eventSourceARN"] == mapped["stream_arn"]
    assert first["dynamodb"]["NewImage"]["amount"] == {"N": "19.99"}  # number text as stored
    assert first["dynamodb"]["NewImage"]["rawEventGzip"] == {"B": "H4stZ3ppcA=="}
    assert first["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in delivered]
    assert sequence == sorted(sequence)

    # pi_poison's record failed (bisected alone, retried once): its sequence range is in the queue
    sqs = aws.client("sqs")
    messages = sqs.receive_message(QueueUrl=mapped["queue_url"], MaxNumberOfMessages=10).get("Messages", [])
    (message,) = [json.loads(m["Body"]) for m in messages]
    poison = [r for batch in events for r in batch if r["dynamodb"]["Keys"]["transactionId"]["S"] == "pi_poison"]
    info = message["DDBStreamBatchInfo"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == poison[0]["dynamodb"]["SequenceNumber"]
    assert info["streamArn"] == mapped["stream_arn"] and info["batchSize"] == 1
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"


def test_the_stream_still_holds_every_record_for_another_reader(aws: Aws, mapped: dict[str, str], written: float):
    seen: list[str] = []

    def reader(payload: bytes) -> bytes:
        seen.extend(r["dynamodb"]["NewImage"]["status"]["S"] for r in json.loads(payload)["Records"])
        return b"null"

    drain(poller_for(aws, reader, mapped["function_arn"]))
    assert seen == ["pending", "succeeded", "refunded", "pending"]
