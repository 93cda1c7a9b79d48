"""Re-drive quarantined webhook events through the Function URL after a fix, each with its provider's scheme.

The function copies every authentic event whose payload it refused (400) to the
quarantine queue (SQS, encrypted with the stack's CMK, 14 days), with the provider (or
the path it arrived on) and the headers needed to verify it again. Once the cause is
fixed (a new currency, a relaxed rule, a corrected deployment), this command sends those
events again, run by an operator who may read the signing secrets:

1. it checks the ORIGINAL signature against the current secret(s), ignoring its age: only
   a copy the provider really signed is replayed (a message forged or altered inside the
   queue is left alone and reported "unverified"; after a secret rotation older copies no
   longer verify: --allow-unverified);
2. it re-sends the unchanged body bytes, per provider (webhook_cli.signing signs):
   - standard (`/`): the original webhook-id, a fresh timestamp, one v1 signature per
     current secret -- a quarantined copy is older than the signature tolerance;
   - stripe (`/stripe`): a fresh `Stripe-Signature` (t = now, one v1 per current secret);
     the event id inside the body is the idempotency key, as on a Stripe retry;
   - adyen (`/adyen`): the body exactly as it came: each item's hmacSignature is inside
     it and Adyen's scheme has no timestamp;
   so the receiver's idempotency still holds: an event that was somehow stored already
   answers 200 "duplicate" and is never stored twice;
3. it deletes a message only after a 2xx answer. Copies of the same event (the function
   quarantines again each refused delivery, replays included) are sent once and all
   deleted on its 2xx.

A 4xx means the fix is not deployed yet (the function has quarantined the replayed copy
again); the run stops there unless --keep-going. A 5xx or no answer leaves the message for
the next run. Messages not deleted are made visible again at the end of the run. The body
and the secrets are never printed.

Needs: sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility on the queue,
kms:Decrypt on the stack key (queue and secrets), ssm:GetParameter on the secret
parameters. Locally (after `make up`) everything comes from build/local.env.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from webhook_cli import signing
from webhook_cli.settings import Settings, load
from webhook_cli.transport import post

PROG = "python -m webhook_cli.replay"
# The quarantine message format written by lambda_src/webhook/quarantine.py.
SCHEMAS = ("webhook-quarantine/1", "webhook-quarantine/2")
PROVIDER_OF_PATH = {"/": "standard", "": "standard", "/standard": "standard", "/stripe": "stripe", "/adyen": "adyen"}

EXIT_OK = 0  # every message read was replayed with a 2xx (or there was none)
EXIT_LEFT = 1  # some messages are still in the queue (rejected, failed, unverified, malformed, no secret)
EXIT_USAGE = 2

ACTIONS = ("replayed", "rejected", "failed", "unverified", "no_secret", "malformed", "skipped", "listed")


class Queue(Protocol):
    def receive(self, max_messages: int, visibility_timeout: int) -> list[dict[str, str]]: ...
    def delete(self, receipt: str) -> None: ...
    def release(self, receipt: str) -> None: ...


Post = Callable[[signing.Delivery], int]  # the delivery -> HTTP status (raises OSError if no answer)


# --------------------------------------------------------------------------- the quarantine message


@dataclass(frozen=True)
class QuarantinedEvent:
    provider: str
    event_id: str
    received_at: str
    reason_code: str
    reason_message: str
    headers: Mapping[str, str]
    body: bytes


def _provider(data: Mapping[str, Any]) -> str:
    """The provider of a copy: its path when recorded, else its provider field, else standard (pre-§4 copies)."""
    if "path" in data:
        provider = PROVIDER_OF_PATH.get(str(data["path"]))
        if provider is None:
            raise ValueError("unknown path")
        return provider
    recorded = data.get("provider", data.get("scheme"))
    if recorded is None:
        return "standard"
    if recorded not in signing.PROVIDERS:
        raise ValueError("unknown provider")
    return str(recorded)


def decode_message(text: str) -> QuarantinedEvent:
    """One quarantine message; ValueError (or KeyError/TypeError) if it is not one or its body was altered."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("schema") not in SCHEMAS or data.get("bodyEncoding") != "base64":
        raise ValueError("not a quarantine message")
    try:
        body = base64.b64decode(data["body"], validate=True)
    except binascii.Error:
        raise ValueError("body is not base64") from None
    if hashlib.sha256(body).hexdigest() != data.get("bodySha256"):
        raise ValueError("body digest mismatch")
    headers, reason = data.get("headers"), data.get("reason")
    if not isinstance(headers, dict) or not isinstance(reason, dict):
        raise ValueError("not a quarantine message")
    provider = _provider(data)
    event_id = data.get("eventId")
    if not event_id:  # an id is what groups the copies; the body's digest stands in
        event_id = "sha256:" + hashlib.sha256(body).hexdigest()[:16]
    return QuarantinedEvent(
        provider=provider,
        event_id=str(event_id),
        received_at=str(data.get("receivedAt", "")),
        reason_code=str(reason.get("code")),
        reason_message=str(reason.get("message")),
        headers={str(k).lower(): str(v) for k, v in headers.items()},
        body=body,
    )


# --------------------------------------------------------------------------- the decisions


@dataclass(frozen=True)
class ReplaySecrets:
    """The current secrets per provider (standard, stripe: whsec_...; adyen: hex HMAC keys)."""

    standard: tuple[str, ...] = ()
    stripe: tuple[str, ...] = ()
    adyen: tuple[str, ...] = ()

    def of(self, provider: str) -> tuple[str, ...]:
        found: tuple[str, ...] = getattr(self, provider)
        return found


def originally_signed(event: QuarantinedEvent, secrets: ReplaySecrets) -> bool:
    """The copy carries a signature the provider made with one of the current secrets (its age is not checked)."""
    current = secrets.of(event.provider)
    if event.provider == "standard":
        if event.headers.get("webhook-id") != event.event_id:
            return False
        return signing.standard_signed_by(current, event.headers, event.body)
    if event.provider == "stripe":
        return signing.stripe_signed_by(current, event.headers, event.body)
    return signing.adyen_signed_by(current, event.body)


def can_resend(event: QuarantinedEvent, secrets: ReplaySecrets) -> bool:
    """Standard and Stripe copies are re-signed, so they need a current secret; Adyen's carry their own."""
    return event.provider == "adyen" or bool(secrets.of(event.provider))


def decide(
    copies: Sequence[QuarantinedEvent], secrets: ReplaySecrets, *, allow_unverified: bool = False
) -> tuple[str, QuarantinedEvent | None]:
    """What to do with the copies of one event: ("send", the copy to re-send) or (why not, None).

    ``no_secret``: a standard or Stripe copy must be re-signed and its provider has no
    current secret. ``unverified``: no copy carries a signature made with a current secret
    (forged or altered in the queue, or signed before a rotation: ``allow_unverified``).
    A verified copy is preferred when there are several.
    """
    first = copies[0]
    if not can_resend(first, secrets):
        return "no_secret", None
    verified = [copy for copy in copies if originally_signed(copy, secrets)]
    if verified:
        return "send", verified[0]
    return ("send", first) if allow_unverified else ("unverified", None)


def replay_delivery(event: QuarantinedEvent, secrets: ReplaySecrets, now: int) -> signing.Delivery:
    """The delivery that replays ``event``: same body bytes, the provider's signing at ``now``."""
    content_type = {"content-type": event.headers.get("content-type", "application/json")}
    if event.provider == "standard":
        fresh = signing.standard_delivery(event.body, list(secrets.standard), event.event_id, now)
    elif event.provider == "stripe":
        fresh = signing.stripe_delivery(event.body, list(secrets.stripe), now)
    else:  # Adyen: the signatures are inside the body; re-send it as it came
        fresh = signing.Delivery("adyen", signing.PATHS["adyen"], event.body, {})
    headers = {k: v for k, v in fresh.headers.items() if k.lower() != "content-type"}
    return signing.Delivery(fresh.provider, fresh.path, fresh.body, {**content_type, **headers})


# --------------------------------------------------------------------------- the run


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
    def send(delivery: signing.Delivery) -> int:
        return post(url, delivery, timeout).status

    return send


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
    secrets: ReplaySecrets,
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

    groups: dict[tuple[str, str], list[tuple[dict[str, str], QuarantinedEvent]]] = {}
    for message in messages:
        try:
            event = decode_message(message["body"])
        except (ValueError, KeyError, TypeError):
            report.lines.append(Line(message["id"], "-", 1, "malformed"))
            continue
        groups.setdefault((event.provider, event.event_id), []).append((message, event))

    deleted: set[str] = set()
    stopped = False
    for (provider, event_id), copies in groups.items():
        events = [event for _, event in copies]
        reason, count = events[0].reason_code, len(copies)
        if stopped:
            report.lines.append(Line(event_id, reason, count, "skipped", None, provider))
            continue
        decision, chosen = decide(events, secrets, allow_unverified=allow_unverified)
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


# --------------------------------------------------------------------------- CLI


# provider -> (option dest, parameter variable, value variable in the env file)
SECRET_SOURCES = {
    "standard": ("secret_param", "WEBHOOK_SECRET_PARAM", "WEBHOOK_SECRET"),
    "stripe": ("stripe_secret_param", "STRIPE_SECRET_PARAM", "STRIPE_SECRET"),
    "adyen": ("adyen_key_param", "ADYEN_HMAC_KEY_PARAM", "ADYEN_HMAC_KEY"),
}
USABLE = {
    "standard": signing.check_standard_secret,
    "stripe": signing.check_stripe_secret,
    "adyen": signing.check_adyen_key,
}


def usable(provider: str, value: str) -> tuple[str, ...]:
    """The whitespace-separated secrets of ``value`` the provider's SDK can use (others are skipped)."""
    found = []
    for token in value.split():
        try:
            USABLE[provider](token)
        except ValueError:
            continue
        found.append(token)
    return tuple(found)


def load_secrets(args: argparse.Namespace, settings: Settings, get_parameter: Callable[[str], str]) -> ReplaySecrets:
    """Each provider's secrets: its SSM parameter (option, env, env file), else its value in the env file."""
    found: dict[str, tuple[str, ...]] = {}
    for provider, (dest, param_variable, value_variable) in SECRET_SOURCES.items():
        parameter = settings.get(param_variable, getattr(args, dest))
        value = get_parameter(parameter) if parameter else settings.get(value_variable) or ""
        found[provider] = usable(provider, value)
    return ReplaySecrets(**found)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog=(
            "settings (first found wins): the option, then the environment variable, then the env file "
            "(--env-file, default build/local.env written by `make up`).\n"
            "  --url                  FUNCTION_URL (Terraform output function_url)\n"
            "  --queue-url            QUARANTINE_QUEUE_URL (output quarantine_queue_url); "
            "locally derived from FUNCTION_NAME\n"
            "  --secret-param         WEBHOOK_SECRET_PARAM (output webhook_secret_parameter_name); "
            "else WEBHOOK_SECRET\n"
            "  --stripe-secret-param  STRIPE_SECRET_PARAM; else STRIPE_SECRET\n"
            "  --adyen-key-param      ADYEN_HMAC_KEY_PARAM; else ADYEN_HMAC_KEY\n"
            "exit status: 0 nothing left in the queue by this run, 1 messages left, 2 bad arguments"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--url", help="the receiver's Function URL (each provider's path is appended)")
    parser.add_argument("--queue-url", help="the quarantine queue URL")
    parser.add_argument("--secret-param", help="SSM SecureString holding the Standard Webhooks secret(s)")
    parser.add_argument("--stripe-secret-param", help="SSM SecureString holding the Stripe signing secret(s)")
    parser.add_argument("--adyen-key-param", help="SSM SecureString holding the Adyen HMAC key(s)")
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


def print_report(report: Report, as_json: bool) -> None:
    for line in report.lines:
        if as_json:
            print(json.dumps(line.__dict__))
        else:
            status = "-" if line.status is None else line.status
            copies = "1 copy" if line.copies == 1 else f"{line.copies} copies"
            print(f"{line.action:<10} {status!s:>4}  {line.provider:<8} {line.event_id}  ({line.reason}, {copies})")
    summary = {action: report.count(action) for action in ACTIONS}
    print(
        f"read {report.read}, deleted {report.deleted}, left {report.left}: "
        + ", ".join(f"{k} {v}" for k, v in summary.items() if v),
        file=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def fail(message: str) -> int:
        print(f"{PROG}: {message}", file=sys.stderr)
        return EXIT_USAGE

    try:
        settings = load(args.env_file)
    except OSError as exc:
        return fail(f"cannot read env file {args.env_file}: {exc.strerror}")
    url = settings.get("FUNCTION_URL", args.url)
    if not url:
        return fail("need --url (or FUNCTION_URL, or an env file)")

    import boto3

    kwargs = settings.boto3_kwargs()
    sqs = boto3.client("sqs", **kwargs)
    queue_url = settings.get("QUARANTINE_QUEUE_URL", args.queue_url)
    if not queue_url:
        function = settings.get("FUNCTION_NAME")
        if not function:
            return fail("need --queue-url")
        queue_url = sqs.get_queue_url(QueueName=f"{function}-quarantine")["QueueUrl"]
    ssm = boto3.client("ssm", **kwargs)

    def get_parameter(name: str) -> str:
        value: str = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        return value

    secrets = load_secrets(args, settings, get_parameter)
    if not any(secrets.of(provider) for provider in signing.PROVIDERS):
        return fail("no usable secret for any provider (--secret-param, --stripe-secret-param, --adyen-key-param)")

    report = replay(
        SqsQueue(sqs, queue_url),
        http_post(url, args.timeout),
        secrets,
        max_messages=args.max_messages,
        visibility_timeout=args.visibility_timeout,
        dry_run=args.dry_run,
        keep_going=args.keep_going,
        allow_unverified=args.allow_unverified,
    )
    print_report(report, args.json)
    return EXIT_OK if report.left == 0 or args.dry_run else EXIT_LEFT


if __name__ == "__main__":
    sys.exit(main())
