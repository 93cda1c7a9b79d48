"""What each peer really wrote: DynamoDB item sizes and write units by DynamoDB's rules, read back
from the peers' own tables in the emulator (bench/cost.py prices them)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any


def _number_size(text: str) -> int:
    """About 1 byte per two significant digits, plus 1 (DynamoDB developer guide, item sizes)."""
    digits = Decimal(text).normalize().as_tuple().digits
    return math.ceil(len(digits) / 2) + 1


def attribute_value_size(value: Mapping[str, Any]) -> int:
    ((kind, data),) = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return _number_size(str(data))
    if kind == "B":
        return len(data) if isinstance(data, bytes) else len(str(data).encode())
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(s).encode()) for s in data)
    if kind == "NS":
        return sum(_number_size(str(n)) for n in data)
    if kind == "L":
        return 3 + sum(1 + attribute_value_size(v) for v in data)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + attribute_value_size(v) for k, v in data.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """Bytes of a DynamoDB item: attribute names (UTF-8) plus values."""
    return sum(len(name.encode()) + attribute_value_size(value) for name, value in item.items())


def write_units(size_bytes: float) -> int:
    return max(1, math.ceil(size_bytes / 1024))


ITEM_OVERHEAD_BYTES = 100  # DynamoDB's billed-storage overhead per item
GB = 1024**3  # AWS bills storage per GB-month of 2^30 bytes


def scan_items(client: Any, table: str, prefix: str | None = None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = client.scan(**kwargs)
        items += [i for i in page.get("Items", []) if prefix is None or i["transactionId"]["S"].startswith(prefix)]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _mean(values: Iterable[float]) -> float | None:
    found = list(values)
    return sum(found) / len(found) if found else None


def _text_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """The item with ``rawEventGzip`` restored to ``rawEvent`` text (what it would be without the gzip lever)."""
    import gzip

    if "rawEventGzip" not in item:
        return dict(item)
    text = gzip.decompress(item["rawEventGzip"]["B"]).decode()
    return {**{k: v for k, v in item.items() if k != "rawEventGzip"}, "rawEvent": {"S": text}}


def _figures(items: list[dict[str, Any]]) -> dict[str, float | None]:
    """Mean bytes and mean write units (units per item, then averaged) of ``items``."""
    sizes = [item_size(i) for i in items]
    return {
        "n": len(sizes),
        "bytes": _mean(sizes),
        "wru": _mean(write_units(s) for s in sizes),
    }


def tables_of(peer: str) -> dict[str, str]:
    """The tables a peer wrote to in the cold-start phase (bench.common.create_peer_tables)."""
    return {kind: f"bench-{peer}-{kind}" for kind in ("transactions", "payments", "idempotency")}


def measured_items(client: Any, peers: Iterable[str]) -> dict[str, dict[str, Any]]:
    """What each peer wrote in the cold-start phase, read back from its own tables: mean sizes and write units."""
    out: dict[str, dict[str, Any]] = {}
    for peer in peers:
        names = tables_of(peer)
        events = scan_items(client, names["transactions"])
        payments = scan_items(client, names["payments"])
        records = scan_items(client, names["idempotency"])
        completed = [i for i in records if i.get("status", {}).get("S") == "COMPLETED"]
        # The record as first put (INPROGRESS, before the response `data` is added).
        in_progress = [
            {**{k: v for k, v in i.items() if k != "data"}, "status": {"S": "INPROGRESS"}} for i in completed
        ]
        update = [completed[n] if item_size(completed[n]) >= item_size(p) else p for n, p in enumerate(in_progress)]
        out[peer] = {
            "event_item": _figures(events),
            "event_item_as_text": _figures([_text_item(i) for i in events]),
            "gzip_share": _mean(1.0 if "rawEventGzip" in i else 0.0 for i in events),
            "payment_item": _figures(payments) if payments else None,
            "record_in_progress": _figures(in_progress) if completed else None,
            "record_update": _figures(update) if completed else None,
        }
    return out
