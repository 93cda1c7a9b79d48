"""Run a Stripe reconciliation from an operator's machine and print the counts.

    python -m webhook_cli.reconcile --api-key-file stripe-api-key.txt
    python -m webhook_cli.reconcile --api-key-param /payment-webhook/prod/stripe-api-key --table T --payments-table P

The same code as the scheduled function (lambda_src/webhook/reconcile): lists the
Stripe events that were not delivered and stores each as a ``/stripe`` delivery
would be (``receivedVia`` = ``api``). The key comes from a file or from its SSM
SecureString, never from the command line; it is never printed. Tables and queue
come from the options, the environment or build/local.env (after ``make up``).
Exit 0 with the counts as one JSON line; 1 when the run failed (what was stored stays).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from webhook_cli.settings import load

PROG = "python -m webhook_cli.reconcile"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    key = parser.add_mutually_exclusive_group()
    key.add_argument("--api-key-file", type=Path, help="file holding the restricted key (rk_...)")
    key.add_argument("--api-key-param", help="SSM SecureString holding the key (or $STRIPE_API_KEY_PARAM)")
    parser.add_argument("--table", help="transactions table (or $TABLE_NAME / build/local.env)")
    parser.add_argument("--payments-table", help="payment-status table (or $PAYMENTS_TABLE_NAME)")
    parser.add_argument("--queue-url", help="quarantine queue URL for refused events (or $QUARANTINE_QUEUE_URL)")
    parser.add_argument("--api-base", help="Stripe API base (default https://api.stripe.com)")
    parser.add_argument("--api-version", help="Stripe-Version to send (the webhook endpoint's)")
    parser.add_argument("--lookback-seconds", help="how far back to list (default 2592000 = 30 days)")
    parser.add_argument("--env-file", type=Path, help="settings file (default build/local.env)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    import boto3

    from webhook.config import ConfigError
    from webhook.reconcile.client import StripeError
    from webhook.reconcile.settings import load_reconcile_settings
    from webhook.reconcile.wiring import build, read_api_key

    try:
        settings = load(args.env_file)
    except OSError as exc:
        print(f"{PROG}: cannot read env file {args.env_file}: {exc.strerror}", file=sys.stderr)
        return 2
    parameter = settings.get("STRIPE_API_KEY_PARAM", args.api_key_param)
    environ = {
        "TABLE_NAME": settings.get("TABLE_NAME", args.table) or "",
        "PAYMENTS_TABLE_NAME": settings.get("PAYMENTS_TABLE_NAME", args.payments_table) or "",
        "QUARANTINE_QUEUE_URL": settings.get("QUARANTINE_QUEUE_URL", args.queue_url) or "",
        "STRIPE_API_BASE": settings.get("STRIPE_API_BASE", args.api_base) or "",
        "STRIPE_API_VERSION": settings.get("STRIPE_API_VERSION", args.api_version) or "",
        "RECONCILE_LOOKBACK_SECONDS": settings.get("RECONCILE_LOOKBACK_SECONDS", args.lookback_seconds) or "",
        "STRIPE_API_KEY_PARAM": "file" if args.api_key_file else parameter or "",
    }
    kwargs = settings.boto3_kwargs()
    try:
        config = load_reconcile_settings(environ)
        if args.api_key_file is not None:
            key = args.api_key_file.read_text(encoding="utf-8").strip()
        else:
            key = read_api_key(boto3.client("ssm", **kwargs), config.api_key_parameter)
        ddb, sqs = boto3.client("dynamodb", **kwargs), boto3.client("sqs", **kwargs)
        counts = build(config, key, dynamodb=lambda: ddb, sqs=lambda: sqs).run()
    except (ConfigError, StripeError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{PROG}: cannot read the API key file: {exc.strerror}", file=sys.stderr)
        return 1
    print(json.dumps(counts.as_dict(), separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
