"""local_stack.emulator.streams: which stream a DynamoDB Streams call names for IAM."""

from __future__ import annotations

from local_stack.emulator.streams import stream_resource

STREAM = "arn:aws:dynamodb:eu-west-1:123456789012:table/payments-dev/stream/2026-12-04T02:23:31.104886"


def test_the_stream_arn_of_describe_stream_and_get_shard_iterator():
    assert stream_resource({"StreamArn": STREAM, "ShardId": "shardId-1"}) == STREAM


def test_the_stream_of_a_get_records_iterator():
    assert stream_resource({"ShardIterator": f"{STREAM}|1|c2VjcmV0", "Limit": 10}) == STREAM


def test_anything_else_stays_star():
    assert stream_resource({"TableName": "payments-dev"}) == "*"  # ListStreams
    assert stream_resource({"ShardIterator": "opaque"}) == "*"
    assert stream_resource(None) == "*"
