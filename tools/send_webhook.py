#!/usr/bin/env python3
"""Send a signed payment webhook to the receiver, the way a payment provider would.

Builds a JSON payment event (or takes one from a file), signs it with the
Standard Webhooks scheme and POSTs it:

    webhook-id:        the event id (the receiver stores each id once)
    webhook-timestamp: now, in Unix seconds (+ --timestamp-offset)
    webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>
                       where key = base64-decode(secret without its "whsec_" prefix)

Standard library and boto3 (only for --secret-param) only.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

DEFAULT_ENV_FILE = Path(__file__).resolve().parent.parent / "build" / "local.env"

EXIT_OK = 0  # every delivery answered 2xx
EXIT_REJECTED = 1  # at least one delivery answered something else
EXIT_USAGE = 2  # bad arguments (argparse uses 2 as well)
EXIT_UNREACHABLE = 3  # no HTTP answer at all (connection refused, timeout)

EPILOG = """\
examples:
  # after `make up`: URL and secret come from build/local.env
  python tools/send_webhook.py --transaction-id tx_1001 --amount 19.99 --currency EUR --status succeeded

  # an amount no binary float can hold is sent exactly as typed
  python tools/send_webhook.py --amount 1234567890123456789.01

  # the amount as a JSON string; a bad amount (expect 400)
  python tools/send_webhook.py --amount '"12.50"'
  python tools/send_webhook.py --amount '"12,50"'

  # a provider retrying the same event three times (expect "accepted", then "duplicate")
  python tools/send_webhook.py --event-id msg_retry_1 --repeat 3

  # a stale delivery, 10 minutes old (expect 401)
  python tools/send_webhook.py --timestamp-offset -600

  # any payload, byte for byte; the secret from SSM (through AWS_ENDPOINT_URL locally)
  python tools/send_webhook.py --file payment.json \\
      --secret-param /payment-webhook/dev/webhook-signing-secrets

where the settings come from (first found wins):
  --url            then $FUNCTION_URL, then FUNCTION_URL in the env file
  --secret/--secret-param  then $WEBHOOK_SECRET, then WEBHOOK_SECRET in the env file
  env file         --env-file, default build/local.env (written by `make up`), if it exists

exit status:
  0  every delivery was answered 2xx
  1  at least one delivery was answered with another status (printed)
  2  bad arguments
  3  no answer at all (server down, connection refused, timeout)
"""


# --------------------------------------------------------------------------- signing


def secret_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret: base64 decoding of what follows `whsec_`."""
    encoded = secret.strip()
    if encoded.startswith("whsec_"):
        encoded = encoded[len("whsec_") :]
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the secret is not whsec_ followed by base64") from None
    if not key:
        raise ValueError("the secret is empty")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 signature>` of body, as in the webhook-signature header."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(secret_list: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers; one v1 signature per secret, space-separated."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, msg_id, timestamp, body) for s in secret_list),
    }


# --------------------------------------------------------------------------- payload


def check_json_value(text: str, what: str) -> str:
    """Return text unchanged if it is exactly one JSON value (no NaN/Infinity), else raise.

    Numbers are parsed as Decimal only to check the syntax: the text itself is
    what gets sent, so no binary float ever touches an amount.
    """

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not valid JSON")

    try:
        json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=refuse)
    except ValueError as exc:
        raise ValueError(
            f"{what} {text!r} is not a JSON value ({exc}). Numbers go as typed (12.50); "
            f"to send a string, quote it: '\"12.50\"'"
        ) from None
    return text.strip()


def build_payload(
    transaction_id: str,
    amount: str,
    currency: str,
    status: str | None = None,
    provider: str | None = None,
    event_time: str | None = None,
    extra: list[tuple[str, str]] | None = None,
) -> bytes:
    """The JSON body, built as text so the amount (and every extra value) is sent verbatim."""
    parts = [
        f'"transactionId": {json.dumps(transaction_id)}',
        f'"amount": {check_json_value(amount, "--amount")}',
        f'"currency": {json.dumps(currency)}',
    ]
    if status is not None:
        parts.append(f'"status": {json.dumps(status)}')
    if provider is not None:
        parts.append(f'"provider": {json.dumps(provider)}')
    if event_time is not None:
        parts.append(f'"timestamp": {json.dumps(event_time)}')
    for key, value in extra or []:
        parts.append(f"{json.dumps(key)}: {check_json_value(value, f'--extra {key}=')}")
    return ("{" + ", ".join(parts) + "}").encode()


def new_event_id() -> str:
    return "msg_" + secrets.token_hex(12)


# --------------------------------------------------------------------------- delivery


@dataclass
class Delivery:
    attempt: int
    event_id: str
    timestamp: int
    status: int
    body: str
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def deliver(
    url: str,
    body: bytes,
    secret_list: list[str] | None,
    event_id: str,
    timestamp_offset: int = 0,
    content_type: str = "application/json",
    extra_headers: dict[str, str] | None = None,
    timeout: float = 30.0,
    attempt: int = 1,
) -> Delivery:
    """POST one signed delivery. HTTP error statuses are returned, not raised;
    connection failures raise urllib.error.URLError / OSError."""
    timestamp = int(time.time()) + timestamp_offset
    headers = {"content-type": content_type, "user-agent": "send_webhook/1 (payment-webhook tools)"}
    if secret_list:
        headers.update(signature_headers(secret_list, event_id, timestamp, body))
    else:  # unsigned: the id and timestamp still go, the signature does not
        headers.update({"webhook-id": event_id, "webhook-timestamp": str(timestamp)})
    headers.update(extra_headers or {})
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw, answer_headers = response.status, response.read(), dict(response.headers.items())
    except urllib.error.HTTPError as error:
        status, raw, answer_headers = error.code, error.read(), dict(error.headers.items())
    return Delivery(attempt, event_id, timestamp, status, raw.decode("utf-8", "replace"), answer_headers)


# --------------------------------------------------------------------------- settings


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def secret_from_parameter(name: str) -> list[str]:
    """Signing secrets from an SSM SecureString (several, whitespace-separated, during rotation)."""
    import boto3  # only needed here

    response = boto3.client("ssm").get_parameter(Name=name, WithDecryption=True)
    found = response["Parameter"]["Value"].split()
    if not found:
        raise ValueError(f"parameter {name} holds no secret")
    return found


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="send_webhook.py",
        description=(
            "Send a signed payment webhook (Standard Webhooks signature) to the receiver's Function URL "
            "and print the answer. Like `stripe trigger`, for this project. With no payload options it "
            "sends a valid sample payment. Needs a running receiver: `make up` starts one locally "
            "and writes its URL and secret to build/local.env, which this tool reads."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = parser.add_argument_group("where to send it")
    where.add_argument("--url", help="the receiver's URL (default: $FUNCTION_URL or the env file)")
    where.add_argument(
        "--env-file",
        type=Path,
        help="KEY=VALUE file supplying FUNCTION_URL, WEBHOOK_SECRET and AWS_* defaults "
        "(default: build/local.env if present)",
    )
    where.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for an answer (default 30)")

    signing = parser.add_argument_group("signing")
    source = signing.add_mutually_exclusive_group()
    source.add_argument(
        "--secret",
        action="append",
        help="signing secret whsec_<base64> (default: $WEBHOOK_SECRET); repeat to add one signature per secret",
    )
    source.add_argument(
        "--secret-param",
        metavar="NAME",
        help="read the secret(s) from this SSM SecureString parameter (uses the usual AWS_* settings)",
    )
    source.add_argument("--unsigned", action="store_true", help="send no webhook-signature header (expect 401)")

    payload = parser.add_argument_group(
        "payload (built as JSON text; alternatively --file)",
    )
    payload.add_argument("--transaction-id", help="transactionId (default: a new random txn_... id)")
    payload.add_argument(
        "--amount",
        help="amount as raw JSON text, inserted verbatim so no float ever touches it: 19.99, 1E-7, or '\"19.99\"' "
        "for a string (default 12.34)",
    )
    payload.add_argument("--currency", help="ISO 4217 code (default USD)")
    payload.add_argument("--status", help="e.g. pending, succeeded, refunded (left out unless given)")
    payload.add_argument("--provider", help="payment provider name (left out unless given)")
    payload.add_argument("--event-time", help="the payload's ISO-8601 `timestamp` field (left out unless given)")
    payload.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="add a field with a raw JSON value, e.g. --extra 'metadata={\"order\": 42}'; repeatable",
    )
    payload.add_argument("--file", type=Path, help="send this file's bytes as the body instead ('-' for stdin)")

    delivery = parser.add_argument_group("delivery")
    delivery.add_argument("--event-id", help="webhook-id header (default: a new random msg_... id)")
    delivery.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="deliver the same event (same id and body) N times, as a provider retrying would; "
        "each delivery gets a fresh timestamp and signature (default 1)",
    )
    delivery.add_argument(
        "--timestamp-offset",
        type=int,
        default=0,
        metavar="SECONDS",
        help="shift webhook-timestamp from now, e.g. -600 for a stale delivery (default 0)",
    )
    delivery.add_argument(
        "--content-type", default="application/json", help="content-type header (default application/json)"
    )
    delivery.add_argument(
        "--header", action="append", default=[], metavar="NAME:VALUE", help="extra header; repeatable"
    )
    delivery.add_argument("--json", action="store_true", help="print one JSON object per delivery instead of text")
    delivery.add_argument("--quiet", action="store_true", help="print nothing; only the exit status tells")
    args = parser.parse_args(argv)

    fields = (args.transaction_id, args.amount, args.currency, args.status, args.provider, args.event_time)
    if args.file and (args.extra or any(value is not None for value in fields)):
        parser.error("--file sends the file as it is: leave out the payload options")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def fail(message: str, code: int = EXIT_USAGE) -> int:
        print(f"send_webhook.py: error: {message}", file=sys.stderr)
        return code

    env_file = args.env_file or (DEFAULT_ENV_FILE if DEFAULT_ENV_FILE.exists() else None)
    file_values: dict[str, str] = {}
    if env_file is not None:
        try:
            file_values = read_env_file(env_file)
        except OSError as exc:
            return fail(f"cannot read env file {env_file}: {exc.strerror}")
        for key, value in file_values.items():  # AWS_* defaults for --secret-param
            if key.startswith("AWS_"):
                os.environ.setdefault(key, value)

    url = args.url or os.environ.get("FUNCTION_URL") or file_values.get("FUNCTION_URL")
    if not url:
        return fail("no URL: pass --url, set FUNCTION_URL, or run `make up` first (it writes build/local.env)")

    secret_list: list[str] | None = None
    if not args.unsigned:
        try:
            if args.secret_param:
                secret_list = secret_from_parameter(args.secret_param)
            else:
                found = args.secret or [os.environ.get("WEBHOOK_SECRET") or file_values.get("WEBHOOK_SECRET") or ""]
                secret_list = [s for s in found if s]
            if not secret_list:
                return fail("no secret: pass --secret or --secret-param, set WEBHOOK_SECRET, or use --unsigned")
            for value in secret_list:
                secret_key(value)
        except ValueError as exc:
            return fail(str(exc))
        except Exception as exc:  # boto3 errors: never print the parameter's value
            return fail(f"cannot read the secret parameter: {type(exc).__name__}: {exc}", EXIT_UNREACHABLE)

    try:
        if args.file:
            body = sys.stdin.buffer.read() if str(args.file) == "-" else args.file.read_bytes()
        else:
            extra = []
            for item in args.extra:
                key, sep, value = item.partition("=")
                if not sep or not key:
                    return fail(f"--extra {item!r}: expected KEY=JSON")
                extra.append((key, value))
            body = build_payload(
                args.transaction_id or "txn_" + secrets.token_hex(6),
                args.amount if args.amount is not None else "12.34",
                args.currency if args.currency is not None else "USD",
                args.status,
                args.provider,
                args.event_time,
                extra,
            )
    except ValueError as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"cannot read {args.file}: {exc.strerror}")

    extra_headers = {}
    for item in args.header:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            return fail(f"--header {item!r}: expected NAME:VALUE")
        extra_headers[name.strip().lower()] = value.strip()

    event_id = args.event_id or new_event_id()
    if not args.quiet and not args.json:
        print(f"POST {url}  webhook-id={event_id}  body={body.decode('utf-8', 'replace')}")
    worst = EXIT_OK
    for attempt in range(1, args.repeat + 1):
        try:
            result = deliver(
                url,
                body,
                secret_list,
                event_id,
                args.timestamp_offset,
                args.content_type,
                extra_headers,
                args.timeout,
                attempt,
            )
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            print(f"send_webhook.py: no answer from {url}: {reason}", file=sys.stderr)
            return EXIT_UNREACHABLE
        if not result.ok:
            worst = EXIT_REJECTED
        if args.quiet:
            continue
        if args.json:
            print(json.dumps({"attempt": attempt, "eventId": event_id, "status": result.status, "body": result.body}))
        else:
            label = f"delivery {attempt}/{args.repeat}: " if args.repeat > 1 else ""
            print(f"{label}HTTP {result.status}  {result.body}")
    return worst


if __name__ == "__main__":
    sys.exit(main())
