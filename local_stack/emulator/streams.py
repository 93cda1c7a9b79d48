"""DynamoDB Streams as AWS keeps them: moto stops invoking mapped functions inside the write.

moto 5.2.5's ``StreamShard.add`` (dynamodb/models/table.py) appends the stream record and
then, for every Lambda event source mapping on the table, calls
``send_dynamodb_items`` — which runs the function in Docker (absent here) inside the
PutItem/UpdateItem request — and empties the shard's record list after a successful
invoke. On AWS a write never waits for a consumer and a stream keeps its records for 24
hours, whoever reads them. With :func:`install`, ``add`` only appends: the records stay
in the shard and are read with GetShardIterator/GetRecords, as Lambda's pollers do
(local_stack/streams/ is that poller here).

With IAM enforced (local_stack/iam.py) moto evaluates a DynamoDB Streams call against the
resource ``*``, so a least-privilege statement on one stream ARN (the publisher's role)
never matches. ``_determine_resource`` names the stream, as AWS does: the ``StreamArn`` of
DescribeStream and GetShardIterator, the stream an iterator of GetRecords belongs to
(moto's iterators start with the stream ARN). ListStreams stays ``*``.
"""

from __future__ import annotations

import json
from typing import Any

from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import StreamRecord, StreamShard
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler


def _append_only(self: StreamShard, old: Item | None, new: Item | None) -> None:
    view_type = self.table.stream_specification["StreamViewType"]  # type: ignore[index]
    event_name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    sequence = len(self.items) + self.starting_sequence_number
    self.items.append(StreamRecord(self.table, view_type, event_name, old, new, sequence))


def stream_resource(params: Any) -> str:
    """The stream ARN a DynamoDB Streams request acts on, or ``*``."""
    if not isinstance(params, dict):
        return "*"
    arn = params.get("StreamArn")
    if not arn and isinstance(params.get("ShardIterator"), str):
        arn = params["ShardIterator"].split("|", 1)[0]
    return arn if isinstance(arn, str) and arn.startswith("arn:") and "/stream/" in arn else "*"


def _streams_resource(self: DynamoDBStreamsHandler) -> str:
    try:
        params = json.loads(self.body or "{}")
    except (TypeError, ValueError):
        return "*"
    return stream_resource(params)


def install() -> None:
    """Make every DynamoDB stream in this process append-only (no invoke inside the write), and name
    the stream of each DynamoDB Streams call for IAM."""
    StreamShard.add = _append_only  # type: ignore[method-assign]
    DynamoDBStreamsHandler._determine_resource = _streams_resource  # type: ignore[attr-defined]
