"""Cost per million events, from what the bench measured and the prices in bench/prices.json.

Per peer, for one million delivered events (formula and assumptions in bench/README.md, "Cost"):

* Lambda requests, and duration = billed ms (the mean of RIE's ``Billed Duration`` over
  warm invocations) x 0.25 GB x the arm64 GB-second price, plus the cold starts the
  assumed traffic leaves (``Init Duration + Duration`` of the first invocation, billed
  since INIT is billed) in place of a warm invocation;
* DynamoDB on-demand write units of the items actually written in the bench (sizes by
  DynamoDB's rules, read back from moto): ours one conditional PutItem of the event item,
  plus the payment item when ``PAYMENTS_TABLE_NAME`` is set; Powertools its three writes;
* the GetParameter calls (free on a standard parameter) and the KMS Decrypt each one
  costs that the 60 s secret cache leaves;
* the quarantine's SQS SendMessage for the stated refusal rate (ours only: the peers have none);
* CloudWatch Logs ingestion of the bytes each invocation writes (the function's lines
  and the platform's START/END/REPORT, as RIE prints them) and X-Ray traces at
  Lambda's default sampling (the stack has tracing Active).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

PRICES_FILE = Path(__file__).resolve().parent / "prices.json"
MEMORY_GB = 256 / 1024
EVENTS = 1_000_000

# The traffic the figure is for (stated in the JSON and bench/README.md).
ASSUMPTIONS: dict[str, float] = {
    "events_per_second": 10.0,  # steady; ~26 M events a month
    "warm_containers": 2,  # what 10 events/s at ~10-20 ms each keeps busy, with headroom
    "container_lifetime_hours": 2.0,  # Lambda recycles execution environments; not documented, a round figure
    "secret_cache_seconds": 60.0,  # webhook.wiring.SECRET_TTL_SECONDS
    "refusal_rate": 0.01,  # authentic events refused with a 400 (each copied to the quarantine)
    "sqs_data_key_reuse_seconds": 300.0,  # SQS SSE-KMS default KmsDataKeyReusePeriodSeconds
    "xray_reservoir_per_second": 1.0,  # Lambda's default sampling: 1 request/s ...
    "xray_rate": 0.05,  # ... plus 5 % of the rest
}


def load_prices(path: Path = PRICES_FILE) -> dict[str, float]:
    data = json.loads(path.read_text())
    return {name: float(entry["usd"]) for name, entry in data["prices"].items()}


# --------------------------------------------------------------------------- DynamoDB item size


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


def scan_items(client: Any, table: str, prefix: str | None = None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = client.scan(**kwargs)
        items += [i for i in page.get("Items", []) if prefix is None or i["transactionId"]["S"].startswith(prefix)]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _median(values: Iterable[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# An item as behaviour.md "Payment status" describes it, for when the function under test does not write one yet.
ESTIMATED_PAYMENT_ITEM: dict[str, dict[str, str]] = {
    "transactionId": {"S": "pi_3QxY2aLkdIwHu7ix0abcdefg"},
    "status": {"S": "succeeded"},
    "providerStatus": {"S": "payment_intent.succeeded"},
    "amount": {"N": "1234.56"},
    "currency": {"S": "EUR"},
    "provider": {"S": "stripe"},
    "lastEventId": {"S": "evt_3QxY2aLkdIwHu7ix0hijklmn"},
    "eventTime": {"S": "2026-12-01T11:00:00.000Z"},
    "updatedAt": {"S": "2026-12-01T11:00:01.234Z"},
    "orderKey": {"S": "1|2026-12-01T11:00:00.000Z|3|evt_3QxY2aLkdIwHu7ix0hijklmn"},
}


def measured_items(client: Any, tables: Mapping[str, str], prefixes: Mapping[str, str]) -> dict[str, Any]:
    """Sizes (bytes, median) of what each peer wrote in the cold-start phase, read back from the emulator."""
    sizes: dict[str, Any] = {}
    events = {name: scan_items(client, tables["transactions"], prefix) for name, prefix in prefixes.items()}
    for name, items in events.items():
        sizes[f"{name}_event_item"] = _median(item_size(i) for i in items)
    payments_table = tables.get("payments")
    payments = scan_items(client, payments_table, prefixes["ours"]) if payments_table else []
    sizes["ours_payment_item"] = _median(item_size(i) for i in payments)
    sizes["ours_payment_item_measured"] = bool(payments)
    if not payments:
        sizes["ours_payment_item"] = item_size(ESTIMATED_PAYMENT_ITEM)
    records = scan_items(client, tables["idempotency"]) if tables.get("idempotency") else []
    completed = [i for i in records if i.get("status", {}).get("S") == "COMPLETED"]
    sizes["powertools_record_completed"] = _median(item_size(i) for i in completed)
    # The record as first put (INPROGRESS, before the response `data` is added).
    in_progress = [{**{k: v for k, v in i.items() if k != "data"}, "status": {"S": "INPROGRESS"}} for i in completed]
    sizes["powertools_record_in_progress"] = _median(item_size(i) for i in in_progress)
    return sizes


# --------------------------------------------------------------------------- the model


def cost_per_million(
    peer: str,
    billed_ms: float,
    cold_billed_ms: float,
    log_bytes: float,
    write_units_per_event: float,
    prices: Mapping[str, float],
    *,
    uses_secret: bool,
    quarantine: bool,
    assumptions: Mapping[str, float] = ASSUMPTIONS,
) -> dict[str, Any]:
    a = assumptions
    seconds = EVENTS / a["events_per_second"]  # how long a million events take at the assumed rate
    cold_starts = a["warm_containers"] * seconds / (a["container_lifetime_hours"] * 3600)
    duration_ms = EVENTS * billed_ms + cold_starts * max(0.0, cold_billed_ms - billed_ms)
    secret_fetches = (a["warm_containers"] * seconds / a["secret_cache_seconds"] + cold_starts) if uses_secret else 0.0
    refused = EVENTS * a["refusal_rate"] if quarantine else 0.0
    sqs_data_keys = a["warm_containers"] * seconds / a["sqs_data_key_reuse_seconds"] if quarantine else 0.0
    traced_share = min(
        1.0,
        (a["xray_reservoir_per_second"] + a["xray_rate"] * max(0.0, a["events_per_second"] - 1.0))
        / a["events_per_second"],
    )
    stored = EVENTS * (1 - a["refusal_rate"]) if quarantine else EVENTS
    lines = {
        "lambda_requests": EVENTS * prices["lambda_request"],
        "lambda_duration": duration_ms / 1000 * MEMORY_GB * prices["lambda_arm64_gb_second"],
        "dynamodb_writes": stored * write_units_per_event * prices["dynamodb_on_demand_wru"],
        "ssm_get_parameter": secret_fetches * prices["ssm_standard_parameter_api"],
        "kms_requests": (secret_fetches + sqs_data_keys) * prices["kms_request"],
        "sqs_quarantine": refused * prices["sqs_standard_request"],
        "cloudwatch_logs": EVENTS * log_bytes / 1e9 * prices["cloudwatch_logs_ingestion_gb"],
        "xray_traces": EVENTS * traced_share * prices["xray_trace_recorded"],
    }
    return {
        "peer": peer,
        "total_usd": sum(lines.values()),
        "lines_usd": {k: round(v, 4) for k, v in lines.items()},
        "inputs": {
            "billed_ms_per_warm_invocation": round(billed_ms, 3),
            "cold_start_billed_ms": round(cold_billed_ms, 1),
            "cold_starts": round(cold_starts, 1),
            "write_units_per_event": write_units_per_event,
            "secret_fetches": round(secret_fetches, 1),
            "kms_requests": round(secret_fetches + sqs_data_keys, 1),
            "sqs_requests": refused,
            "log_bytes_per_invocation": round(log_bytes, 1),
            "xray_traced_share": round(traced_share, 4),
        },
    }


def compute(
    cold: Mapping[str, Mapping[str, Any]],
    sizes: Mapping[str, Any],
    bare_put_ms: float | None,
    prices: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """``cost_per_million_usd`` (ours, powertools) and the detail behind it."""
    prices = prices or load_prices()
    result: dict[str, Any] = {"assumptions": dict(ASSUMPTIONS), "prices_file": "bench/prices.json", "peers": {}}
    notes = []

    def wru(key: str) -> int:
        size = sizes.get(key)
        if size is None:
            raise RuntimeError(f"no {key} measured")
        return write_units(size)

    plans: dict[str, tuple[float, float, bool, bool]] = {}
    if "ours" in cold:
        billed = float(cold["ours"]["warm_billed_ms_mean"])
        units: float = wru("ours_event_item") + wru("ours_payment_item")
        if not sizes.get("ours_payment_item_measured"):
            # The function did not write a payment item (PAYMENTS_TABLE_NAME unknown to this code): add a
            # conditional PutItem of the payment item (behaviour.md, "Payment status"), timed as a bare PutItem.
            billed += bare_put_ms or 0.0
            notes.append(
                "ours: payment write not made by this code; its duration is the measured bare PutItem p50 and its "
                "item the payment item's shape (ESTIMATED_PAYMENT_ITEM)"
            )
        plans["ours"] = (billed, units, True, True)
    if "powertools" in cold:
        before = sizes.get("powertools_record_in_progress")
        after = sizes.get("powertools_record_completed")
        if before is None or after is None:
            raise RuntimeError("no Powertools idempotency record measured")
        units = write_units(before) + wru("powertools_event_item") + write_units(max(before, after))
        plans["powertools"] = (float(cold["powertools"]["warm_billed_ms_mean"]), units, True, False)
    if "seed" in cold:
        plans["seed"] = (float(cold["seed"]["warm_billed_ms_mean"]), wru("seed_event_item"), False, False)
    for name, (billed, units, uses_secret, quarantine) in plans.items():
        result["peers"][name] = cost_per_million(
            name,
            billed,
            float(cold[name]["first_billed_ms"]),
            float(cold[name]["log_bytes_per_invoke"]),
            units,
            prices,
            uses_secret=uses_secret,
            quarantine=quarantine,
        )
    result["item_bytes"] = dict(sizes)
    result["notes"] = notes
    return result
