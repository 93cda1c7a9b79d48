"""`make demo`: the whole flow on the local stack, explained as it happens.

up -> a payment provider's webhooks (signed by tools/send_webhook.py) -> what the
receiver answered -> what is stored in DynamoDB -> down.
"""

from __future__ import annotations

import json
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import stack

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import send_webhook

WIDTH = 100


@dataclass
class Sample:
    title: str
    transaction_id: str
    amount: str  # raw JSON text, sent verbatim
    currency: str
    status: str | None = None
    provider: str | None = "demo-pay"
    expect_code: int = 200
    expect_status: str | None = "accepted"  # the body's "status" for 2xx answers
    redeliver_previous: bool = False  # same webhook-id and body as the sample before
    wrong_secret: bool = False
    timestamp_offset: int = 0


SAMPLES = [
    Sample(
        "A new payment whose amount has more digits than a binary float can hold",
        "tx-1001",
        "1234567890123456789.01",
        "usd",
        status="pending",
    ),
    Sample(
        "A new payment of 0.1 EUR (0.1 has no exact binary float either)", "tx-1002", "0.1", "EUR", status="succeeded"
    ),
    Sample(
        "A new payment whose amount arrives as a JSON string with a trailing zero",
        "tx-1003",
        '"250.10"',
        "GBP",
        status="succeeded",
    ),
    Sample(
        "A status update of tx-1001: pending -> succeeded (a new event of the same payment)",
        "tx-1001",
        "1234567890123456789.01",
        "USD",
        status="succeeded",
    ),
    Sample(
        "The provider re-delivers that same event (same webhook-id; fresh timestamp and signature)",
        "tx-1001",
        "1234567890123456789.01",
        "USD",
        status="succeeded",
        expect_status="duplicate",
        redeliver_previous=True,
    ),
    Sample(
        "A forged request: signed with a secret that is not ours",
        "tx-6666",
        "1000000",
        "USD",
        status="succeeded",
        expect_code=401,
        wrong_secret=True,
    ),
    Sample(
        "A replayed request: correctly signed, but captured 10 minutes ago",
        "tx-1004",
        "5.00",
        "USD",
        status="succeeded",
        expect_code=401,
        timestamp_offset=-600,
    ),
    Sample(
        'A bad amount: "12,50" is not a decimal number',
        "tx-1005",
        '"12,50"',
        "EUR",
        status="succeeded",
        expect_code=400,
    ),
]


def heading(text: str) -> None:
    stack.say("")
    stack.say(f"== {text} " + "=" * max(3, WIDTH - len(text) - 4))


def wrap(label: str, text: str) -> None:
    lines = textwrap.wrap(text, WIDTH - 14, break_long_words=True, break_on_hyphens=False) or [""]
    stack.say(f"     {label:<9}{lines[0]}")
    for line in lines[1:]:
        stack.say(f"     {'':<9}{line}")


def send_samples(values: dict[str, str]) -> bool:
    url, secret = values["FUNCTION_URL"], values["WEBHOOK_SECRET"]
    all_as_expected = True
    previous: tuple[str, bytes] | None = None
    for number, sample in enumerate(SAMPLES, 1):
        stack.say(f"\n {number}. {sample.title}")
        if sample.redeliver_previous and previous:
            event_id, body = previous
        else:
            event_id = send_webhook.new_event_id()
            body = send_webhook.build_payload(
                sample.transaction_id, sample.amount, sample.currency, sample.status, sample.provider
            )
        signing_secret = stack.new_secret() if sample.wrong_secret else secret
        result = send_webhook.deliver(url, body, [signing_secret], event_id, sample.timestamp_offset)
        previous = (event_id, body)
        wrap(
            "sent",
            f"webhook-id {event_id}, timestamp now{sample.timestamp_offset:+d}s"
            if sample.timestamp_offset
            else f"webhook-id {event_id}",
        )
        wrap("", body.decode())
        wrap("answer", f"{result.status} {result.body}")
        try:
            answered_status = json.loads(result.body).get("status") if result.ok else None
        except (ValueError, AttributeError):
            answered_status = None
        expected = f"{sample.expect_code}" + (f" {sample.expect_status}" if sample.expect_code == 200 else "")
        ok = result.status == sample.expect_code and (
            sample.expect_code != 200 or answered_status == sample.expect_status
        )
        all_as_expected &= ok
        wrap("expected", expected + ("  -> as expected" if ok else "  -> UNEXPECTED"))
    return all_as_expected


def scan_table(values: dict[str, str]) -> list[dict]:
    import boto3

    client = boto3.client("dynamodb", **stack.boto3_kwargs(values["AWS_ENDPOINT_URL"]))
    items: list[dict] = []
    for page in client.get_paginator("scan").paginate(TableName=values["TABLE_NAME"]):
        items.extend(page["Items"])
    return items


def plain(attribute: dict | None) -> str:
    """A DynamoDB attribute value as text; numbers exactly as stored (never via float)."""
    if not attribute:
        return ""
    for kind in ("S", "N"):
        if kind in attribute:
            return attribute[kind]
    return json.dumps(attribute)


def print_table(items: list[dict]) -> None:
    columns = [
        ("transactionId", "transaction"),
        ("eventId", "event (webhook-id)"),
        ("amount", "amount"),
        ("currency", "cur"),
        ("status", "status"),
        ("provider", "provider"),
        ("processedAt", "processed at (UTC)"),
    ]
    rows = [[plain(item.get(key)) for key, _ in columns] for item in items]
    rows.sort(key=lambda row: (row[0], row[6]))
    widths = [max([len(title)] + [len(row[i]) for row in rows]) for i, (_, title) in enumerate(columns)]
    aligned_right = {2}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in aligned_right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    stack.say(" " + line([title for _, title in columns]))
    stack.say(" " + "  ".join("-" * w for w in widths))
    for row in rows:
        stack.say(" " + line(row))
    stack.say(f" ({len(rows)} item{'s' if len(rows) != 1 else ''})")


def explain(items: list[dict]) -> None:
    per_transaction: dict[str, int] = {}
    for item in items:
        tx = plain(item.get("transactionId"))
        per_transaction[tx] = per_transaction.get(tx, 0) + 1
    stack.say("")
    stack.say(" What to notice:")
    count = per_transaction.get("tx-1001", 0)
    if count == 2:
        stack.say("  - tx-1001 has 2 items, one per distinct event (pending, then succeeded). The re-delivery")
        stack.say('    was answered "duplicate" and not written again (the write is conditional on the event id).')
    else:
        stack.say(f"  - UNEXPECTED: tx-1001 has {count} items; one per distinct event (2) was expected.")
    stack.say("  - Amounts are DynamoDB numbers, exactly as sent: 1234567890123456789.01 would have become")
    stack.say("    1234567890123456800 through a binary float.")
    amounts = {plain(item.get("transactionId")): plain(item.get("amount")) for item in items}
    if amounts.get("tx-1003") == "250.10":
        stack.say(
            "    The emulator keeps 250.10 as sent; real DynamoDB returns it as 250.1 (same number, no trailing zero)."
        )
    else:
        stack.say("    DynamoDB drops trailing zeros: 250.10 reads back as 250.1, the same number.")
    stack.say("  - Currencies are stored upper-case (usd -> USD).")
    rejected = [tx for tx in ("tx-6666", "tx-1004", "tx-1005") if tx in per_transaction]
    if rejected:
        stack.say(f"  - UNEXPECTED: rejected requests left items behind: {', '.join(rejected)}")
    else:
        stack.say("  - The forged, replayed and invalid requests stored nothing.")


def run(layout: stack.Layout, suffix: str, verbose: bool = False) -> int:
    stack.say("Payment webhook receiver: local demo")
    stack.say("It starts the stack on a local AWS emulator, sends webhooks the way a payment provider does,")
    stack.say("shows what the receiver answered and what it stored, and tears everything down again.")
    heading("1/4  make up: emulator + terraform apply + local Function URL")
    as_expected = False
    destroyed = False
    try:
        values = stack.up(layout, suffix, verbose)
        heading(f"2/4  Sending signed webhooks to {values['FUNCTION_URL']}")
        stack.say(" Each request carries the Standard Webhooks headers webhook-id, webhook-timestamp and")
        stack.say(" webhook-signature (HMAC-SHA256 with the secret `up` put into SSM).")
        as_expected = send_samples(values)
        heading(f"3/4  Stored in DynamoDB table {values['TABLE_NAME']}")
        items = scan_table(values)
        print_table(items)
        explain(items)
    finally:
        heading("4/4  make down: terraform destroy + stop every process")
        destroyed = stack.down(layout, verbose)
    stack.say("")
    if as_expected and destroyed:
        stack.say("Demo finished: every answer was as expected and the stack was destroyed cleanly.")
        return 0
    stack.say(
        "Demo finished WITH PROBLEMS: "
        + ", ".join(
            msg
            for msg, bad in (("some answers were not as expected", not as_expected), ("destroy failed", not destroyed))
            if bad
        )
        + f". Logs: {layout.rel(layout.logs)}/"
    )
    return 1
