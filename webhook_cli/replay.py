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
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from webhook_cli import signing
from webhook_cli.providers import PARAMETER_OUTPUT, REGISTRY
from webhook_cli.redrive import ACTIONS, Post, Report, Secrets, SqsQueue, replay
from webhook_cli.settings import CliSettings, SettingsError, with_function_url
from webhook_cli.transport import post

PROG = "python -m webhook_cli.replay"

EXIT_OK = 0  # every message read was replayed with a 2xx (or there was none)
EXIT_LEFT = 1  # some messages are still in the queue (rejected, failed, unverified, malformed, no secret)
EXIT_USAGE = 2


def http_post(url: str, timeout: float) -> Post:
    def send(delivery: signing.Delivery) -> int:
        return post(url, delivery, timeout).status

    return send


def option_dest(option: str) -> str:
    return option.lstrip("-").replace("-", "_")


def load_secrets(args: argparse.Namespace, settings: CliSettings, get_parameter: Callable[[str], str]) -> Secrets:
    """Each provider's secrets: its SSM parameter (option, env, env file), else its value in the env file."""
    found: dict[str, tuple[str, ...]] = {}
    for record in REGISTRY.values():
        parameter = settings.get(record.parameter_env, getattr(args, option_dest(record.param_option)))
        value = get_parameter(parameter) if parameter else settings.get(record.value_env) or ""
        found[record.name] = record.usable(value)
    return found


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
            + "".join(
                f"  {r.param_option:<22} {r.parameter_env} (output {PARAMETER_OUTPUT}.{r.name}); else {r.value_env}\n"
                for r in REGISTRY.values()
            )
            + "exit status: 0 nothing left in the queue by this run, 1 messages left, 2 bad arguments"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--url", help="the receiver's Function URL (each provider's path is appended)")
    parser.add_argument("--queue-url", help="the quarantine queue URL")
    for record in REGISTRY.values():
        parser.add_argument(record.param_option, help=f"SSM SecureString holding the {record.name} secret(s)")
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
        settings, url = with_function_url(args.env_file, args.url)
    except SettingsError as exc:
        return fail(str(exc))

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
    if not any(secrets.values()):
        options = ", ".join(record.param_option for record in REGISTRY.values())
        return fail(f"no usable secret for any provider ({options})")

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
