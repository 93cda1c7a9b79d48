"""local_stack.streams.runner as `make up` runs it: a mapped function on AWS's Lambda runtime
(aws-lambda-rie + awslambdaric) fed by a moto server's table stream, partial-batch answers
honoured, a poison record in the on-failure queue."""

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

from local_stack import processes
from local_stack.emulator import REGION, Emulator, aws_env
from local_stack.emulator.fixtures import create_payments_table
from local_stack.layout import Layout
from local_stack.streams import launch

pytestmark = pytest.mark.timeout(180)

FUNCTION = "publisher-runner-test"

# A stand-in publisher: forwards each record's status to OUT_QUEUE_URL in stream order, stops
# at the first "poison" record and reports it (ReportBatchItemFailures), as the real one does.
HANDLER = """
import json, os
import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    for record in event["Records"]:
        image = record["dynamodb"]["NewImage"]
        if image["status"]["S"] == "poison":
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
        body = {"tx": image["transactionId"]["S"], "status": image["status"]["S"], "amount": image["amount"]["N"],
                "region": record["awsRegion"], "version": record["eventVersion"], "function": context.function_name}
        sqs.send_message(QueueUrl=os.environ["OUT_QUEUE_URL"], MessageBody=json.dumps(body))
    return {"batchItemFailures": []}
"""


def package(tmp_path: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("publisher.py", HANDLER)
    path = tmp_path / "publisher.zip"
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with Emulator(tmp_path / "moto.log") as emulator:
        env = aws_env(emulator.endpoint, REGION)
        kwargs = {"endpoint_url": emulator.endpoint, "region_name": REGION}
        kwargs.update(aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
        ddb, lam, iam, sqs = (boto3.client(s, **kwargs) for s in ("dynamodb", "lambda", "iam", "sqs"))
        create_payments_table(ddb, "payments-runner-test")
        stream_arn = ddb.update_table(
            TableName="payments-runner-test",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )["TableDescription"]["LatestStreamArn"]
        out_url = sqs.create_queue(QueueName="runner-out")["QueueUrl"]
        dlq_url = sqs.create_queue(QueueName="runner-failures")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        trust = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        role = iam.create_role(
            RoleName=FUNCTION, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [trust]})
        )["Role"]["Arn"]
        zip_path = package(tmp_path)
        lam.create_function(
            FunctionName=FUNCTION,
            Runtime="python3.13",
            Role=role,
            Handler="publisher.handler",
            Code={"ZipFile": zip_path.read_bytes()},
            Timeout=10,
            Environment={"Variables": {"OUT_QUEUE_URL": out_url}},
        )
        lam.create_event_source_mapping(
            FunctionName=FUNCTION,
            EventSourceArn=stream_arn,
            StartingPosition="TRIM_HORIZON",
            BatchSize=10,
            FunctionResponseTypes=["ReportBatchItemFailures"],
            BisectBatchOnFunctionError=True,
            MaximumRetryAttempts=1,
            DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
        )
        layout = Layout(tmp_path / "build")
        layout.logs.mkdir(parents=True)
        pid = launch.start_stream_runner(layout, emulator.endpoint, FUNCTION, zip_path, None)
        try:
            yield {"ddb": ddb, "sqs": sqs, "out": out_url, "dlq": dlq_url, "pid": pid, "layout": layout}
        finally:
            workers = processes.descendants(pid)  # aws-lambda-rie and the runtime under it
            processes.stop_process(pid, launch.MARKER, "stream poller", print)
            assert not [p for p in [pid, *workers] if processes.pid_alive(p)], "the runner left processes behind"


def receive_all(sqs: Any, url: str, count: int, timeout: float = 60) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(found) < count and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_the_function_runs_on_the_lambda_runtime_fed_by_the_stream(stack: dict[str, Any]):
    assert processes.pid_alive(stack["pid"])  # started and polling (its ready file names its pid)
    ddb = stack["ddb"]
    writes = [("pi_1", "pending", "19.99"), ("pi_1", "succeeded", "19.99"), ("pi_1", "refunded", "19.99")]
    writes += [("pi_2", "poison", "1")]  # last: a failed record takes the rest of its batch with it
    for tx, status, amount in writes:
        item = {"transactionId": {"S": tx}, "status": {"S": status}, "amount": {"N": amount}}
        ddb.put_item(TableName="payments-runner-test", Item=item)

    published = receive_all(stack["sqs"], stack["out"], 3)
    assert [(m["tx"], m["status"], m["amount"]) for m in published] == [
        ("pi_1", "pending", "19.99"),
        ("pi_1", "succeeded", "19.99"),
        ("pi_1", "refunded", "19.99"),
    ]
    assert {(m["region"], m["version"], m["function"]) for m in published} == {(REGION, "1.1", FUNCTION)}

    (failure,) = receive_all(stack["sqs"], stack["dlq"], 1)
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    info = failure["DDBStreamBatchInfo"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["batchSize"] == 1
    assert "poison" not in (stack["layout"].logs / "stream-runner.log").read_text()  # metadata only, no records
