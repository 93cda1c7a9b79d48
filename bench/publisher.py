"""The publisher's cost: CPU per stream record (in-process, destinations faked) and what it
adds per million received events, with the prices in bench/prices.json.

Per received event the stack publishes about two messages (its ``event_received``, and a
``status_changed`` when the payment's status moves: counted for every event, an upper
bound), each one SQS FIFO request and, with the bus on, one custom event and its archive
bytes. Stream reads by Lambda triggers are free. The publisher runs once per batch; at a
steady 10 events/s a 0-second batching window gives about one record per invocation, so
``records_per_invocation`` is the conservative 1 unless told otherwise.

Run alone: ``PYTHONPATH=lambda_src python -m bench.publisher``.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from webhook.events_out.messages import Message
from webhook.events_out.publisher import Publisher, PublisherSettings

PRICES = json.loads((Path(__file__).with_name("prices.json")).read_text())["prices"]
SETTINGS = PublisherSettings("pw-bench-transactions", "pw-bench-payments", "bench")
BODY = (
    Path(__file__).resolve().parent.parent / "tests" / "events" / "stripe_payment_intent_succeeded.json"
).read_text()
MEMORY_GB = 0.25
MESSAGES_PER_EVENT = 2
LOCAL_REPORT_MS = 20.0


class _Sink:
    def __init__(self) -> None:
        self.bytes = 0

    def send(self, message: Message) -> None:
        self.bytes += len(message.body().encode())


def _records(n: int) -> list[dict[str, Any]]:
    arn = "arn:aws:dynamodb:us-east-1:123456789012:table/{}/stream/2026-12-01T00:00:00.000"
    records = []
    for i in range(n):
        s = {"S": f"pi_{i}"}
        event = {
            "transactionId": s,
            "eventId": {"S": f"evt_{i}"},
            "amount": {"N": "19.99"},
            "amountMinor": {"N": "1999"},
            "currency": {"S": "USD"},
            "status": {"S": "payment_intent.succeeded"},
            "provider": {"S": "stripe"},
            "timestamp": {"S": "2026-12-01T11:00:00.000Z"},
            "processedAt": {"S": "2026-12-01T11:00:01.000Z"},
            "receivedVia": {"S": "webhook"},
            "rawEvent": {"S": BODY},
        }
        payment = {
            "transactionId": s,
            "status": {"S": "succeeded"},
            "providerStatus": {"S": "payment_intent.succeeded"},
            "amount": {"N": "19.99"},
            "currency": {"S": "USD"},
            "provider": {"S": "stripe"},
            "lastEventId": {"S": f"evt_{i}"},
            "eventTime": {"S": "2026-12-01T11:00:00.000Z"},
            "updatedAt": {"S": "2026-12-01T11:00:01.000Z"},
        }
        table, image = ("pw-bench-transactions", event) if i % 2 == 0 else ("pw-bench-payments", payment)
        records.append(
            {
                "eventName": "INSERT",
                "eventSourceARN": arn.format(table),
                "dynamodb": {"SequenceNumber": str(i), "NewImage": image},
            }
        )
    return records


def measure(batches: int = 7, batch_size: int = 200, records_per_invocation: float = 1.0) -> dict[str, Any]:
    sink = _Sink()
    publisher = Publisher(SETTINGS, [sink, _Sink()], log=lambda _line: None)
    records = _records(batch_size)
    samples = []
    for _ in range(batches):
        started = time.process_time()
        assert publisher.handle({"Records": records}) == {"batchItemFailures": []}
        samples.append((time.process_time() - started) / batch_size * 1e6)
    cpu_us = statistics.median(samples)
    invocations = MESSAGES_PER_EVENT / records_per_invocation
    billed_ms_per_invocation = max(
        1.0, cpu_us * records_per_invocation / 1000 + 20.0
    )  # + ~20 ms of AWS calls per record
    message_bytes = sink.bytes / batches / batch_size
    usd = {
        "lambda_requests": invocations * PRICES["lambda_request"]["usd"],
        "lambda_duration": invocations
        * billed_ms_per_invocation
        / 1000
        * MEMORY_GB
        * PRICES["lambda_arm64_gb_second"]["usd"],
        "sqs_fifo": MESSAGES_PER_EVENT * PRICES["sqs_fifo_request"]["usd"],
        "eventbridge_events": MESSAGES_PER_EVENT * PRICES["eventbridge_custom_event"]["usd"],
        "eventbridge_archive": MESSAGES_PER_EVENT
        * message_bytes
        / 1e9
        * 2
        * PRICES["eventbridge_archive_gb_month"]["usd"],
        "stream_reads": 0.0,
    }
    return {
        "publisher_cpu_us_per_record": round(cpu_us, 1),
        "publisher_message_bytes": round(message_bytes),
        "publisher_cost_per_million_usd": round(sum(usd.values()) * 1e6, 4),
        "publisher_cost_lines_per_million_usd": {k: round(v * 1e6, 4) for k, v in usd.items()},
        "assumptions": {
            "messages_per_event": MESSAGES_PER_EVENT,
            "records_per_invocation": records_per_invocation,
            "billed_ms_per_invocation": round(billed_ms_per_invocation, 2),
            "memory_gb": MEMORY_GB,
        },
    }


def main() -> int:
    print(json.dumps(measure(), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
