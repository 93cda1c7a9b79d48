"""One payment's current status and its event history, from the two tables (behaviour.md, "Payment status").

    python -m webhook_cli.status TRANSACTION_ID

prints the payment's item from the payments table (PAYMENTS_TABLE_NAME: status,
providerStatus, amount, currency, provider, lastEventId, eventTime, updatedAt) and every
event of it stored in the transactions table (TABLE_NAME, a Query on transactionId), in
event-time order, the one the payment item holds marked with `*`.

Locally (after `make up`) the tables and the emulator's endpoint come from build/local.env;
on AWS pass the table names (Terraform outputs) or set the variables, and the usual boto3
credentials apply. Numbers are printed exactly as stored. Needs dynamodb:GetItem on the
payments table and dynamodb:Query on the transactions table (kms:Decrypt on the stack key).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webhook_cli.settings import SETTINGS_ORDER_HELP, load
from webhook_cli.tables import Item, format_table, plain_item

PROG = "python -m webhook_cli.status"
EXIT_FOUND = 0
EXIT_NOT_FOUND = 1
EXIT_USAGE = 2
EXIT_AWS = 3

PAYMENT_FIELDS = ("status", "providerStatus", "amount", "currency", "provider", "lastEventId", "eventTime", "updatedAt")
EVENT_COLUMNS = (
    ("eventId", "event"),
    ("status", "status"),
    ("amount", "amount"),
    ("currency", "cur"),
    ("provider", "provider"),
    ("timestamp", "event time"),
    ("processedAt", "stored at (UTC)"),
)


@dataclass
class PaymentView:
    transaction_id: str
    payment: dict[str, str] | None = None  # the payments table's item, as text
    events: list[dict[str, str]] = field(default_factory=list)  # the transactions table's items, as text

    @property
    def found(self) -> bool:
        return self.payment is not None or bool(self.events)


def event_order(event: dict[str, str]) -> tuple[str, str, str]:
    return (event.get("timestamp", ""), event.get("processedAt", ""), event.get("eventId", ""))


def fetch(client: Any, transaction_id: str, payments_table: str | None, table: str | None) -> PaymentView:
    """Read the payment item (GetItem) and its events (Query, every page), both strongly consistent."""
    view = PaymentView(transaction_id)
    if payments_table:
        item: Item | None = client.get_item(
            TableName=payments_table, Key={"transactionId": {"S": transaction_id}}, ConsistentRead=True
        ).get("Item")
        view.payment = plain_item(item) if item else None
    if table:
        pages = client.get_paginator("query").paginate(
            TableName=table,
            KeyConditionExpression="transactionId = :t",
            ExpressionAttributeValues={":t": {"S": transaction_id}},
            ConsistentRead=True,
        )
        view.events = sorted((plain_item(i) for page in pages for i in page.get("Items", [])), key=event_order)
    return view


def format_view(view: PaymentView, payments_table: str | None, table: str | None) -> list[str]:
    lines: list[str] = []
    if payments_table:
        if view.payment is None:
            lines.append(f"payment {view.transaction_id}: no item in {payments_table}")
        else:
            lines.append(f"payment {view.transaction_id} (current status, table {payments_table})")
            width = max(len(name) for name in PAYMENT_FIELDS)
            lines.extend(f"  {name:<{width}}  {view.payment.get(name, '')}" for name in PAYMENT_FIELDS)
    if table:
        if lines:
            lines.append("")
        current = (view.payment or {}).get("lastEventId")
        count = len(view.events)
        lines.append(f"events of {view.transaction_id} ({count}, table {table}), by event time; * = the current one")
        rows = [
            [("* " if e.get("eventId") == current else "  ") + e.get("eventId", "")]
            + [e.get(key, "") for key, _ in EVENT_COLUMNS[1:]]
            for e in view.events
        ]
        lines.extend("  " + line for line in format_table([t for _, t in EVENT_COLUMNS], rows, right=(2,)))
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(__doc__ or "").split("\n\n")[0],
        epilog=(
            SETTINGS_ORDER_HELP + "  --payments-table  PAYMENTS_TABLE_NAME (Terraform output payments_table_name)\n"
            "  --table           TABLE_NAME (output table_name)\n"
            "  --endpoint-url    AWS_ENDPOINT_URL (the local emulator; unset on AWS)\n"
            "exit status: 0 found, 1 nothing stored for this transaction, 2 bad arguments, 3 AWS error"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("transaction_id", metavar="TRANSACTION_ID", help="the payment's transactionId")
    parser.add_argument("--payments-table", help="the payments table (current status per payment)")
    parser.add_argument("--table", help="the transactions table (one item per delivered event)")
    parser.add_argument("--endpoint-url", help="AWS endpoint (the local emulator)")
    parser.add_argument("--region", help="AWS region (default: the usual boto3 settings)")
    parser.add_argument("--env-file", type=Path, help="KEY=VALUE file with the settings (default build/local.env)")
    parser.add_argument("--no-env-file", action="store_true", help="ignore build/local.env (on AWS)")
    parser.add_argument("--json", action="store_true", help="print {payment, events} as JSON (numbers as strings)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load(args.env_file, use_default=not args.no_env_file)
    except OSError as exc:
        print(f"{PROG}: cannot read env file {args.env_file}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    payments_table = settings.get("PAYMENTS_TABLE_NAME", args.payments_table)
    table = settings.get("TABLE_NAME", args.table)
    if not payments_table and not table:
        print(f"{PROG}: need --payments-table and/or --table (or PAYMENTS_TABLE_NAME / TABLE_NAME)", file=sys.stderr)
        return EXIT_USAGE
    kwargs = settings.boto3_kwargs()
    if args.endpoint_url:
        kwargs["endpoint_url"] = args.endpoint_url
    if args.region:
        kwargs["region_name"] = args.region

    import boto3
    import botocore.exceptions

    try:
        view = fetch(boto3.client("dynamodb", **kwargs), args.transaction_id, payments_table, table)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
        print(f"{PROG}: could not read the tables: {code}", file=sys.stderr)
        return EXIT_AWS
    if args.json:
        print(json.dumps({"transactionId": view.transaction_id, "payment": view.payment, "events": view.events}))
    else:
        print("\n".join(format_view(view, payments_table, table)))
    return EXIT_FOUND if view.found else EXIT_NOT_FOUND


if __name__ == "__main__":
    sys.exit(main())
