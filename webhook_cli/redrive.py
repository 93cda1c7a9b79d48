"""Re-drive quarantined events: decide per event, re-sign as its provider does, delete on 2xx.

The quarantine message is the function's own (``webhook.quarantine``: one format, one
decoder). Each provider's signing rules come from the registry (webhook_cli/providers.py):
a copy is re-sent only when it carries a signature the provider made with a current
secret (its age is not checked), with the unchanged body bytes; providers whose signature
has a timestamp are signed afresh, the others' deliveries go as they came.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from webhook import quarantine
from webhook_cli import signing
from webhook_cli.providers import REGISTRY, by_path

ACTIONS = ("replayed", "rejected", "failed", "unverified", "no_secret", "malformed", "skipped", "listed")

# The current secrets per provider name (standard, stripe: whsec_...; adyen: hex HMAC keys).
Secrets = Mapping[str, tuple[str, ...]]
Post = Callable[[signing.Delivery], int]  # the delivery -> HTTP status (raises OSError if no answer)


class Queue(Protocol):
    def receive(self, max_messages: int, visibility_timeout: int) -> list[dict[str, str]]: ...
    def delete(self, receipt: str) -> None: ...
    def release(self, receipt: str) -> None: ...


@dataclass(frozen=True)
class Copy:
    """One quarantined copy as the replay needs it: its provider known, header names lower-case."""

    provider: str
    event_id: str  # the function's eventId, or the body's digest when it knew none
    reason_code: str
    headers: Mapping[str, str]
    body: bytes


def read_copy(text: str) -> Copy:
    """One message through the function's decoder; ValueError (KeyError, TypeError) when it is not one."""
    event = quarantine.decode_message(text)
    routed = by_path(event.path)
    if routed is None or routed.name != event.provider:  # the function records both; they agree
        raise ValueError("unknown provider or path")
    return Copy(
        provider=event.provider,
        event_id=event.event_id or "sha256:" + hashlib.sha256(event.body).hexdigest()[:16],
        reason_code=event.reason_code,
        headers={name.lower(): value for name, value in event.headers.items()},
        body=event.body,
    )


def originally_signed(copy: Copy, secrets: Secrets) -> bool:
    """The copy carries a signature its provider made with one of the current secrets (its age not checked)."""
    if copy.headers.get("webhook-id", copy.event_id) != copy.event_id:  # the id the signature covers
        return False
    return REGISTRY[copy.provider].signed_by(secrets.get(copy.provider, ()), copy.headers, copy.body)


def decide(copies: Sequence[Copy], secrets: Secrets, *, allow_unverified: bool = False) -> tuple[str, Copy | None]:
    """What to do with the copies of one event: ("send", the copy to re-send) or (why not, None).

    ``no_secret``: the copy must be re-signed and its provider has no current secret.
    ``unverified``: no copy carries a signature made with a current secret (forged or
    altered in the queue, or signed before a rotation: ``allow_unverified``).
    A verified copy is preferred when there are several.
    """
    first = copies[0]
    if REGISTRY[first.provider].timestamped and not secrets.get(first.provider):
        return "no_secret", None
    verified = [copy for copy in copies if originally_signed(copy, secrets)]
    if verified:
        return "send", verified[0]
    return ("send", first) if allow_unverified else ("unverified", None)


def replay_delivery(copy: Copy, secrets: Secrets, now: int) -> signing.Delivery:
    """The delivery that replays ``copy``: same body bytes, its provider's signing at ``now``."""
    record = REGISTRY[copy.provider]
    content_type = {"content-type": copy.headers.get("content-type", "application/json")}
    if record.timestamped:
        fresh = record.sign(copy.body, list(secrets.get(copy.provider, ())), copy.event_id, now)
    else:  # the signatures are inside the body: re-send it as it came
        fresh = signing.Delivery(record.name, record.path, copy.body, {})
    headers = {k: v for k, v in fresh.headers.items() if k.lower() != "content-type"}
    return signing.Delivery(fresh.provider, fresh.path, fresh.body, {**content_type, **headers})


@dataclass
class Line:
    event_id: str
    reason: str
    copies: int
    action: str  # one of ACTIONS
    status: int | None = None
    provider: str = "-"


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


def _read_all(queue: Queue, max_messages: int, visibility_timeout: int) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    seen: set[str] = set()
    while len(messages) < max_messages:
        batch = [m for m in queue.receive(max_messages - len(messages), visibility_timeout) if m["id"] not in seen]
        if not batch:
            break
        seen.update(m["id"] for m in batch)
        messages.extend(batch)
    return messages


def replay(
    queue: Queue,
    send: Post,
    secrets: Secrets,
    *,
    clock: Callable[[], float] = time.time,
    max_messages: int = 1000,
    visibility_timeout: int = 300,
    dry_run: bool = False,
    keep_going: bool = False,
    allow_unverified: bool = False,
) -> Report:
    """Read up to ``max_messages``, replay one delivery per (provider, event id), delete on 2xx."""
    report = Report()
    messages = _read_all(queue, max_messages, visibility_timeout)
    report.read = len(messages)

    groups: dict[tuple[str, str], list[tuple[dict[str, str], Copy]]] = {}
    for message in messages:
        try:
            copy = read_copy(message["body"])
        except (ValueError, KeyError, TypeError):
            report.lines.append(Line(message["id"], "-", 1, "malformed"))
            continue
        groups.setdefault((copy.provider, copy.event_id), []).append((message, copy))

    deleted: set[str] = set()
    stopped = False
    for (provider, event_id), copies in groups.items():
        reason, count = copies[0][1].reason_code, len(copies)
        if stopped:
            report.lines.append(Line(event_id, reason, count, "skipped", None, provider))
            continue
        decision, chosen = decide([copy for _, copy in copies], secrets, allow_unverified=allow_unverified)
        if chosen is None or dry_run:
            report.lines.append(Line(event_id, reason, count, decision if chosen is None else "listed", None, provider))
            continue
        try:
            status: int | None = send(replay_delivery(chosen, secrets, int(clock())))
        except OSError:
            status = None
        if status is not None and 200 <= status < 300:
            for message, _ in copies:
                queue.delete(message["receipt"])
                deleted.add(message["id"])
            report.lines.append(Line(event_id, reason, count, "replayed", status, provider))
            continue
        action = "rejected" if status is not None and 400 <= status < 500 else "failed"
        report.lines.append(Line(event_id, reason, count, action, status, provider))
        stopped = not keep_going
    report.deleted = len(deleted)
    for message in messages:
        if message["id"] not in deleted:
            queue.release(message["receipt"])
    return report
