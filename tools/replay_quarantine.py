#!/usr/bin/env python3
"""Re-drive quarantined webhook events through the Function URL after a fix.

The function copies every authentic event whose payload it refused (400) to the
quarantine queue (SQS, encrypted with the stack's CMK, 14 days). Once the cause
is fixed (a new currency, a relaxed rule, a corrected deployment), this command
sends those events again.

Why re-sign: the original signature is only accepted within the signature
tolerance (default 5 minutes) of its timestamp, and quarantined events are
hours or days old. Re-sending the original headers would be refused (401);
turning the tolerance off would weaken replay protection for everyone. So the
tool, run by an operator who may read the signing secret:

1. checks the ORIGINAL signature against the current secret(s), ignoring its
   age: only a copy that the provider really signed is replayed (a message
   forged or altered inside the queue is left alone and reported "unverified";
   after a secret rotation older copies no longer verify: --allow-unverified);
2. re-signs the unchanged body bytes with every current secret (one v1
   signature per secret, as during a rotation) and a fresh timestamp, keeping
   the original webhook-id, so the receiver's idempotency (transactionId +
   webhook-id) still holds: an event that was somehow stored already answers
   200 "duplicate" and is never stored twice;
3. deletes a message only after a 2xx answer. Copies of the same webhook-id
   (the function quarantines again each refused delivery, replays included)
   are sent once and all deleted on its 2xx.

A 4xx means the fix is not deployed yet (the function has quarantined the
replayed copy again); the run stops there unless --keep-going. A 5xx or no
answer leaves the message for the next run. Messages not deleted are made
visible again at the end of the run. The body and the secret are never printed.

Needs: sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility on the
queue, kms:Decrypt on the stack key (queue and secret), ssm:GetParameter on the
secret parameter. Locally (after `make up`) everything comes from build/local.env.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "lambda_src"))

from webhook.quarantine import QuarantinedEvent, decode_message  # noqa: E402
from webhook.signature import SignatureError, decode_secrets, sign, verify  # noqa: E402

DEFAULT_ENV_FILE = ROOT / "build" / "local.env"
USER_AGENT = "replay_quarantine/1 (payment-webhook tools)"

EXIT_OK = 0  # every message read was replayed with a 2xx (or there was none)
EXIT_LEFT = 1  # some messages are still in the queue (rejected, failed, unverified, malformed)
EXIT_USAGE = 2


class Queue(Protocol):
    def receive(self, max_messages: int, visibility_timeout: int) -> list[dict[str, str]]: ...
    def delete(self, receipt: str) -> None: ...
    def release(self, receipt: str) -> None: ...


Post = Callable[[bytes, dict[str, str]], int]  # body, headers -> HTTP status (raises OSError if no answer)


class SqsQueue:
    def __init__(self, client: Any, url: str, wait_seconds: int = 1) -> None:
        self._client, self._url, self._wait = client, url, wait_seconds

    def receive(self, max_messages: int, visibility_timeout: int) -> list[dict[str, str]]:
        response = self._client.receive_message(
            QueueUrl=self._url,
            MaxNumberOfMessages=max(1, min(10, max_messages)),
            VisibilityTimeout=visibility_timeout,
            WaitTimeSeconds=self._wait,
        )
        return [
            {"id": m["MessageId"], "receipt": m["ReceiptHandle"], "body": m["Body"]}
            for m in response.get("Messages", [])
        ]

    def delete(self, receipt: str) -> None:
        self._client.delete_message(QueueUrl=self._url, ReceiptHandle=receipt)

    def release(self, receipt: str) -> None:
        self._client.change_message_visibility(QueueUrl=self._url, ReceiptHandle=receipt, VisibilityTimeout=0)


def http_post(url: str, timeout: float) -> Post:
    def post(body: bytes, headers: dict[str, str]) -> int:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
                return int(response.status)
        except urllib.error.HTTPError as error:
            error.read()
            return int(error.code)

    return post


@dataclass
class Line:
    event_id: str
    reason: str
    copies: int
    action: str  # replayed | rejected | failed | unverified | malformed | listed | skipped
    status: int | None = None


@dataclass
class Report:
    lines: list[Line] = field(default_factory=list)
    read: int = 0
    deleted: int = 0

    def count(self, action: str) -> int:
        return sum(1 for line in self.lines if line.action == action)

    @property
    def left(self) -> int:
        return self.read - self.deleted


def replay_headers(event: QuarantinedEvent, keys: Sequence[bytes], now: int) -> dict[str, str]:
    """Original webhook-id and content type, fresh timestamp, one v1 signature per current key."""
    return {
        "content-type": event.headers.get("content-type", "application/json"),
        "user-agent": USER_AGENT,
        "webhook-id": event.event_id,
        "webhook-timestamp": str(now),
        "webhook-signature": " ".join(sign(key, event.event_id, now, event.body) for key in keys),
    }


def originally_signed(event: QuarantinedEvent, keys: Sequence[bytes]) -> bool:
    """The copy carries a signature the provider made with one of ``keys`` (its age is not checked)."""
    timestamp = event.headers.get("webhook-timestamp", "")
    if event.headers.get("webhook-id") != event.event_id or not timestamp.isdigit():
        return False
    try:
        verify(event.headers, event.body, keys, tolerance_seconds=1, now=int(timestamp))
    except SignatureError:
        return False
    return True


def replay(
    queue: Queue,
    post: Post,
    keys: Sequence[bytes],
    *,
    clock: Callable[[], float] = time.time,
    max_messages: int = 1000,
    visibility_timeout: int = 300,
    dry_run: bool = False,
    keep_going: bool = False,
    allow_unverified: bool = False,
) -> Report:
    """Read up to ``max_messages``, replay one delivery per webhook-id, delete on 2xx."""
    report = Report()
    messages: list[dict[str, str]] = []
    seen: set[str] = set()
    while len(messages) < max_messages:
        batch = [m for m in queue.receive(max_messages - len(messages), visibility_timeout) if m["id"] not in seen]
        if not batch:
            break
        seen.update(m["id"] for m in batch)
        messages.extend(batch)
    report.read = len(messages)

    groups: dict[str, list[tuple[dict[str, str], QuarantinedEvent]]] = {}
    for message in messages:
        try:
            event = decode_message(message["body"])
        except (ValueError, KeyError, TypeError):
            report.lines.append(Line(message["id"], "-", 1, "malformed"))
            continue
        groups.setdefault(event.event_id, []).append((message, event))

    deleted: set[str] = set()
    stopped = False
    for event_id, copies in groups.items():
        event = copies[0][1]
        reason = event.reason_code
        if stopped:
            report.lines.append(Line(event_id, reason, len(copies), "skipped"))
            continue
        if not allow_unverified and not any(originally_signed(e, keys) for _, e in copies):
            report.lines.append(Line(event_id, reason, len(copies), "unverified"))
            continue
        if dry_run:
            report.lines.append(Line(event_id, reason, len(copies), "listed"))
            continue
        try:
            status: int | None = post(event.body, replay_headers(event, keys, int(clock())))
        except OSError:
            status = None
        if status is not None and 200 <= status < 300:
            for message, _ in copies:
                queue.delete(message["receipt"])
                deleted.add(message["id"])
            report.lines.append(Line(event_id, reason, len(copies), "replayed", status))
            continue
        action = "rejected" if status is not None and 400 <= status < 500 else "failed"
        report.lines.append(Line(event_id, reason, len(copies), action, status))
        stopped = not keep_going
    report.deleted = len(deleted)
    for message in messages:
        if message["id"] not in deleted:
            queue.release(message["receipt"])
    return report


# --------------------------------------------------------------------------- CLI


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.removeprefix("export ").partition("=")
            values[key.strip()] = value.strip().strip("'\"")
    return values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="replay_quarantine.py",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog=(
            "settings (first found wins): the option, then the environment variable, then the env file "
            "(--env-file, default build/local.env written by `make up`).\n"
            "  --url           FUNCTION_URL (Terraform output function_url)\n"
            "  --queue-url     QUARANTINE_QUEUE_URL (output quarantine_queue_url); locally derived from FUNCTION_NAME\n"
            "  --secret-param  WEBHOOK_SECRET_PARAM (output webhook_secret_parameter_name)\n"
            "exit status: 0 nothing left in the queue by this run, 1 messages left, 2 bad arguments"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--url", help="the receiver's Function URL")
    parser.add_argument("--queue-url", help="the quarantine queue URL")
    parser.add_argument("--secret-param", help="SSM SecureString holding the signing secret(s)")
    parser.add_argument("--env-file", type=Path, default=None, help="KEY=VALUE file with the settings")
    parser.add_argument("--max", type=int, default=1000, dest="max_messages", help="messages to read (default 1000)")
    parser.add_argument("--visibility-timeout", type=int, default=300, help="seconds a read message stays hidden")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each answer")
    parser.add_argument("--dry-run", action="store_true", help="list and verify, send nothing, delete nothing")
    parser.add_argument("--keep-going", action="store_true", help="do not stop at the first refused or failed replay")
    parser.add_argument(
        "--allow-unverified",
        action="store_true",
        help="replay copies whose original signature matches no current secret (after a rotation)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per event")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env_file = args.env_file or (DEFAULT_ENV_FILE if DEFAULT_ENV_FILE.exists() else None)
    settings = read_env_file(env_file) if env_file else {}
    for key, value in settings.items():  # AWS_* of the local stack, unless the shell sets them
        if key.startswith("AWS_"):
            os.environ.setdefault(key, value)

    def setting(option: str | None, name: str) -> str | None:
        return option or os.environ.get(name) or settings.get(name)

    url = setting(args.url, "FUNCTION_URL")
    parameter = setting(args.secret_param, "WEBHOOK_SECRET_PARAM")
    queue_url = setting(args.queue_url, "QUARANTINE_QUEUE_URL")
    if not url or not parameter:
        print("replay_quarantine: need --url and --secret-param (or an env file)", file=sys.stderr)
        return EXIT_USAGE

    import boto3

    if not queue_url:
        function = setting(None, "FUNCTION_NAME")
        if not function:
            print("replay_quarantine: need --queue-url", file=sys.stderr)
            return EXIT_USAGE
        queue_url = boto3.client("sqs").get_queue_url(QueueName=f"{function}-quarantine")["QueueUrl"]
    value = boto3.client("ssm").get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"]
    keys = decode_secrets(value)
    if not keys:
        print("replay_quarantine: the secret parameter holds no usable secret", file=sys.stderr)
        return EXIT_USAGE

    report = replay(
        SqsQueue(boto3.client("sqs"), queue_url),
        http_post(url, args.timeout),
        keys,
        max_messages=args.max_messages,
        visibility_timeout=args.visibility_timeout,
        dry_run=args.dry_run,
        keep_going=args.keep_going,
        allow_unverified=args.allow_unverified,
    )
    for line in report.lines:
        if args.json:
            print(json.dumps(line.__dict__))
        else:
            status = "-" if line.status is None else line.status
            copies = "1 copy" if line.copies == 1 else f"{line.copies} copies"
            print(f"{line.action:<10} {status!s:>4}  {line.event_id}  ({line.reason}, {copies})")
    actions = ("replayed", "rejected", "failed", "unverified", "malformed", "skipped", "listed")
    summary = {action: report.count(action) for action in actions}
    print(
        f"read {report.read}, deleted {report.deleted}, left {report.left}: "
        + ", ".join(f"{k} {v}" for k, v in summary.items() if v),
        file=sys.stderr,
    )
    return EXIT_OK if report.left == 0 or args.dry_run else EXIT_LEFT


if __name__ == "__main__":
    sys.exit(main())
