"""Streams read as Lambda reads them, with IAM enforced: the function's role, allowed the stream
reads on exactly one stream ARN (local_stack.emulator.streams names the stream for IAM), reads that
stream with the poller and is refused every other stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_stack.emulator.fixtures import create_payments_table
from local_stack.streams.records import ShardReader
from tests.local_stack.enforced import LAMBDA_TRUST, enforced_emulator

pytestmark = pytest.mark.timeout(120)

STREAM_READS = ["dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords"]


@pytest.fixture(scope="module")
def streams(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with enforced_emulator(tmp_path_factory.mktemp("stream-iam") / "emulator.log") as emulator:
        admin = emulator.admin
        client = emulator.client
        ddb = client("dynamodb", admin)
        arns = {}
        for name in ("payments-own", "payments-other"):
            create_payments_table(ddb, name)
            spec = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
            arns[name] = ddb.update_table(TableName=name, StreamSpecification=spec)["TableDescription"][
                "LatestStreamArn"
            ]
            ddb.put_item(TableName=name, Item={"transactionId": {"S": f"pi-{name}"}, "status": {"S": "pending"}})
        role_arn = client("iam", admin).create_role(
            RoleName="publisher-iam", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST)
        )["Role"]["Arn"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": STREAM_READS, "Resource": arns["payments-own"]}],
        }
        client("iam", admin).put_role_policy(
            RoleName="publisher-iam", PolicyName="streams", PolicyDocument=json.dumps(policy)
        )
        role = emulator.assume(role_arn, "publisher-iam")
        yield {"streams": client("dynamodbstreams", role), "arns": arns}


def shard_of(streams: dict[str, Any], table: str) -> str:
    description = streams["streams"].describe_stream(StreamArn=streams["arns"][table])["StreamDescription"]
    return str(description["Shards"][0]["ShardId"])


def test_the_role_reads_its_stream(streams: dict[str, Any]):
    arn = streams["arns"]["payments-own"]
    reader = ShardReader(streams["streams"], arn, shard_of(streams, "payments-own"), "TRIM_HORIZON")
    (record,) = reader.read(10)
    assert record["dynamodb"]["Keys"] == {"transactionId": {"S": "pi-payments-own"}}


def test_the_role_is_refused_another_tables_stream(streams: dict[str, Any]):
    with pytest.raises(ClientError) as refused:
        streams["streams"].describe_stream(StreamArn=streams["arns"]["payments-other"])
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
