"""The sender's options: what argparse cannot check is checked here (UsageError, exit status 2)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from webhook_cli import events
from webhook_cli.providers import NAMES, REGISTRY

PROG = "python -m webhook_cli.send"

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
        "--provider", choices=NAMES, default=NAMES[0], help=f"whose delivery to send (default {NAMES[0]})"
    )
    where = parser.add_argument_group("where to send it")
    where.add_argument("--url", help="the receiver's Function URL (default: $FUNCTION_URL or the env file)")
    where.add_argument(
        "--env-file",
        type=Path,
        help="KEY=VALUE file supplying FUNCTION_URL, the secrets and AWS_* (default: build/local.env if present)",
    )
    where.add_argument(
        "--path",
        help="send to this path of the URL instead of the provider's (/, /stripe, /adyen), e.g. /standard or /paypal",
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


def only_for() -> dict[str, tuple[str, ...]]:
    """The payload options only some providers' formats have -> those providers (from the registry)."""
    found: dict[str, list[str]] = {}
    for record in REGISTRY.values():
        for option in record.payload_options:
            found.setdefault(option, []).append(record.name)
    return {option: tuple(names) for option, names in found.items()}


def given(value: object) -> bool:
    return value is not None and value != []


def check_args(args: argparse.Namespace) -> None:
    """The combinations argparse cannot express; UsageError says what is wrong."""
    for option, providers in only_for().items():
        if given(getattr(args, option)) and args.provider not in providers:
            flag = "--" + option.replace("_", "-")
            hint = {"amount": " (use --amount-minor: an integer in minor units)", "amount_minor": " (use --amount)"}
            raise UsageError(f"{flag} is for --provider {'/'.join(providers)}{hint.get(option, '')}")
    if args.file and any(given(getattr(args, option)) for option in PAYLOAD_OPTIONS):
        raise UsageError("--file sends the file as it is: leave out the payload options")
    if args.repeat < 1:
        raise UsageError("--repeat must be at least 1")
    record = REGISTRY[args.provider]
    if not record.timestamped and args.timestamp_offset:
        raise UsageError(f"--timestamp-offset: {args.provider}'s signature has no timestamp (the store stops replays)")
    if not record.several_secrets and args.secret and len(args.secret) > 1:
        raise UsageError(f"{args.provider} signs with one key: give --secret once")
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
