"""DynamoDB Streams as AWS keeps them: moto stops invoking mapped functions inside the write.

moto 5.2.5's ``StreamShard.add`` (dynamodb/models/table.py) appends the stream record and
then, for every Lambda event source mapping on the table, calls
``send_dynamodb_items`` — which runs the function in Docker (absent here) inside the
PutItem/UpdateItem request — and empties the shard's record list after a successful
invoke. On AWS a write never waits for a consumer and a stream keeps its records for 24
hours, whoever reads them. With :func:`install`, ``add`` only appends: the records stay
in the shard and are read with GetShardIterator/GetRecords, as Lambda's pollers do
(local_stack/stream_poller.py is that poller here).
"""

from __future__ import annotations

from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import StreamRecord, StreamShard


def _append_only(self: StreamShard, old: Item | None, new: Item | None) -> None:
    view_type = self.table.stream_specification["StreamViewType"]  # type: ignore[index]
    event_name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    sequence = len(self.items) + self.starting_sequence_number
    self.items.append(StreamRecord(self.table, view_type, event_name, old, new, sequence))


def install() -> None:
    """Make every DynamoDB stream in this process append-only (no invoke inside the write)."""
    StreamShard.add = _append_only  # type: ignore[method-assign]
