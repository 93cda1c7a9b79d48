"""Send a payment webhook to the receiver exactly as a payment provider sends it.

``--provider standard`` (default): CONTRACT §1's payload to ``/``, signed with the Standard
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
from datetime import datetime
from pathlib import Path

from webhook_cli import events, signing
from webhook_cli.settings import Settings, load
from webhook_cli.transport import Answer, post

EXIT_OK = 0  # every delivery answered 2xx
EXIT_REJECTED = 1  # at least one delivery answered something else
EXIT_USAGE = 2  # bad arguments (argparse uses 2 as well)
EXIT_UNREACHABLE = 3  # no HTTP answer at all (connection refused, timeout)

PROG = "python -m webhook_cli.send"
# The env-file / environment variable holding each provider's secret (CONTRACT §3).
SECRET_VARIABLES = {"standard": "WEBHOOK_SECRET", "stripe": "STRIPE_SECRET", "adyen": "ADYEN_HMAC_KEY"}
DEFAULT_STRIPE_TYPE = "payment_intent.succeeded"
DEFAULT_ADYEN_CODE = "AUTHORISATION"

EPILOG = f"""\
examples:
  # after `make up`: URL and secrets come from build/local.env
  {PROG} --transaction-id tx_1001 --amount 19.99 --currency EUR --status succeeded

  # Stripe: a PaymentIntent succeeded, 19.99 USD (amounts in minor units, as Stripe sends them)
  {PROG} --provider stripe --status payment_intent.succeeded --transaction-id pi_123 --amount-minor 1999

  # Stripe: a partial refund of that payment (a Charge event; transactionId = its payment_intent)
  {PROG} --provider stripe --status charge.refunded --transaction-id pi_123 --amount-minor 1999 \\
      --amount-refunded 500

  # Adyen: an authorisation, then its capture (originalReference = the payment's pspReference)
  {PROG} --provider adyen --transaction-id PSP0000000000001 --amount-minor 1000 --currency EUR
  {PROG} --provider adyen --status CAPTURE --transaction-id PSP0000000000001 --amount-minor 1000 --currency EUR

  # an amount no binary float can hold is sent exactly as typed (standard payload)
  {PROG} --amount 1234567890123456789.01

  # a provider retrying the same event three times (expect "accepted", then "duplicate")
  {PROG} --event-id msg_retry_1 --repeat 3

  # a stale delivery, 10 minutes old (expect 401)
  {PROG} --timestamp-offset -600

  # any body, byte for byte (an Adyen file gets its items signed); the secret from SSM
  {PROG} --provider stripe --file event.json --secret-param /payment-webhook/dev/stripe-signing-secret

per provider:
  --status        standard: the payload's status (left out unless given); stripe: the event type
                  (default payment_intent.succeeded); adyen: the eventCode (default AUTHORISATION)
  --event-id      standard: webhook-id; stripe: the event id (evt_...); adyen: the item's pspReference
  --event-time    standard: the payload's timestamp; stripe: created (Unix seconds or ISO-8601);
                  adyen: eventDate (ISO-8601)
  --amount        standard only (raw JSON text); --amount-minor for stripe and adyen (an integer)
  path            standard: /   stripe: /stripe   adyen: /adyen (appended to the Function URL)

where the settings come from (first found wins):
  --url            then $FUNCTION_URL, then FUNCTION_URL in the env file
  --secret/--secret-param  then the provider's variable ($WEBHOOK_SECRET, $STRIPE_SECRET,
                   $ADYEN_HMAC_KEY), then the same name in the env file
  env file         --env-file, default build/local.env (written by `make up`), if it exists

exit status:
  0  every delivery was answered 2xx
  1  at least one delivery was answered with another status (printed)
  2  bad arguments
  3  no answer at all (server down, connection refused, timeout)
"""


class UsageError(ValueError):
    """Bad arguments or settings: exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Send a payment webhook to the receiver's Function URL exactly as the provider does "
            "(Standard Webhooks, Stripe or Adyen, signed with the provider's own SDK) and print the answer. "
            "Like `stripe trigger`, for this project. With no payload options it sends a valid sample payment. "
            "Needs a running receiver: `make up` starts one locally and writes its URL and secrets to "
            "build/local.env, which this tool reads."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--provider", choices=signing.PROVIDERS, default="standard", help="whose delivery to send (default standard)"
    )
    where = parser.add_argument_group("where to send it")
    where.add_argument("--url", help="the receiver's Function URL (default: $FUNCTION_URL or the env file)")
    where.add_argument(
        "--env-file",
        type=Path,
        help="KEY=VALUE file supplying FUNCTION_URL, the secrets and AWS_* (default: build/local.env if present)",
    )
    where.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for an answer (default 30)")

    sign = parser.add_argument_group("signing")
    source = sign.add_mutually_exclusive_group()
    source.add_argument(
        "--secret",
        action="append",
        help="signing secret: whsec_... (standard, stripe; repeat to add one signature per secret) "
        "or Adyen's hex HMAC key",
    )
    source.add_argument(
        "--secret-param",
        metavar="NAME",
        help="read the secret(s) from this SSM SecureString parameter (uses the usual AWS_* settings)",
    )
    source.add_argument("--unsigned", action="store_true", help="send no signature (expect 401)")

    payload = parser.add_argument_group("payload (built as the provider does; alternatively --file)")
    payload.add_argument(
        "--transaction-id",
        help="the payment: standard transactionId, Stripe PaymentIntent id, Adyen payment pspReference (default: new)",
    )
    payload.add_argument(
        "--amount",
        help="standard: amount as raw JSON text, inserted verbatim so no float ever touches it: 19.99, 1E-7, "
        "or '\"19.99\"' for a string (default 12.34)",
    )
    payload.add_argument(
        "--amount-minor",
        help="stripe, adyen: the integer amount in minor units, 1999 = 19.99 USD (default 1999)",
    )
    payload.add_argument("--currency", help="ISO 4217 code (default USD; Stripe sends it lower-case)")
    payload.add_argument("--status", help="the provider's own status word (see 'per provider' below)")
    payload.add_argument("--amount-refunded", help="stripe charge.* events: amount_refunded in minor units")
    payload.add_argument("--success", choices=("true", "false"), help="adyen: the item's success (default true)")
    payload.add_argument("--payload-provider", help="standard: the payload's provider field (left out unless given)")
    payload.add_argument("--event-time", help="the event's own time (see 'per provider' below)")
    payload.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="standard: add a field with a raw JSON value, e.g. --extra 'metadata={\"order\": 42}'; repeatable",
    )
    payload.add_argument("--file", type=Path, help="send this file's bytes as the body instead ('-' for stdin)")

    delivery = parser.add_argument_group("delivery")
    delivery.add_argument("--event-id", help="the event's id (see 'per provider' below; default: new)")
    delivery.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="deliver the same event N times, as a provider retrying would; standard and stripe "
        "deliveries get a fresh timestamp and signature each time (default 1)",
    )
    delivery.add_argument(
        "--timestamp-offset",
        type=int,
        default=0,
        metavar="SECONDS",
        help="shift the signature timestamp from now, e.g. -600 for a stale delivery (standard, stripe)",
    )
    delivery.add_argument("--content-type", help="override the content-type header")
    delivery.add_argument(
        "--header", action="append", default=[], metavar="NAME:VALUE", help="extra header; repeatable"
    )
    delivery.add_argument("--json", action="store_true", help="print one JSON object per delivery instead of text")
    delivery.add_argument("--quiet", action="store_true", help="print nothing; only the exit status tells")
    return parser


# Options that only one provider's format has.
ONLY_FOR = {
    "amount": ("standard",),
    "payload_provider": ("standard",),
    "extra": ("standard",),
    "amount_minor": ("stripe", "adyen"),
    "amount_refunded": ("stripe",),
    "success": ("adyen",),
}
PAYLOAD_OPTIONS = (
    "transaction_id",
    "amount",
    "amount_minor",
    "currency",
    "status",
    "amount_refunded",
    "success",
    "payload_provider",
    "event_time",
    "extra",
)


def given(value: object) -> bool:
    return value is not None and value != []


def check_args(args: argparse.Namespace) -> None:
    """The combinations argparse cannot express; UsageError says what is wrong."""
    for option, providers in ONLY_FOR.items():
        if given(getattr(args, option)) and args.provider not in providers:
            flag = "--" + option.replace("_", "-")
            hint = {"amount": " (use --amount-minor: an integer in minor units)", "amount_minor": " (use --amount)"}
            raise UsageError(f"{flag} is for --provider {'/'.join(providers)}{hint.get(option, '')}")
    if args.file and any(given(getattr(args, option)) for option in PAYLOAD_OPTIONS):
        raise UsageError("--file sends the file as it is: leave out the payload options")
    if args.repeat < 1:
        raise UsageError("--repeat must be at least 1")
    if args.provider == "adyen":
        if args.timestamp_offset:
            raise UsageError("--timestamp-offset: Adyen's signature has no timestamp (the store stops replays)")
        if args.secret and len(args.secret) > 1:
            raise UsageError("Adyen signs each item with one HMAC key: give --secret once")
    for option in ("amount_minor", "amount_refunded"):
        value = getattr(args, option)
        if value is not None:
            try:
                events.minor_units(value)
            except ValueError as exc:
                raise UsageError(f"--{option.replace('_', '-')}: {exc}") from None
    for header in args.header:
        name, sep, _ = header.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"--header {header!r}: expected NAME:VALUE")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_args(args)
    except UsageError as exc:
        parser.error(str(exc))
    return args


# --------------------------------------------------------------------------- building the delivery


def stripe_created(text: str | None) -> int | None:
    """Stripe's ``created`` (Unix seconds) from digits or an ISO-8601 date-time with an offset."""
    if text is None:
        return None
    if text.strip().lstrip("-").isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--event-time {text!r}: Unix seconds or an ISO-8601 date-time") from None
    if moment.tzinfo is None:
        raise UsageError(f"--event-time {text!r}: give the offset (Z or +01:00)")
    return int(moment.timestamp())


def build_body(args: argparse.Namespace) -> bytes:
    """The body of the event (unsigned; an Adyen body is signed later, inside)."""
    if args.file:
        return sys.stdin.buffer.read() if str(args.file) == "-" else args.file.read_bytes()
    currency = args.currency if args.currency is not None else "USD"
    if args.provider == "standard":
        extra = []
        for item in args.extra:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise UsageError(f"--extra {item!r}: expected KEY=JSON")
            extra.append((key, value))
        return events.build_payload(
            args.transaction_id or "txn_" + events.new_event_id()[4:16],
            args.amount if args.amount is not None else "12.34",
            currency,
            args.status,
            args.payload_provider,
            args.event_time,
            extra,
        )
    amount = events.minor_units(args.amount_minor if args.amount_minor is not None else "1999")
    if args.provider == "stripe":
        refunded = None if args.amount_refunded is None else events.minor_units(args.amount_refunded)
        return events.stripe_event(
            args.status or DEFAULT_STRIPE_TYPE,
            args.transaction_id or events.stripe_id("pi"),
            amount,
            currency,
            event_id=args.event_id,
            created=stripe_created(args.event_time),
            amount_refunded=refunded,
        )
    notification = events.adyen_notification(
        args.status or DEFAULT_ADYEN_CODE,
        args.transaction_id or events.adyen_psp_reference(),
        amount,
        currency,
        psp_reference=args.event_id,
        success=args.success != "false",
        event_date=args.event_time,
    )
    return json.dumps(notification).encode()


Signer = Callable[[int], signing.Delivery]  # the signature timestamp -> the delivery


def make_signer(provider: str, body: bytes, secrets: list[str] | None, event_id: str | None) -> tuple[Signer, str]:
    """A function signing ``body`` for ``provider`` at a given time, and the event's id for the output."""
    if provider == "standard":
        msg_id = event_id or events.new_event_id()
        return (lambda now: signing.standard_delivery(body, secrets, msg_id, now)), msg_id
    if provider == "stripe":
        try:
            stripe_id = str(json.loads(body).get("id", ""))
        except (ValueError, AttributeError):
            stripe_id = ""
        return (lambda now: signing.stripe_delivery(body, secrets, now)), stripe_id
    try:
        notification = json.loads(body)
        delivery = signing.adyen_delivery(notification, secrets[0] if secrets else None)
    except (ValueError, AttributeError) as exc:
        raise UsageError(f"not an Adyen notification: {exc}") from None
    item = notification["notificationItems"][0]["NotificationRequestItem"]
    adyen_id = f"{item.get('eventCode', '')}:{item.get('pspReference', '')}:{item.get('success', '')}"
    return (lambda _now: delivery), adyen_id


def with_overrides(delivery: signing.Delivery, args: argparse.Namespace) -> signing.Delivery:
    headers = dict(delivery.headers)
    if args.content_type:
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        headers["content-type"] = args.content_type
    for header in args.header:
        name, _, value = header.partition(":")
        headers[name.strip()] = value.strip()
    return signing.Delivery(delivery.provider, delivery.path, delivery.body, headers)


# --------------------------------------------------------------------------- secrets


def secret_from_parameter(name: str, settings: Settings) -> list[str]:
    """Signing secrets from an SSM SecureString (several, whitespace-separated, during rotation)."""
    import boto3  # only needed here

    client = boto3.client("ssm", **settings.boto3_kwargs())
    found = client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"].split()
    if not found:
        raise UsageError(f"parameter {name} holds no secret")
    return list(found)


def find_secrets(args: argparse.Namespace, settings: Settings) -> list[str] | None:
    """The secrets to sign with (None: --unsigned); UsageError when there are none or one is unusable."""
    if args.unsigned:
        return None
    if args.secret_param:
        found = secret_from_parameter(args.secret_param, settings)
    else:
        variable = SECRET_VARIABLES[args.provider]
        found = [s for s in (args.secret or [settings.get(variable) or ""]) if s]
        if not found:
            raise UsageError(f"no secret: pass --secret or --secret-param, set {variable}, or use --unsigned")
    check = {
        "standard": signing.check_standard_secret,
        "stripe": signing.check_stripe_secret,
        "adyen": signing.check_adyen_key,
    }[args.provider]
    for value in found:
        check(value)
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
        settings = load(args.env_file)
    except OSError as exc:
        return fail(f"cannot read env file {args.env_file}: {exc.strerror}")
    url = settings.get("FUNCTION_URL", args.url)
    if not url:
        return fail("no URL: pass --url, set FUNCTION_URL, or run `make up` first (it writes build/local.env)")
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
        if attempt > 1:  # a retry: standard and stripe sign again with a fresh timestamp
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
