"""Send a payment webhook to the receiver exactly as a payment provider sends it.

``--provider standard`` (default): the flat payload (docs/behaviour.md, "Fields") to ``/``, signed with the Standard
Webhooks headers. ``--provider stripe``: a Stripe event to ``/stripe`` with
``Stripe-Signature``. ``--provider adyen``: an Adyen notification to ``/adyen`` whose item
carries ``additionalData.hmacSignature``. Every signature is made by webhook_cli.signing,
with the provider's own SDK.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
from collections.abc import Callable, Sequence

from webhook_cli import events, signing
from webhook_cli.providers import REGISTRY
from webhook_cli.send_options import PROG, UsageError, parse_args
from webhook_cli.settings import CliSettings, SettingsError, with_function_url
from webhook_cli.transport import Answer, post

EXIT_OK = 0  # every delivery answered 2xx
EXIT_REJECTED = 1  # at least one delivery answered something else
EXIT_USAGE = 2  # bad arguments (argparse uses 2 as well)
EXIT_UNREACHABLE = 3  # no HTTP answer at all (connection refused, timeout)

__all__ = ["PROG", "UsageError", "build_body", "deliver", "find_secrets", "main", "make_signer", "parse_args"]


# --------------------------------------------------------------------------- building the delivery


def event_spec(args: argparse.Namespace) -> events.EventSpec:
    extra = []
    for item in args.extra:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--extra {item!r}: expected KEY=JSON")
        extra.append((key, value))
    return events.EventSpec(
        transaction_id=args.transaction_id,
        amount=args.amount,
        amount_minor=args.amount_minor,
        currency=args.currency,
        status=args.status,
        amount_refunded=args.amount_refunded,
        success=args.success != "false",
        payload_provider=args.payload_provider,
        event_time=args.event_time,
        event_id=args.event_id,
        extra=extra,
    )


def build_body(args: argparse.Namespace) -> bytes:
    """The body of the event (unsigned; a body whose signatures live inside it is signed later)."""
    if args.file:
        return sys.stdin.buffer.read() if str(args.file) == "-" else args.file.read_bytes()
    return REGISTRY[args.provider].build(event_spec(args))


Signer = Callable[[int], signing.Delivery]  # the signature timestamp -> the delivery


def make_signer(provider: str, body: bytes, secrets: list[str] | None, event_id: str | None) -> tuple[Signer, str]:
    """A function signing ``body`` for ``provider`` at a given time, and the event's id for the output."""
    record = REGISTRY[provider]
    delivery_id = record.event_id(body, event_id)
    return (lambda now: record.sign(body, secrets, delivery_id, now)), delivery_id


def with_overrides(delivery: signing.Delivery, args: argparse.Namespace) -> signing.Delivery:
    headers = dict(delivery.headers)
    if args.content_type:
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        headers["content-type"] = args.content_type
    for header in args.header:
        name, _, value = header.partition(":")
        headers[name.strip()] = value.strip()
    path = delivery.path if args.path is None else "/" + args.path.lstrip("/")
    return signing.Delivery(delivery.provider, path, delivery.body, headers)


# --------------------------------------------------------------------------- secrets


def secret_from_parameter(name: str, settings: CliSettings) -> list[str]:
    """Signing secrets from an SSM SecureString (several, whitespace-separated, during rotation)."""
    import boto3  # only needed here

    client = boto3.client("ssm", **settings.boto3_kwargs())
    found = client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"].split()
    if not found:
        raise UsageError(f"parameter {name} holds no secret")
    return list(found)


def find_secrets(args: argparse.Namespace, settings: CliSettings) -> list[str] | None:
    """The secrets to sign with (None: --unsigned); UsageError when there are none or one is unusable."""
    if args.unsigned:
        return None
    if args.secret_param:
        found = secret_from_parameter(args.secret_param, settings)
    else:
        variable = REGISTRY[args.provider].value_env
        found = [s for s in (args.secret or [settings.get(variable) or ""]) if s]
        if not found:
            raise UsageError(f"no secret: pass --secret or --secret-param, set {variable}, or use --unsigned")
    for value in found:
        REGISTRY[args.provider].check_secret(value)
    return found


# --------------------------------------------------------------------------- main


def deliver(
    url: str, body: bytes, secrets: list[str] | None, event_id: str, timestamp_offset: int = 0, timeout: float = 30.0
) -> Answer:
    """POST one Standard Webhooks delivery of ``body`` (for tests and scripts); ``secrets=None``: unsigned."""
    delivery = signing.standard_delivery(body, secrets, event_id, int(time.time()) + timestamp_offset)
    return post(url, delivery, timeout)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def fail(message: str, code: int = EXIT_USAGE) -> int:
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return code

    try:
        settings, url = with_function_url(args.env_file, args.url)
    except SettingsError as exc:
        return fail(str(exc))
    try:
        secrets = find_secrets(args, settings)
        body = build_body(args)
        signer, event_id = make_signer(args.provider, body, secrets, args.event_id)
        deliveries = [with_overrides(signer(int(time.time()) + args.timestamp_offset), args)]
    except (UsageError, ValueError) as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"cannot read {args.file}: {exc.strerror}")
    except Exception as exc:  # boto3 errors: never print the parameter's value
        return fail(f"cannot read the secret parameter: {type(exc).__name__}", EXIT_UNREACHABLE)

    if not args.quiet and not args.json:
        print(f"POST {deliveries[0].url(url)}  {args.provider} event {event_id}  ({len(body)} bytes)")
    worst = EXIT_OK
    for attempt in range(1, args.repeat + 1):
        if attempt > 1:  # a retry: a timestamped scheme signs again with a fresh timestamp
            deliveries.append(with_overrides(signer(int(time.time()) + args.timestamp_offset), args))
        delivery = deliveries[-1]
        try:
            answer = post(url, delivery, args.timeout)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            print(f"{PROG}: no answer from {delivery.url(url)}: {reason}", file=sys.stderr)
            return EXIT_UNREACHABLE
        if not answer.ok:
            worst = EXIT_REJECTED
        if args.quiet:
            continue
        if args.json:
            line = {"attempt": attempt, "provider": args.provider, "eventId": event_id}
            print(json.dumps({**line, "status": answer.status, "body": answer.body}))
        else:
            label = f"delivery {attempt}/{args.repeat}: " if args.repeat > 1 else ""
            print(f"{label}HTTP {answer.status}  {answer.body}")
    return worst


if __name__ == "__main__":
    sys.exit(main())
