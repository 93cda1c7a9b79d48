"""Lambda's DynamoDB event source mapping, played locally: poll the streams, invoke the function.

On AWS, Lambda's pollers read each stream shard in order and invoke the mapped function
synchronously with a batch of records. moto cannot (it would invoke inside the write,
through Docker; moto_streams.py takes that out), so this module does it, from the
mapping's own settings as the emulator returns them (ListEventSourceMappings):
``BatchSize``, ``StartingPosition``, ``FunctionResponseTypes`` (``ReportBatchItemFailures``),
``BisectBatchOnFunctionError``, ``MaximumRetryAttempts``, ``MaximumRecordAgeInSeconds``
and ``DestinationConfig.OnFailure``.

Per shard, one batch at a time, in sequence-number order:

* a batch is up to ``BatchSize`` records, each in Lambda's event format (:func:`lambda_record`);
* a function result without failures checkpoints the whole batch;
* a partial-batch response (``batchItemFailures``; only with ``ReportBatchItemFailures``)
  checkpoints the records before the lowest failed sequence number and retries from it;
  an item without a valid ``itemIdentifier`` fails the whole batch, as on AWS;
* a function error retries the batch; with bisect on, a batch of two or more records is
  split in two first and each half is delivered in turn (a split is not a retry);
* after ``MaximumRetryAttempts`` retries, or when a record is older than
  ``MaximumRecordAgeInSeconds``, the records are skipped after an invocation record (AWS's
  shape, ``DDBStreamBatchInfo``: shard, first and last sequence numbers) is sent to the
  on-failure destination. A record is never skipped without that message when a
  destination is set; if sending it fails, the batch stays where it is.

The ways this differs from the managed mapping are listed in local_stack/README.md
("The stream poller").
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local_stack.streams.mapping import (
    RECORD_TOO_OLD,
    RETRIES_EXHAUSTED,
    FailureSender,
    FunctionError,
    InvokeError,
    Invoker,
    JsonObject,
    MappingSettings,
)
from local_stack.streams.records import ShardReader, epoch_seconds, iso_seconds, lambda_record, sequence_number


@dataclass
class _Attempt:
    """The outcome of one invocation of a batch."""

    failed_from: int | None  # index of the first record to retry; None = the batch succeeded
    function_error: bool  # the invocation failed as a whole (bisect applies)


@dataclass
class ShardConsumer:
    """Lambda's handling of one shard of one mapping: batches, retries, bisect, on-failure."""

    mapping: MappingSettings
    shard_id: str
    reader: ShardReader
    invoke: Invoker
    send_failure: FailureSender
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    retry_delay: float = 0.2
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)
    pending: list[JsonObject] = field(default_factory=list)  # read, not yet checkpointed

    def poll(self) -> int:
        """Deliver at most one batch; return how many records it took off the shard (0: idle)."""
        if len(self.pending) < self.mapping.batch_size:
            self.pending.extend(self.reader.read(self.mapping.batch_size - len(self.pending)))
        if not self.pending:
            return 0
        batch = self.pending[: self.mapping.batch_size]
        done = self._deliver(batch, retries=0)
        del self.pending[:done]
        return done

    @property
    def finished(self) -> bool:
        return self.reader.closed and not self.pending

    # Every record of ``batch`` is published or reported before this returns (or it raises).
    def _deliver(self, batch: list[JsonObject], retries: int) -> int:
        handled = 0
        while batch:
            too_old = self._too_old(batch)
            if too_old:
                self._discard(batch[:too_old], RECORD_TOO_OLD, retries)
                handled += too_old
                batch = batch[too_old:]
                continue
            attempt = self._invoke_once(batch)
            if attempt.failed_from is None:
                return handled + len(batch)
            if attempt.function_error and self.mapping.bisect_on_error and len(batch) > 1:
                middle = len(batch) // 2
                return handled + self._deliver(batch[:middle], retries) + self._deliver(batch[middle:], retries)
            handled += attempt.failed_from
            batch = batch[attempt.failed_from :]
            if 0 <= self.mapping.maximum_retry_attempts <= retries:
                self._discard(batch, RETRIES_EXHAUSTED, retries)
                return handled + len(batch)
            retries += 1
            self.sleep(min(self.retry_delay * 2 ** (retries - 1), 5.0))
        return handled

    def _too_old(self, batch: Sequence[Mapping[str, Any]]) -> int:
        """How many records at the head of ``batch`` are older than MaximumRecordAgeInSeconds."""
        limit = self.mapping.maximum_record_age_seconds
        if limit < 0:
            return 0
        now = self.clock()
        count = 0
        for record in batch:
            if now - epoch_seconds(record["dynamodb"]["ApproximateCreationDateTime"]) <= limit:
                break
            count += 1
        return count

    def _invoke_once(self, batch: Sequence[Mapping[str, Any]]) -> _Attempt:
        event = {"Records": [lambda_record(record, self.mapping.stream_arn) for record in batch]}
        payload = json.dumps(event, separators=(",", ":")).encode()
        while True:
            try:
                result = self.invoke(payload)
                break
            except InvokeError as exc:
                self.log(f"stream poller: could not invoke the function ({exc}); trying again")
                self.sleep(max(self.retry_delay, 0.5))
            except FunctionError as exc:
                self.log(f"stream poller: function error on {len(batch)} record(s): {exc}")
                return _Attempt(failed_from=0, function_error=True)
        if not self.mapping.report_item_failures:
            return _Attempt(failed_from=None, function_error=False)
        return self._partial_response(result, batch)

    def _partial_response(self, result: bytes, batch: Sequence[Mapping[str, Any]]) -> _Attempt:
        """Lambda's reading of a ``batchItemFailures`` answer (services-ddb-batchfailurereporting)."""
        try:
            document = json.loads(result) if result.strip() else None
        except ValueError:
            document = None
        failures = document.get("batchItemFailures") if isinstance(document, dict) else None
        if not failures:  # null / empty response or list: the whole batch succeeded
            return _Attempt(failed_from=None, function_error=False)
        positions = {sequence_number(record): index for index, record in enumerate(batch)}
        indexes: list[int] = []
        for failure in failures if isinstance(failures, list) else [None]:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not isinstance(identifier, str) or identifier not in positions:
                self.log("stream poller: a batchItemFailures entry names no record of the batch; whole batch failed")
                return _Attempt(failed_from=0, function_error=False)
            indexes.append(positions[identifier])
        return _Attempt(failed_from=min(indexes), function_error=False)

    def _discard(self, records: Sequence[Mapping[str, Any]], condition: str, retries: int) -> None:
        first, last = sequence_number(records[0]), sequence_number(records[-1])
        destination = self.mapping.on_failure_destination
        if destination is None:
            self.log(
                f"stream poller: {condition}: skipped {first}..{last} of {self.shard_id} (no on-failure destination)"
            )
            return
        self.send_failure(destination, json.dumps(self._invocation_record(records, condition, retries)))
        self.log(f"stream poller: {condition}: sent {first}..{last} of {self.shard_id} to the on-failure destination")

    def _invocation_record(self, records: Sequence[Mapping[str, Any]], condition: str, retries: int) -> JsonObject:
        """The document Lambda sends to a stream mapping's on-failure destination (no records in it)."""
        arrivals = [epoch_seconds(record["dynamodb"]["ApproximateCreationDateTime"]) for record in records]
        now = datetime.fromtimestamp(self.clock(), UTC)
        return {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.mapping.function_arn,
                "condition": condition,
                "approximateInvokeCount": retries + 1,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
            "DDBStreamBatchInfo": {
                "shardId": self.shard_id,
                "startSequenceNumber": sequence_number(records[0]),
                "endSequenceNumber": sequence_number(records[-1]),
                "approximateArrivalOfFirstRecord": iso_seconds(min(arrivals)),
                "approximateArrivalOfLastRecord": iso_seconds(max(arrivals)),
                "batchSize": len(records),
                "streamArn": self.mapping.stream_arn,
            },
        }


# --------------------------------------------------------------------------- every mapping


@dataclass
class StreamPoller:
    """Every shard of every mapping, served round-robin, one batch per shard per pass."""

    streams: Any  # a dynamodbstreams client
    invoker_for: Callable[[MappingSettings], Invoker]
    send_failure: FailureSender
    consumers: dict[tuple[str, str], ShardConsumer] = field(default_factory=dict)
    options: JsonObject = field(default_factory=dict)  # passed on to each ShardConsumer (clock, sleep, ...)

    def refresh(self, mappings: Iterable[MappingSettings]) -> None:
        """Consume the shards of these mappings that are ready (parents finished first); drop others."""
        mappings = list(mappings)
        current = {mapping.uuid for mapping in mappings}
        for key in [key for key in self.consumers if key[0] not in current]:
            del self.consumers[key]  # the mapping was deleted or disabled
        for mapping in mappings:
            description = self.streams.describe_stream(StreamArn=mapping.stream_arn)["StreamDescription"]
            for shard in description.get("Shards", []):
                key = (mapping.uuid, shard["ShardId"])
                parent = self.consumers.get((mapping.uuid, shard.get("ParentShardId", "")))
                if key in self.consumers or (parent is not None and not parent.finished):
                    continue
                reader = ShardReader(self.streams, mapping.stream_arn, shard["ShardId"], mapping.starting_position)
                self.consumers[key] = ShardConsumer(
                    mapping, shard["ShardId"], reader, self.invoker_for(mapping), self.send_failure, **self.options
                )

    def poll(self) -> int:
        """One pass over every shard; how many records it took off the streams."""
        return sum(consumer.poll() for consumer in list(self.consumers.values()))

    def run(
        self,
        read: Callable[[], list[MappingSettings]],
        stopped: Callable[[], bool],
        idle_seconds: float = 0.25,
        refresh_seconds: float = 5.0,
    ) -> None:
        """Poll until ``stopped()``: a pass right after one that found records, else every ``idle_seconds``
        (Lambda polls a DynamoDB stream shard four times a second); the mappings are re-read every
        ``refresh_seconds``."""
        refreshed_at = float("-inf")
        log: Callable[[str], None] = self.options.get("log") or print
        while not stopped():
            try:
                if time.monotonic() - refreshed_at >= refresh_seconds:
                    self.refresh(read())
                    refreshed_at = time.monotonic()
                if self.poll():
                    continue
            except Exception as exc:  # the emulator or a queue is unreachable: records stay pending
                log(f"stream poller: {type(exc).__name__}: {exc}; trying again")
            time.sleep(idle_seconds)
