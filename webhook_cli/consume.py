"""Read the stack's events from its SQS FIFO queue: one line per message, deleted once printed.

    python -m webhook_cli.consume [--queue-url URL] [--json] [--max-messages N] [--wait SECONDS]

Each message is a CloudEvents 1.0 JSON document (`payment.event_received` for every stored
event, `payment.status_changed` for every change of a payment's status). A line shows the
type, the payment (`subject`), the status (the previous one for a change), the amount and
currency exactly as sent (decimal strings), and the message `id`; `--json` prints each
CloudEvent as received instead. Delivery is at least once: a message whose `id` was already
printed in this run is deleted without printing it again. Messages of one payment arrive in
the order they were published (the FIFO group is the transactionId). The run stops after
`--max-messages` messages, or once the queue has stayed empty for `--wait` seconds.

Copy this file as the start of your own consumer: replace `handle` with your own work and
keep the order: handle, then delete. Needs sqs:ReceiveMessage and sqs:DeleteMessage on the
queue and kms:Decrypt on the stack key. Locally (after `make up`) the queue URL and the
emulator come from build/local.env; on AWS pass the Terraform output `events_queue_url`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webhook_cli.settings import SETTINGS_ORDER_HELP, load

PROG = "python -m webhook_cli.consume"
EXIT_OK = 0
EXIT_USAGE = 2
EXIT_AWS = 3
LONG_POLL_LIMIT = 20  # seconds: SQS's maximum WaitTimeSeconds


@dataclass(frozen=True)
class Received:
    """One message: its CloudEvent (None when the body is not a JSON object) and its receipt."""

    event: dict[str, Any] | None
    body: str
    receipt_handle: str
    message_id: str


@dataclass
class Consumer:
    """Receives, deduplicates by CloudEvent ``id``, and deletes what was handled."""

    sqs: Any
    queue_url: str
    seen: set[str] = field(default_factory=set)
    clock: Callable[[], float] = time.monotonic

    def receive(self, wait: float, max_messages: int | None = None) -> Iterator[Received]:
        """Messages until ``max_messages`` (new ids) or ``wait`` seconds with an empty queue."""
        handled = 0
        idle_since = self.clock()
        while max_messages is None or handled < max_messages:
            remaining = wait - (self.clock() - idle_since)
            if remaining <= 0:
                return
            answer = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10 if max_messages is None else max(1, min(10, max_messages - handled)),
                WaitTimeSeconds=max(0, min(LONG_POLL_LIMIT, int(remaining))),
            )
            messages = answer.get("Messages", [])
            if not messages:
                if int(remaining) == 0:  # a short poll came back empty: the wait is over
                    return
                continue
            idle_since = self.clock()
            for message in messages:
                received = parse(message)
                if received.event is not None and received.event.get("id") in self.seen:
                    self.delete(received)  # a repeat delivery of a message already handled in this run
                    continue
                if received.event is not None:
                    self.seen.add(str(received.event.get("id")))
                handled += 1
                yield received

    def delete(self, received: Received) -> None:
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=received.receipt_handle)


def parse(message: dict[str, Any]) -> Received:
    body = str(message.get("Body", ""))
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    return Received(
        document if isinstance(document, dict) else None,
        body,
        str(message["ReceiptHandle"]),
        str(message.get("MessageId", "")),
    )


def describe(event: dict[str, Any]) -> str:
    """One line: type, payment, status (previous -> new for a change), amount currency, id."""
    data = event.get("data")
    if not isinstance(data, dict):
        data = {}
    status = str(data.get("status", ""))
    if event.get("type") == "payment.status_changed":
        previous = data.get("previousStatus")
        status = f"{previous or '(new)'} -> {status}"
    amount = f"{data.get('amount', '')} {data.get('currency', '')}".strip()
    parts = [str(event.get("type", "")), str(event.get("subject", "")), status, amount, f"id={event.get('id', '')}"]
    return "  ".join(part for part in parts if part)


def handle(received: Received, as_json: bool, out: Callable[[str], None]) -> bool:
    """Print one message; False when it cannot be read (it is then left in the queue)."""
    if received.event is None:
        print(f"{PROG}: message {received.message_id} is not a JSON object; left in the queue", file=sys.stderr)
        return False
    out(received.body if as_json else describe(received.event))
    return True


def consume(
    consumer: Consumer, wait: float, max_messages: int | None, as_json: bool, out: Callable[[str], None]
) -> int:
    """Print and delete messages; how many were printed."""
    printed = 0
    for received in consumer.receive(wait, max_messages):
        if handle(received, as_json, out):
            consumer.delete(received)
            printed += 1
    return printed


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(__doc__ or "").split("\n\n")[0],
        epilog=(
            SETTINGS_ORDER_HELP + "  --queue-url     EVENTS_QUEUE_URL (Terraform output events_queue_url)\n"
            "  --endpoint-url  AWS_ENDPOINT_URL (the local emulator; unset on AWS)\n"
            "exit status: 0 done, 2 bad arguments, 3 AWS error"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--queue-url", help="the events FIFO queue")
    parser.add_argument("--json", action="store_true", help="print each CloudEvent as received")
    parser.add_argument("--max-messages", type=int, default=None, help="stop after this many messages")
    parser.add_argument("--wait", type=float, default=5.0, help="stop when the queue is empty this long (s)")
    parser.add_argument("--endpoint-url", help="the AWS endpoint (the local emulator)")
    parser.add_argument("--env-file", type=Path, help="settings file (default build/local.env)")
    parser.add_argument("--no-env-file", action="store_true", help="ignore build/local.env (on AWS)")
    args = parser.parse_args(argv)
    if args.max_messages is not None and args.max_messages < 1:
        parser.error("--max-messages must be at least 1")
    if args.wait < 0:
        parser.error("--wait must not be negative")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load(args.env_file, use_default=not args.no_env_file)
    except OSError as exc:
        print(f"{PROG}: cannot read the env file: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    queue_url = settings.get("EVENTS_QUEUE_URL", args.queue_url)
    if not queue_url:
        print(f"{PROG}: no queue: pass --queue-url or set EVENTS_QUEUE_URL (or run `make up`)", file=sys.stderr)
        return EXIT_USAGE
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    kwargs = settings.boto3_kwargs()
    if args.endpoint_url:
        kwargs["endpoint_url"] = args.endpoint_url
    try:
        consumer = Consumer(boto3.client("sqs", **kwargs), queue_url)
        consume(consumer, args.wait, args.max_messages, args.json, lambda line: print(line, flush=True))
    except (BotoCoreError, ClientError) as exc:
        code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else type(exc).__name__
        print(f"{PROG}: AWS error: {code}", file=sys.stderr)
        return EXIT_AWS
    except KeyboardInterrupt:
        return 130
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
