"""The local stream poller (local_stack.streams) with a fake stream and a fake function."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from local_stack.streams.mapping import (
    DestinationError,
    FunctionError,
    InvokeError,
    MappingSettings,
    read_mappings,
    sqs_failure_sender,
)
from local_stack.streams.poller import ShardConsumer, StreamPoller
from local_stack.streams.records import ShardReader, lambda_record

STREAM = "arn:aws:dynamodb:eu-west-1:123456789012:table/payments-dev/stream/2026-12-04T00:00:00.000"
SHARD = "shardId-00000001-aaaa"
FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:publisher-dev"
DLQ = "arn:aws:sqs:eu-west-1:123456789012:publisher-failures-dev"
CREATED = datetime(2026, 12, 4, 2, 0, 0, tzinfo=UTC)


def stream_record(seq: int, txn: str = "pi_1", created: datetime = CREATED) -> dict[str, Any]:
    """A record as boto3 parses GetRecords: datetime, bytes for B."""
    return {
        "eventID": f"ev{seq}",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": created,
            "Keys": {"transactionId": {"S": txn}},
            "NewImage": {"transactionId": {"S": txn}, "amount": {"N": "19.99"}, "n": {"N": str(seq)}},
            "SequenceNumber": str(seq),
            "SizeBytes": 42,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


class FakeStreams:
    """GetShardIterator/GetRecords over one open shard; records can be appended at any time."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.iterators: dict[str, int] = {}

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": SHARD}]}}

    def get_shard_iterator(self, StreamArn: str, ShardId: str, ShardIteratorType: str, SequenceNumber: str = "") -> Any:
        if ShardIteratorType == "TRIM_HORIZON":
            position = 0
        elif ShardIteratorType == "LATEST":
            position = len(self.records)
        else:
            assert ShardIteratorType == "AFTER_SEQUENCE_NUMBER"
            position = 1 + next(
                i for i, r in enumerate(self.records) if r["dynamodb"]["SequenceNumber"] == SequenceNumber
            )
        name = f"it{len(self.iterators)}"
        self.iterators[name] = position
        return {"ShardIterator": name}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        position = self.iterators[ShardIterator]
        got = self.records[position : position + Limit]
        name = f"it{len(self.iterators)}"
        self.iterators[name] = position + len(got)
        return {"Records": got, "NextShardIterator": name}


class FakeFunction:
    """Records each batch's sequence numbers; answers from a script of results."""

    def __init__(self, answer: Any = None) -> None:
        self.batches: list[list[str]] = []
        self.events: list[dict[str, Any]] = []
        self.answer = answer or (lambda seqs: {"batchItemFailures": []})

    def __call__(self, payload: bytes) -> bytes:
        event = json.loads(payload)
        self.events.append(event)
        seqs = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        self.batches.append(seqs)
        result = self.answer(seqs)
        return json.dumps(result).encode()


def mapping(**overrides: Any) -> MappingSettings:
    config: dict[str, Any] = {
        "UUID": "m-1",
        "FunctionArn": FUNCTION,
        "EventSourceArn": STREAM,
        "BatchSize": 3,
        "StartingPosition": "TRIM_HORIZON",
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "BisectBatchOnFunctionError": True,
        "MaximumRetryAttempts": 2,
        "MaximumRecordAgeInSeconds": 3600,
        "DestinationConfig": {"OnFailure": {"Destination": DLQ}},
    }
    config.update(overrides)
    return MappingSettings.from_api({k: v for k, v in config.items() if v is not None})


def consumer(
    records: list[dict[str, Any]], function: Any, sent: list[tuple[str, str]], **overrides: Any
) -> ShardConsumer:
    settings = mapping(**overrides)
    reader = ShardReader(FakeStreams(records), STREAM, SHARD, settings.starting_position)
    return ShardConsumer(
        settings,
        SHARD,
        reader,
        function,
        lambda arn, body: sent.append((arn, body)),
        clock=lambda: CREATED.timestamp() + 10,
        sleep=lambda _seconds: None,
        log=lambda _line: None,
    )


def drain(shard: ShardConsumer) -> None:
    for _ in range(100):
        if not shard.poll():
            return
    raise AssertionError("the shard never went idle")


def test_records_reach_the_function_in_shard_order_in_batches_of_batch_size():
    records = [stream_record(seq) for seq in range(100, 108)]
    function, sent = FakeFunction(), []
    drain(consumer(records, function, sent))
    assert function.batches == [["100", "101", "102"], ["103", "104", "105"], ["106", "107"]]
    assert sent == []


def test_records_written_later_are_read_after_the_earlier_ones():
    records = [stream_record(1)]
    function, sent = FakeFunction(), []
    shard = consumer(records, function, sent)
    drain(shard)
    records.extend([stream_record(2), stream_record(3)])
    drain(shard)
    assert function.batches == [["1"], ["2", "3"]]


def test_the_event_is_in_lambdas_dynamodb_stream_format():
    record = stream_record(7)
    record["dynamodb"]["NewImage"]["rawEventGzip"] = {"B": b"\x1f\x8b\x00"}
    record["dynamodb"]["NewImage"]["nested"] = {"M": {"blob": {"B": b"\x01"}, "list": {"L": [{"BS": [b"\x02"]}]}}}
    event = lambda_record(record, STREAM)
    assert event["eventVersion"] == "1.1"
    assert event["eventSource"] == "aws:dynamodb"
    assert event["awsRegion"] == "eu-west-1"  # from the stream's ARN
    assert event["eventSourceARN"] == STREAM
    assert event["eventID"] == "ev7" and event["eventName"] == "INSERT"
    dynamodb = event["dynamodb"]
    assert dynamodb["ApproximateCreationDateTime"] == int(CREATED.timestamp())
    assert dynamodb["SequenceNumber"] == "7" and dynamodb["SizeBytes"] == 42
    assert dynamodb["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert dynamodb["Keys"] == {"transactionId": {"S": "pi_1"}}
    image = dynamodb["NewImage"]
    assert image["rawEventGzip"] == {"B": "H4sA"}  # base64 text, as Lambda's JSON event carries it
    assert image["nested"] == {"M": {"blob": {"B": "AQ=="}, "list": {"L": [{"BS": ["Ag=="]}]}}}
    assert image["amount"] == {"N": "19.99"}
    json.dumps(event)  # plain JSON: no datetime, no bytes


def test_a_partial_batch_response_resumes_at_the_lowest_failed_sequence_number():
    failing_once = {"5"}

    def answer(seqs: list[str]) -> dict[str, Any]:
        failed = [s for s in seqs if s in failing_once]
        failing_once.difference_update(failed)
        return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}

    records = [stream_record(seq) for seq in range(1, 7)]
    function, sent = FakeFunction(answer), []
    drain(consumer(records, function, sent))
    # 5 failed once: the retry starts at 5, not at the batch's start (4 is not sent again)
    assert function.batches == [["1", "2", "3"], ["4", "5", "6"], ["5", "6"]]
    assert sent == []


def test_the_lowest_of_several_failures_is_the_checkpoint():
    answers = iter([{"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]}])

    def answer(seqs: list[str]) -> dict[str, Any]:
        return next(answers, {"batchItemFailures": []})

    function, sent = FakeFunction(answer), []
    drain(consumer([stream_record(s) for s in (1, 2, 3)], function, sent))
    assert function.batches == [["1", "2", "3"], ["2", "3"]]


def test_an_item_failure_naming_no_record_fails_the_whole_batch():
    answers = iter([{"batchItemFailures": [{"itemIdentifier": ""}]}])
    function, sent = FakeFunction(lambda seqs: next(answers, None)), []
    drain(consumer([stream_record(s) for s in (1, 2)], function, sent, BisectBatchOnFunctionError=False))
    assert function.batches == [["1", "2"], ["1", "2"]]


def test_without_report_batch_item_failures_a_result_is_success_whatever_it_says():
    function, sent = FakeFunction(lambda seqs: {"batchItemFailures": [{"itemIdentifier": seqs[0]}]}), []
    drain(consumer([stream_record(s) for s in (1, 2)], function, sent, FunctionResponseTypes=None))
    assert function.batches == [["1", "2"]]


def test_a_function_error_bisects_until_the_poison_record_is_alone_then_it_goes_to_the_on_failure_queue():
    poison = "3"

    def fail_on_poison(payload: bytes) -> bytes:
        seqs = [r["dynamodb"]["SequenceNumber"] for r in json.loads(payload)["Records"]]
        calls.append(seqs)
        if poison in seqs:
            raise FunctionError("Unhandled")
        return b"null"

    calls: list[list[str]] = []
    sent: list[tuple[str, str]] = []
    drain(consumer([stream_record(s) for s in range(1, 5)], fail_on_poison, sent, BatchSize=4))
    # [1..4] fails -> [1,2] ok, [3,4] fails -> [3] fails (+2 retries), [4] ok
    assert calls == [["1", "2", "3", "4"], ["1", "2"], ["3", "4"], ["3"], ["3"], ["3"], ["4"]]
    assert len(sent) == 1
    destination, body = sent[0]
    assert destination == DLQ
    message = json.loads(body)
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert message["requestContext"]["approximateInvokeCount"] == 3
    assert message["requestContext"]["functionArn"] == FUNCTION
    assert message["version"] == "1.0"
    info = message["DDBStreamBatchInfo"]
    assert info == {
        "shardId": SHARD,
        "startSequenceNumber": "3",
        "endSequenceNumber": "3",
        "approximateArrivalOfFirstRecord": "2026-12-04T02:00:00Z",
        "approximateArrivalOfLastRecord": "2026-12-04T02:00:00Z",
        "batchSize": 1,
        "streamArn": STREAM,
    }
    assert "Records" not in body and "19.99" not in body  # metadata only, as on AWS


def test_without_bisect_the_whole_batch_is_retried_then_reported_as_one_range():
    calls: list[int] = []

    def always_fails(payload: bytes) -> bytes:
        calls.append(1)
        raise FunctionError("Unhandled")

    sent: list[tuple[str, str]] = []
    shard = consumer([stream_record(s) for s in (10, 11, 12, 13)], always_fails, sent, BisectBatchOnFunctionError=False)
    drain(shard)
    assert len(calls) == 2 * 3  # two batches, each: one attempt + MaximumRetryAttempts (2)
    ranges = [
        (
            json.loads(b)["DDBStreamBatchInfo"]["startSequenceNumber"],
            json.loads(b)["DDBStreamBatchInfo"]["endSequenceNumber"],
        )
        for _, b in sent
    ]
    assert ranges == [("10", "12"), ("13", "13")]


def test_a_partial_failure_that_never_heals_ends_in_the_on_failure_queue_and_the_shard_moves_on():
    function = FakeFunction(lambda seqs: {"batchItemFailures": [{"itemIdentifier": "2"}]} if "2" in seqs else None)
    sent: list[tuple[str, str]] = []
    drain(consumer([stream_record(s) for s in (1, 2, 3, 4)], function, sent, MaximumRetryAttempts=1))
    assert function.batches == [["1", "2", "3"], ["2", "3"], ["4"]]
    (info,) = [json.loads(body)["DDBStreamBatchInfo"] for _, body in sent]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == ("2", "3", 2)


def test_records_older_than_the_maximum_age_are_reported_without_invoking():
    old = datetime(2026, 12, 4, 0, 0, 0, tzinfo=UTC)  # two hours before the clock
    records = [stream_record(1, created=old), stream_record(2, created=old), stream_record(3)]
    function, sent = FakeFunction(), []
    drain(consumer(records, function, sent))
    assert function.batches == [["3"]]
    (message,) = [json.loads(body) for _, body in sent]
    assert message["requestContext"]["condition"] == "RecordAgeExceeded"
    assert message["DDBStreamBatchInfo"]["startSequenceNumber"] == "1"
    assert message["DDBStreamBatchInfo"]["endSequenceNumber"] == "2"
    assert message["DDBStreamBatchInfo"]["approximateArrivalOfFirstRecord"] == "2026-12-04T00:00:00Z"


def test_infinite_record_age_keeps_old_records():
    old = datetime(2026, 12, 3, 0, 0, 0, tzinfo=UTC)
    function, sent = FakeFunction(), []
    drain(consumer([stream_record(1, created=old)], function, sent, MaximumRecordAgeInSeconds=-1))
    assert function.batches == [["1"]] and sent == []


def test_an_invoke_that_cannot_reach_the_function_is_retried_without_using_up_retries():
    outcomes = iter([InvokeError("refused")] * 5)

    def flaky(payload: bytes) -> bytes:
        error = next(outcomes, None)
        if error:
            raise error
        return b'{"batchItemFailures": []}'

    sent: list[tuple[str, str]] = []
    assert consumer([stream_record(1)], flaky, sent, MaximumRetryAttempts=0).poll() == 1
    assert sent == []


def test_a_failure_to_reach_the_on_failure_queue_keeps_the_records():
    def always_fails(payload: bytes) -> bytes:
        raise FunctionError("Unhandled")

    def broken_sender(arn: str, body: str) -> None:
        raise OSError("queue unreachable")

    settings = mapping(MaximumRetryAttempts=0)
    shard = ShardConsumer(
        settings,
        SHARD,
        ShardReader(FakeStreams([stream_record(1)]), STREAM, SHARD, "TRIM_HORIZON"),
        always_fails,
        broken_sender,
        clock=lambda: CREATED.timestamp(),
        sleep=lambda _s: None,
        log=lambda _l: None,
    )
    with pytest.raises(OSError):
        shard.poll()
    assert [r["dynamodb"]["SequenceNumber"] for r in shard.pending] == ["1"]


def test_mapping_settings_default_as_lambda_does():
    settings = MappingSettings.from_api({"UUID": "u", "FunctionArn": FUNCTION, "EventSourceArn": STREAM})
    assert (settings.batch_size, settings.starting_position) == (100, "TRIM_HORIZON")
    assert (settings.maximum_retry_attempts, settings.maximum_record_age_seconds) == (-1, -1)
    assert not settings.report_item_failures and not settings.bisect_on_error
    assert settings.on_failure_destination is None


def test_read_mappings_keeps_enabled_dynamodb_stream_mappings_only():
    class FakeLambda:
        def get_paginator(self, name: str) -> Any:
            assert name == "list_event_source_mappings"
            pages = [
                {
                    "EventSourceMappings": [
                        {
                            "UUID": "a",
                            "FunctionArn": FUNCTION,
                            "EventSourceArn": STREAM,
                            "State": "Enabled",
                            "BatchSize": 7,
                        },
                        {"UUID": "b", "FunctionArn": FUNCTION, "EventSourceArn": STREAM, "State": "Disabled"},
                        {"UUID": "c", "FunctionArn": FUNCTION, "EventSourceArn": DLQ, "State": "Enabled"},
                    ]
                }
            ]
            return type("P", (), {"paginate": lambda self, **kw: pages})()

    (only,) = read_mappings(FakeLambda())
    assert (only.uuid, only.batch_size) == ("a", 7)
    assert [m.uuid for m in read_mappings(FakeLambda(), FUNCTION)] == ["a"]
    assert read_mappings(FakeLambda(), FUNCTION + "-other") == []


def test_the_poller_serves_every_shard_of_every_mapping():
    records = [stream_record(s) for s in (1, 2)]
    function = FakeFunction()
    poller = StreamPoller(
        FakeStreams(records),
        lambda m: function,
        lambda arn, body: None,
        options={"sleep": lambda _s: None, "log": lambda _l: None, "clock": lambda: CREATED.timestamp()},
    )
    poller.refresh([mapping(UUID="one"), mapping(UUID="two")])
    assert poller.poll() == 4
    assert function.batches == [["1", "2"], ["1", "2"]]
    assert poller.poll() == 0


def test_the_sqs_sender_addresses_the_queue_by_its_arn():
    calls: list[dict[str, Any]] = []

    class FakeSqs:
        meta = type("Meta", (), {"endpoint_url": "https://sqs.eu-west-1.amazonaws.com"})()

        def send_message(self, **kwargs: Any) -> None:
            calls.append(kwargs)

    sqs_failure_sender(FakeSqs())(DLQ, "{}")
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/publisher-failures-dev"
    assert calls == [{"QueueUrl": url, "MessageBody": "{}"}]
    with pytest.raises(DestinationError):
        sqs_failure_sender(FakeSqs())("arn:aws:s3:::bucket", "{}")


def test_a_deleted_mapping_stops_being_served():
    function = FakeFunction()
    records = [stream_record(1)]
    poller = StreamPoller(
        FakeStreams(records),
        lambda m: function,
        lambda arn, body: None,
        options={"sleep": lambda _s: None, "log": lambda _l: None, "clock": lambda: CREATED.timestamp()},
    )
    poller.refresh([mapping(UUID="one")])
    poller.poll()
    poller.refresh([])
    records.append(stream_record(2))
    assert poller.poll() == 0
    assert function.batches == [["1"]]


def test_run_polls_until_stopped_and_rereads_the_mappings():
    function = FakeFunction()
    poller = StreamPoller(
        FakeStreams([stream_record(1), stream_record(2)]),
        lambda m: function,
        lambda arn, body: None,
        options={"sleep": lambda _s: None, "log": lambda _l: None, "clock": lambda: CREATED.timestamp()},
    )
    reads: list[int] = []
    passes = iter(range(3))

    def read() -> list[MappingSettings]:
        reads.append(1)
        return [mapping(BatchSize=1)]

    poller.run(read, lambda: next(passes, None) is None, idle_seconds=0, refresh_seconds=0)
    assert function.batches == [["1"], ["2"]]
    assert len(reads) == 3
