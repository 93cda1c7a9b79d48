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

import base64
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

JsonObject = dict[str, Any]
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
RETRIES_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_TOO_OLD = "RecordAgeExceeded"


class FunctionError(Exception):
    """The function ran and failed (an error document, a timeout, a runtime exit)."""


class InvokeError(Exception):
    """The function could not be invoked at all; like Lambda, retried without counting."""


class DestinationError(Exception):
    """The on-failure destination is not an SQS queue or SNS topic this poller can reach."""


# Invoker: the event JSON in, the function's result JSON out; raises FunctionError or InvokeError.
Invoker = Callable[[bytes], bytes]
# Sends one invocation record (JSON text) to the on-failure destination named by its ARN.
FailureSender = Callable[[str, str], None]


@dataclass(frozen=True)
class MappingSettings:
    """One DynamoDB event source mapping, as the Lambda API describes it."""

    uuid: str
    function_arn: str
    stream_arn: str
    batch_size: int
    starting_position: str
    report_item_failures: bool
    bisect_on_error: bool
    maximum_retry_attempts: int  # -1: until the record expires
    maximum_record_age_seconds: int  # -1: until the record expires
    on_failure_destination: str | None

    @classmethod
    def from_api(cls, config: Mapping[str, Any]) -> MappingSettings:
        """From one ``EventSourceMappings`` entry; absent settings take Lambda's defaults."""
        destination = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")

        def number(name: str, default: int) -> int:
            value = config.get(name)
            return default if value is None else int(value)

        return cls(
            uuid=str(config["UUID"]),
            function_arn=str(config["FunctionArn"]),
            stream_arn=str(config["EventSourceArn"]),
            batch_size=number("BatchSize", 100),
            starting_position=str(config.get("StartingPosition") or "TRIM_HORIZON"),
            report_item_failures=REPORT_BATCH_ITEM_FAILURES in (config.get("FunctionResponseTypes") or []),
            bisect_on_error=bool(config.get("BisectBatchOnFunctionError")),
            maximum_retry_attempts=number("MaximumRetryAttempts", -1),
            maximum_record_age_seconds=number("MaximumRecordAgeInSeconds", -1),
            on_failure_destination=str(destination) if destination else None,
        )

    @property
    def region(self) -> str:
        return self.stream_arn.split(":")[3]


def read_mappings(lambda_client: Any, function_arn: str | None = None) -> list[MappingSettings]:
    """The enabled DynamoDB stream mappings (of the function ``function_arn`` when given).

    Every mapping is listed and filtered here: moto matches ``FunctionName`` only against the
    name or ARN the mapping was created with (Terraform passes the ARN), where AWS accepts either.
    """
    mappings: list[MappingSettings] = []
    for page in lambda_client.get_paginator("list_event_source_mappings").paginate():
        for config in page.get("EventSourceMappings", []):
            arn = str(config.get("EventSourceArn", ""))
            if ":dynamodb:" not in arn or "/stream/" not in arn or config.get("State", "Enabled") != "Enabled":
                continue
            if function_arn and str(config.get("FunctionArn", "")).removesuffix(":$LATEST") != function_arn:
                continue
            mappings.append(MappingSettings.from_api(config))
    return mappings


# --------------------------------------------------------------------------- records


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


def _epoch_seconds(value: Any) -> int:
    return int(value.timestamp()) if isinstance(value, datetime) else int(value)


def lambda_record(record: Mapping[str, Any], stream_arn: str) -> JsonObject:
    """A GetRecords record (boto3's parsed form) -> one ``Records`` entry of Lambda's event."""
    stream = record["dynamodb"]
    dynamodb: JsonObject = {"ApproximateCreationDateTime": _epoch_seconds(stream["ApproximateCreationDateTime"])}
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


def _sequence(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def _iso_seconds(epoch: float) -> str:
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
                self.last_read = _sequence(got[-1])
            else:
                break
        return records


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
            if now - _epoch_seconds(record["dynamodb"]["ApproximateCreationDateTime"]) <= limit:
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
        positions = {_sequence(record): index for index, record in enumerate(batch)}
        indexes: list[int] = []
        for failure in failures if isinstance(failures, list) else [None]:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not isinstance(identifier, str) or identifier not in positions:
                self.log("stream poller: a batchItemFailures entry names no record of the batch; whole batch failed")
                return _Attempt(failed_from=0, function_error=False)
            indexes.append(positions[identifier])
        return _Attempt(failed_from=min(indexes), function_error=False)

    def _discard(self, records: Sequence[Mapping[str, Any]], condition: str, retries: int) -> None:
        first, last = _sequence(records[0]), _sequence(records[-1])
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
        arrivals = [_epoch_seconds(record["dynamodb"]["ApproximateCreationDateTime"]) for record in records]
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
                "startSequenceNumber": _sequence(records[0]),
                "endSequenceNumber": _sequence(records[-1]),
                "approximateArrivalOfFirstRecord": _iso_seconds(min(arrivals)),
                "approximateArrivalOfLastRecord": _iso_seconds(max(arrivals)),
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


def sqs_failure_sender(sqs: Any, sns: Any = None) -> FailureSender:
    """Send invocation records to an SQS queue (or SNS topic) named by its ARN, as Lambda does."""

    def send(destination_arn: str, body: str) -> None:
        parts = destination_arn.split(":")
        if len(parts) < 6 or parts[2] not in ("sqs", "sns") or (parts[2] == "sns" and sns is None):
            raise DestinationError("on-failure destination must be an SQS queue or an SNS topic")
        if parts[2] == "sns":
            sns.publish(TopicArn=destination_arn, Message=body)
            return
        # The URL from the ARN, as Lambda needs no sqs:GetQueueUrl (only sqs:SendMessage) for it.
        url = f"{str(sqs.meta.endpoint_url).rstrip('/')}/{parts[4]}/{parts[5]}"
        sqs.send_message(QueueUrl=url, MessageBody=body)

    return send
