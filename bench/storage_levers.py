"""The gzip lever measured, body by body: item size and write units as text and as the
function stores them, gzip size and CPU at levels 1, 6 and 9, and what that CPU costs in
billed duration against what the smaller item saves in writes and storage.

Run (from the repository root): ``PYTHONPATH=lambda_src python -m bench.storage_levers``.
Bodies: the repository's sample events, the Stripe events built from Stripe's API fixtures
(``tests/events/stripe_fixture_*.json``) and one 256 KiB body (the largest accepted).
CPU: ``timeit``, best of 5 repeats, on whatever machine runs it (print it with the figures).
"""

from __future__ import annotations

import gzip
import json
import math
import timeit
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench import storage
from webhook import raw_body

EVENTS = storage.EVENTS
LEVELS = (1, 6, 9)
LAMBDA_GB = 0.25  # the function's default memory (root input lambda_memory_mb = 256)
PRICES: dict[str, float] = {
    name: entry["usd"]
    for name, entry in json.loads((Path(__file__).with_name("prices.json")).read_text())["prices"].items()
}
STORAGE_GB_MONTH_USD = 0.25 + 0.20  # DynamoDB Standard table class + PITR, us-east-1, per GB-month
LARGEST = 256 * 1024


def bodies() -> dict[str, str]:
    names = [*storage.SAMPLES]  # the stored kinds (Stripe's customer/plan samples are ignored, never stored)
    names += sorted(path.name for path in EVENTS.glob("stripe_fixture_*.json"))
    found = {name: storage.body_of(name) for name in names}
    base = found["stripe_payment_intent_succeeded.json"]
    found["256 KiB (sample padded)"] = (base * (LARGEST // len(base) + 1))[:LARGEST]
    return found


def best_us(call: Callable[[], object]) -> float:
    """Best-of-5 time of one call, in µs (timeit picks the loop count)."""
    timer = timeit.Timer(call)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=5, number=number)) / number * 1e6


def sizes(text: str) -> dict[str, Any]:
    """The event item's size and write units as text and as the function stores it, and gzip's size per level."""
    data = text.encode("utf-8")
    stored, _ = storage._items(text)
    with_text = {name: value for name, value in stored.items() if name != raw_body.GZIP_ATTRIBUTE}
    with_text[raw_body.TEXT_ATTRIBUTE] = {"S": text}
    row: dict[str, Any] = {
        "body_bytes": len(data),
        "stored_as": raw_body.GZIP_ATTRIBUTE if raw_body.GZIP_ATTRIBUTE in stored else raw_body.TEXT_ATTRIBUTE,
        "item_bytes_text": storage.item_bytes(with_text),
        "item_bytes_stored": storage.item_bytes(stored),
    }
    row["wru_text"] = math.ceil(row["item_bytes_text"] / 1024)
    row["wru_stored"] = math.ceil(row["item_bytes_stored"] / 1024)
    for level in LEVELS:
        row[f"gzip{level}_bytes"] = len(gzip.compress(data, compresslevel=level, mtime=0))
    return row


def measure_body(text: str) -> dict[str, Any]:
    """:func:`sizes` plus CPU: gzip per level, what a write adds (the rule included), what a read adds."""
    data = text.encode("utf-8")
    row = sizes(text)
    for level in LEVELS:
        row[f"gzip{level}_us"] = round(best_us(partial(gzip.compress, data, compresslevel=level, mtime=0)), 1)
    row["decide_us"] = round(best_us(lambda: raw_body.body_attribute(text)), 1)  # what the function adds per event
    packed = {raw_body.GZIP_ATTRIBUTE: {"B": gzip.compress(data, mtime=0)}}
    row["restore_us"] = round(best_us(lambda: raw_body.raw_event_text(packed)), 1)  # what a reader adds
    return row


def per_million_usd(row: dict[str, Any]) -> dict[str, float]:
    """Per million events: what the added CPU costs, what the saved write units and storage save."""
    cpu_seconds = row["decide_us"] * 1e-6 * 1e6
    return {
        "cpu_usd": cpu_seconds * LAMBDA_GB * PRICES["lambda_arm64_gb_second"],
        "writes_saved_usd": (row["wru_text"] - row["wru_stored"]) * 1e6 * PRICES["dynamodb_on_demand_wru"],
        "storage_saved_usd_per_month": (row["item_bytes_text"] - row["item_bytes_stored"])
        * 1e6
        / 1e9
        * STORAGE_GB_MONTH_USD,
    }


def main() -> int:
    print(
        f"rule: gzip level {raw_body.COMPRESS_LEVEL} when body >= {raw_body.MIN_COMPRESS_BYTES} B "
        f"and gzip <= {raw_body.MAX_RATIO} x body"
    )
    head = (
        f"{'body':46} {'bytes':>6} {'item txt':>8} {'WRU':>3} {'item st':>7} {'WRU':>3} "
        f"{'gz1 B':>6} {'gz6 B':>6} {'gz9 B':>6} {'gz1 µs':>7} {'gz6 µs':>7} {'gz9 µs':>7} {'add µs':>7} {'read µs':>7}"
    )
    print(head)
    totals = {"text": 0, "stored": 0}
    for name, text in bodies().items():
        r = measure_body(text)
        if not name.startswith("256"):
            totals["text"] += r["item_bytes_text"]
            totals["stored"] += r["item_bytes_stored"]
        print(
            f"{name:46} {r['body_bytes']:6} {r['item_bytes_text']:8} {r['wru_text']:3} {r['item_bytes_stored']:7} "
            f"{r['wru_stored']:3} {r['gzip1_bytes']:6} {r['gzip6_bytes']:6} {r['gzip9_bytes']:6} "
            f"{r['gzip1_us']:7} {r['gzip6_us']:7} {r['gzip9_us']:7} {r['decide_us']:7} {r['restore_us']:7}"
        )
        usd = per_million_usd(r)
        print(
            f"{'':46} per million: CPU ${usd['cpu_usd']:.5f}, writes saved ${usd['writes_saved_usd']:.3f}, "
            f"storage+PITR saved ${usd['storage_saved_usd_per_month']:.4f}/month"
        )
    print(
        f"sample items (all but 256 KiB): {totals['text']} B as text, {totals['stored']} B as stored, "
        f"ratio {totals['stored'] / totals['text']:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
