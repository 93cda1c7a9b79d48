"""`make demo`: the whole flow on the local stack, explained as it happens.

up -> each provider's webhooks, signed by webhook_cli.signing with the providers' own SDKs
(Standard Webhooks on `/`, Stripe on `/stripe`, Adyen on `/adyen`), a payment's events
delivered OUT OF ORDER -> what the receiver answered -> the stored transactions as a table
with each payment's current status beside them -> down.

    python -m webhook_cli.demo [--environment-suffix dev] [--verbose]

The stack's up/down are local_stack.lifecycle's; the demo imports the stack, never the reverse.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import textwrap
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from webhook_cli import signing
from webhook_cli.demo_scenario import Payments, Step, answered_as_expected, new_payments, steps
from webhook_cli.settings import CliSettings
from webhook_cli.tables import format_table, plain_item
from webhook_cli.transport import Answer, post

WIDTH = 100


def say(message: str = "") -> None:
    """Progress for the person running make; a closed stdout never stops the cleanup."""
    with contextlib.suppress(OSError):  # BrokenPipeError included
        print(message, flush=True)


def wrap(label: str, text: str) -> None:
    lines = textwrap.wrap(text, WIDTH - 14, break_long_words=True, break_on_hyphens=False) or [""]
    say(f"     {label:<9}{lines[0]}")
    for line in lines[1:]:
        say(f"     {'':<9}{line}")


def describe(delivery: signing.Delivery) -> str:
    if delivery.provider == "standard":
        return f"POST {delivery.path}  webhook-id {delivery.headers.get('webhook-id')}"
    if delivery.provider == "stripe":
        event = json.loads(delivery.body)
        created = datetime.fromtimestamp(event["created"], tz=UTC).isoformat(timespec="seconds")
        return f"POST {delivery.path}  Stripe-Signature t=…  {event['id']} {event['type']} created {created}"
    item = json.loads(delivery.body)["notificationItems"][0]["NotificationRequestItem"]
    return (
        f"POST {delivery.path}  {item['eventCode']} pspReference {item['pspReference']} eventDate {item['eventDate']}"
    )


def send_steps(url: str, planned: Sequence[Step], send: Callable[[str, signing.Delivery], Answer] = post) -> bool:
    all_as_expected = True
    for number, step in enumerate(planned, 1):
        say(f"\n {number:>2}. {step.title}")
        wrap("sent", describe(step.delivery))
        if step.delivery.provider == "standard":
            wrap("", step.delivery.body.decode())
        answer = send(url, step.delivery)
        wrap("answer", f"{answer.status} {answer.body}")
        ok = answered_as_expected(step, answer)
        all_as_expected &= ok
        expected = f"{step.expect_code}" + (f" {step.expect}" if step.expect else "")
        wrap("expected", expected + ("  -> as expected" if ok else "  -> UNEXPECTED"))
    return all_as_expected


# --------------------------------------------------------------------------- what is stored


def scan(client: Any, table: str) -> list[dict[str, str]]:
    items: list[dict[str, str]] = []
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items.extend(plain_item(item) for item in page["Items"])
    return items


def transactions_table(items: Sequence[Mapping[str, str]], payments: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The stored events, one row each, grouped by payment in event-time order, its current status beside it."""
    columns = (
        ("transactionId", "transaction"),
        ("eventId", "event"),
        ("amount", "amount"),
        ("currency", "cur"),
        ("status", "provider's status"),
        ("provider", "provider"),
        ("timestamp", "event time"),
    )
    ordered = sorted(items, key=lambda i: (i.get("transactionId", ""), i.get("timestamp", ""), i.get("eventId", "")))
    rows, previous = [], None
    for item in ordered:
        tx = item.get("transactionId", "")
        payment = payments.get(tx)
        held = payment is not None and payment.get("lastEventId") == item.get("eventId")
        current = "" if tx == previous else "(no item)" if payment is None else payment.get("status", "")
        cells = [item.get(key, "") for key, _ in columns]
        cells[1] = ("* " if held else "  ") + cells[1]
        rows.append([*cells, current])
        previous = tx
    titles = [title for _, title in columns] + ["current status"]
    return [" " + line for line in format_table(titles, rows, right=(2,))] + [
        f" ({len(rows)} item{'s' if len(rows) != 1 else ''})"
    ]


def check_statuses(payments: Mapping[str, Mapping[str, str]], expected: Mapping[str, str]) -> list[str]:
    """A line per expected payment: its current status against the one behaviour.md "Payment status" gives."""
    lines = []
    for tx, status in expected.items():
        found = payments.get(tx, {}).get("status")
        verdict = "as expected" if found == status else "UNEXPECTED"
        lines.append(f"  - {tx}: {found or 'no payment item'} (expected {status})  -> {verdict}")
    return lines


def show_stored(values: Mapping[str, str], payments: Payments, delivered: Sequence[Step]) -> bool:
    import boto3

    client = boto3.client("dynamodb", **CliSettings(dict(values), {}).boto3_kwargs())
    items = scan(client, values["TABLE_NAME"])
    payment_items: dict[str, dict[str, str]] = {}
    if values.get("PAYMENTS_TABLE_NAME"):
        payment_items = {p["transactionId"]: p for p in scan(client, values["PAYMENTS_TABLE_NAME"])}
    for line in transactions_table(items, payment_items):
        say(line)
    say("")
    say(" What to notice:")
    say("  - Amounts are DynamoDB numbers, exactly as sent: 1234567890123456789.01 would have become")
    say("    1234567890123456800 through a binary float; Stripe's 1999 (USD) is 19.99, Adyen's 1000 (EUR) 10.")
    say("  - The re-delivery was answered 'duplicate' and not written again; the forged, stale and invalid")
    say("    requests stored nothing; Stripe's customer.created is not a payment ('ignored').")
    rejected = [i["transactionId"] for i in items if i.get("transactionId") in ("tx-forged", "tx-stale", "tx-bad")]
    ok = not rejected
    if rejected:
        say(f"  - UNEXPECTED: rejected requests left items behind: {', '.join(rejected)}")
    if not values.get("PAYMENTS_TABLE_NAME"):
        say("  - No payments table in this stack (PAYMENTS_TABLE_NAME unset): no current status to show.")
        return ok
    say("  - Each payment's current status is the greatest of its events by (known, event time, rank,")
    say("    eventId), whatever the delivery order (docs/behaviour.md): the refund arrived first and still wins;")
    say("    the capture arrived before the authorisation and still wins.")
    say("    (* marks the event each payment item holds.)")
    lines = check_statuses(payment_items, payments.expected({step.delivery.provider for step in delivered}))
    for line in lines:
        say(line)
    return ok and all(line.endswith("as expected") for line in lines)


# --------------------------------------------------------------------------- events out


def status_changes(found: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Each payment's statuses in the order its `payment.status_changed` messages arrived."""
    changes: dict[str, list[str]] = {}
    for event in found:
        data = event.get("data") or {}
        if event.get("type") == "payment.status_changed":
            changes.setdefault(str(event.get("subject")), []).append(str(data.get("status")))
    return changes


def show_events(values: Mapping[str, str], payments: Payments, delivered: Sequence[Step], wait: float = 60) -> bool:
    """Read the events FIFO queue (webhook_cli.consume) until each payment's last status change is its
    current status; print the changes in order beside the current statuses."""
    import boto3

    from webhook_cli.consume import Consumer

    kwargs = CliSettings(dict(values), {}).boto3_kwargs()
    current = {
        p["transactionId"]: p.get("status", "")
        for p in scan(boto3.client("dynamodb", **kwargs), values["PAYMENTS_TABLE_NAME"])
    }
    expected = payments.expected({step.delivery.provider for step in delivered})
    consumer = Consumer(boto3.client("sqs", **kwargs), values["EVENTS_QUEUE_URL"])
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        changes = status_changes(found)
        if all(changes.get(tx, [None])[-1] == current.get(tx) for tx in expected):
            break
        for received in consumer.receive(wait=2):
            if received.event is not None:
                found.append(received.event)
            consumer.delete(received)
    changes = status_changes(found)
    received_count: dict[str, int] = {}
    for event in found:
        if event.get("type") == "payment.event_received":
            received_count[str(event.get("subject"))] = received_count.get(str(event.get("subject")), 0) + 1
    rows, ok = [], True
    for tx in expected:
        seen = changes.get(tx, [])
        as_expected = bool(seen) and seen[-1] == current.get(tx)
        ok &= as_expected
        rows.append(
            [
                tx,
                " -> ".join(["(new)", *seen]),
                current.get(tx, ""),
                str(received_count.get(tx, 0)),
                "as expected" if as_expected else "UNEXPECTED",
            ]
        )
    titles = ["transaction", "status changes, in the order they arrived", "current status", "events", "check"]
    for line in format_table(titles, rows):
        say(" " + line)
    say("")
    say(f" {len(found)} CloudEvents read from the FIFO queue (and deleted) by webhook_cli.consume;")
    say(" each payment's changes arrive in its order (FIFO group = transactionId), only ever forward, however")
    say(" the deliveries were ordered. `python -m webhook_cli.consume` prints them the same way after `make up`.")
    return ok


# --------------------------------------------------------------------------- the run


def heading(text: str) -> None:
    say("")
    say(f"== {text} " + "=" * max(3, WIDTH - len(text) - 4))


def run(stack: Any, layout: Any, suffix: str, verbose: bool = False) -> int:
    """The demo on ``stack`` (up: local_stack.lifecycle.up, down: local_stack.teardown.down) in ``layout``."""
    say("Payment webhook receiver: local demo")
    say("It starts the stack on a local AWS emulator, sends webhooks the way Standard Webhooks senders,")
    say("Stripe and Adyen do, shows what the receiver answered and stored, and tears everything down again.")
    heading("1/4  make up: emulator + terraform apply + local Function URL")
    as_expected = stored_ok = destroyed = False
    events_ok = True  # stays True on a stack without events out
    try:
        values = stack.up(layout, suffix, verbose)
        payments = new_payments()
        planned = steps(values, payments, int(time.time()), signing.new_standard_secret())
        heading(f"2/4  Sending signed webhooks to {values['FUNCTION_URL']}")
        say(" Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature) on /, Stripe events")
        say(" (Stripe-Signature) on /stripe, Adyen notifications (hmacSignature in each item) on /adyen,")
        say(" each signed with the provider's own SDK and the secret `up` put into SSM.")
        as_expected = send_steps(values["FUNCTION_URL"], planned)
        heading(f"3/4  Stored in DynamoDB: {values['TABLE_NAME']}, current status from the payments table")
        stored_ok = show_stored(values, payments, planned)
        if values.get("EVENTS_QUEUE_URL") and values.get("PAYMENTS_TABLE_NAME"):
            heading(
                f"3/4  (continued) Events out: the status changes in {values['EVENTS_QUEUE_URL'].rsplit('/', 1)[-1]}"
            )
            events_ok = show_events(values, payments, planned)
    finally:
        heading("4/4  make down: terraform destroy + stop every process")
        destroyed = stack.down(layout, verbose)
    say("")
    problems = [
        message
        for message, bad in (
            ("some answers were not as expected", not as_expected),
            ("the stored data was not as expected", not stored_ok),
            ("the events were not as expected", not events_ok),
            ("destroy failed", not destroyed),
        )
        if bad
    ]
    if not problems:
        say("Demo finished: every answer and every payment's status was as expected; the stack was destroyed.")
        return 0
    say("Demo finished WITH PROBLEMS: " + ", ".join(problems) + f". Logs: {layout.rel(layout.logs)}/")
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webhook_cli.demo", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--environment-suffix", default=os.environ.get("ENV_SUFFIX") or "dev")
    parser.add_argument("--verbose", action="store_true", help="show Terraform's whole output")
    args = parser.parse_args(argv)
    from local_stack import lifecycle, teardown  # the demo uses the stack; the stack never imports the demo
    from local_stack.layout import layout_from_env

    stack = SimpleNamespace(up=lifecycle.up, down=teardown.down)
    try:
        return run(stack, layout_from_env(), args.environment_suffix, args.verbose)
    except lifecycle.ERRORS as exc:  # the message says which step failed and where its log is
        say(f"\nerror: {exc}")
        return 1
    except KeyboardInterrupt:
        say("\ninterrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
