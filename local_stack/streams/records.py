"""DynamoDB stream records in the event format Lambda gives a mapped function; one shard read in order."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from local_stack.streams.mapping import JsonObject


def _wire_value(value: Mapping[str, Any]) -> JsonObject:
    """An attribute value as DynamoDB's JSON carries it: binary as base64 text, not bytes."""
    (kind, inner), *_ = value.items()
    if kind == "B":
        return {"B": base64.b64encode(bytes(inner)).decode("ascii")}
    if kind == "BS":
        return {"BS": [base64.b64encode(bytes(part)).decode("ascii") for part in inner]}
    if kind == "M":
        return {"M": {name: _wire_value(part) for name, part in inner.items()}}
    if kind == "L":
        return {"L": [_wire_value(part) for part in inner]}
    return {kind: inner}


def _wire_image(image: Mapping[str, Any]) -> JsonObject:
    return {name: _wire_value(value) for name, value in image.items()}


def epoch_seconds(value: Any) -> int:
    return int(value.timestamp()) if isinstance(value, datetime) else int(value)


def lambda_record(record: Mapping[str, Any], stream_arn: str) -> JsonObject:
    """A GetRecords record (boto3's parsed form) -> one ``Records`` entry of Lambda's event."""
    stream = record["dynamodb"]
    dynamodb: JsonObject = {"ApproximateCreationDateTime": epoch_seconds(stream["ApproximateCreationDateTime"])}
    for name in ("Keys", "NewImage", "OldImage"):
        if name in stream:
            dynamodb[name] = _wire_image(stream[name])
    dynamodb.update(
        SequenceNumber=str(stream["SequenceNumber"]),
        SizeBytes=int(stream.get("SizeBytes", 0)),
        StreamViewType=stream.get("StreamViewType"),
    )
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": stream_arn.split(":")[3],  # moto writes us-east-1 whatever the region
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }


def sequence_number(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def iso_seconds(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- one shard


class ShardReader:
    """Reads one shard in order with GetShardIterator/GetRecords, from where it last stopped."""

    def __init__(self, streams: Any, stream_arn: str, shard_id: str, starting_position: str) -> None:
        self.streams, self.stream_arn, self.shard_id = streams, stream_arn, shard_id
        self.starting_position = starting_position
        self.last_read: str | None = None  # the sequence number of the last record read
        self.iterator: str | None = None
        self.closed = False  # a closed shard answered without a next iterator

    def _new_iterator(self) -> str:
        kwargs: JsonObject = {"StreamArn": self.stream_arn, "ShardId": self.shard_id}
        if self.last_read is None:
            kwargs["ShardIteratorType"] = self.starting_position
        else:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=self.last_read)
        return str(self.streams.get_shard_iterator(**kwargs)["ShardIterator"])

    def read(self, limit: int) -> list[JsonObject]:
        """Up to ``limit`` records after the last one read (fewer when the shard has no more yet)."""
        records: list[JsonObject] = []
        while len(records) < limit and not self.closed:
            if self.iterator is None:
                self.iterator = self._new_iterator()
            try:
                answer = self.streams.get_records(ShardIterator=self.iterator, Limit=min(limit - len(records), 1000))
            except Exception as exc:
                if getattr(exc, "response", {}).get("Error", {}).get("Code") == "ExpiredIteratorException":
                    self.iterator = None  # 15 minutes on AWS: start again after the last record read
                    continue
                raise
            got = answer.get("Records", [])
            self.iterator = answer.get("NextShardIterator")
            self.closed = self.iterator is None
            records.extend(got)
            if got:
                self.last_read = sequence_number(got[-1])
            else:
                break
        return records
