"""Cost per million events, from what the bench measured and the prices in bench/prices.json.

Per peer, for one million events sent by the providers (the payload mix of bench/mix.py;
formula and assumptions in bench/README.md, "Cost"), with the same traffic rules for every
peer: a share of the events is authentic but refused (invoked, not stored; copied to the
quarantine where the peer has one) and a share is delivered twice (the second delivery is
invoked and its conditional write fails, which DynamoDB still bills):

* Lambda requests, and duration = billed ms (the mean of RIE's ``Billed Duration`` over
  the warm invocations of the mix) x 0.25 GB x the arm64 GB-second price, plus the cold
  starts the assumed traffic leaves (``Init Duration + Duration`` of the first invocation,
  billed since INIT is billed) in place of a warm invocation;
* DynamoDB on-demand write units of the items each peer really wrote in the run (read back
  from its own tables in the emulator, sizes by DynamoDB's rules, units per item then
  averaged): ours one conditional PutItem of the event item and one of the payment item;
  Powertools its idempotency record (put, then updated), the transaction, and for the
  same-features peer the payment item too;
* the GetParameter calls (free on a standard parameter) and the KMS Decrypt each one costs
  that the 60 s secret cache leaves, per secret parameter the peer reads (one per enabled provider);
* the quarantine's SQS SendMessage for the refused share;
* CloudWatch Logs ingestion of the bytes each invocation writes (the function's lines
  and the platform's START/END/REPORT, as RIE prints them) and X-Ray traces at
  Lambda's default sampling (the stack has tracing Active).

Storage (the items' bytes + DynamoDB's 100 bytes per item) and point-in-time recovery are
per month, not per event: their own lines (``storage_usd_per_million_events_per_month``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench.item_sizes import GB, ITEM_OVERHEAD_BYTES

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
    "redelivery_rate": 0.01,  # events a provider sends twice (a timeout, a 5xx): a second invocation, a failed write
    "sqs_data_key_reuse_seconds": 300.0,  # SQS SSE-KMS default KmsDataKeyReusePeriodSeconds
    "xray_reservoir_per_second": 1.0,  # Lambda's default sampling: 1 request/s ...
    "xray_rate": 0.05,  # ... plus 5 % of the rest
}


def load_prices(path: Path = PRICES_FILE) -> dict[str, float]:
    data = json.loads(path.read_text())
    return {name: float(entry["usd"]) for name, entry in data["prices"].items()}


# --------------------------------------------------------------------------- what each peer does per event


# The stack deploys the functions with Lambda's JSON log format and system log level WARN
# (variables.tf: lambda_system_log_level): Lambda drops START/END/REPORT, and adds a timestamp
# and a level to our one JSON line per request, which has neither. RIE prints text, so ours'
# log bytes as deployed = its own lines as measured + these bytes.
JSON_LOG_ADDED_BYTES = len(',"timestamp":"2026-12-01T11:00:00.000Z","level":"INFO"')


@dataclass(frozen=True)
class Plan:
    """A peer's per-event inputs: all measured in the run except what the docstring of each field says."""

    billed_ms: float
    cold_billed_ms: float
    log_bytes: float
    write_units: float  # a first delivery
    redelivery_write_units: float  # a second delivery (failed conditional writes, or the seed's overwrite)
    parameters: int  # secret parameters read (one per enabled provider)
    quarantine: bool
    stored_bytes: float  # per stored event, both tables, with DynamoDB's per-item overhead


def _wru(f: Mapping[str, Any] | None) -> float:
    return float(f["wru"]) if f and f.get("wru") is not None else 0.0


def _bytes(f: Mapping[str, Any] | None) -> float:
    return float(f["bytes"]) + ITEM_OVERHEAD_BYTES if f and f.get("bytes") is not None else 0.0


def plans(
    cold: Mapping[str, Mapping[str, Any]], items: Mapping[str, Mapping[str, Any]], providers: int
) -> dict[str, Plan]:
    """Each measured peer's plan. ``providers``: how many providers ours has enabled (its secret parameters)."""
    out: dict[str, Plan] = {}
    for name, figures in cold.items():
        sized = items.get(name)
        if not sized or not sized["event_item"]["n"]:
            raise RuntimeError(f"{name}: no items read back")
        event, payment = sized["event_item"], sized["payment_item"]
        before, after = sized["record_in_progress"], sized["record_update"]
        if name == "ours":
            first = _wru(event) + _wru(payment)
            again = first  # both conditional PutItems are made again and fail (a re-delivery heals a payment write)
            parameters, quarantine = providers, True
        elif name == "seed":
            first = again = _wru(event)  # unconditional put_item: a re-delivery overwrites
            parameters, quarantine = 0, False
        else:
            if before is None:
                raise RuntimeError(f"{name}: no idempotency record read back")
            first = _wru(before) + _wru(event) + _wru(after) + _wru(payment)
            again = _wru(after)  # the record's conditional put fails on the COMPLETED record (the larger one)
            same = name == "powertools_same_features"
            parameters, quarantine = (providers, True) if same else (1, False)
        log_bytes = float(figures["log_bytes_per_invoke"])  # a peer as its authors deploy it: text, INFO
        if name == "ours":  # as the stack deploys it: JSON, system log level WARN
            log_bytes = float(figures["function_log_bytes_per_invoke"]) + JSON_LOG_ADDED_BYTES
        out[name] = Plan(
            billed_ms=float(figures["warm_billed_ms_mean"]),
            cold_billed_ms=float(figures["first_billed_ms"]),
            log_bytes=log_bytes,
            write_units=first,
            redelivery_write_units=again,
            parameters=parameters,
            quarantine=quarantine,
            stored_bytes=_bytes(event) + _bytes(payment),
        )
    return out


# --------------------------------------------------------------------------- the model


def traffic(events_per_second: float) -> dict[str, float]:
    """The assumptions at another rate: containers to match (one per 5 events/s, at least one)."""
    return {
        **ASSUMPTIONS,
        "events_per_second": events_per_second,
        "warm_containers": max(1, math.ceil(events_per_second / 5)),
    }


def cost_per_million(
    peer: str, plan: Plan, prices: Mapping[str, float], assumptions: Mapping[str, float] = ASSUMPTIONS
) -> dict[str, Any]:
    a = assumptions
    seconds = EVENTS / a["events_per_second"]  # how long a million events take at the assumed rate
    invocations = EVENTS * (1 + a["redelivery_rate"])
    cold_starts = a["warm_containers"] * seconds / (a["container_lifetime_hours"] * 3600)
    duration_ms = invocations * plan.billed_ms + cold_starts * max(0.0, plan.cold_billed_ms - plan.billed_ms)
    secret_fetches = (a["warm_containers"] * seconds / a["secret_cache_seconds"] + cold_starts) * plan.parameters
    refused = EVENTS * a["refusal_rate"]
    stored = EVENTS - refused
    queued = refused if plan.quarantine else 0.0
    sqs_data_keys = a["warm_containers"] * seconds / a["sqs_data_key_reuse_seconds"] if plan.quarantine else 0.0
    traced_share = min(
        1.0,
        (a["xray_reservoir_per_second"] + a["xray_rate"] * max(0.0, a["events_per_second"] - 1.0))
        / a["events_per_second"],
    )
    units = stored * plan.write_units + EVENTS * a["redelivery_rate"] * plan.redelivery_write_units
    lines = {
        "lambda_requests": invocations * prices["lambda_request"],
        "lambda_duration": duration_ms / 1000 * MEMORY_GB * prices["lambda_arm64_gb_second"],
        "dynamodb_writes": units * prices["dynamodb_on_demand_wru"],
        "ssm_get_parameter": secret_fetches * prices["ssm_standard_parameter_api"],
        "kms_requests": (secret_fetches + sqs_data_keys) * prices["kms_request"],
        "sqs_quarantine": queued * prices["sqs_standard_request"],
        "cloudwatch_logs": invocations * plan.log_bytes / 1e9 * prices["cloudwatch_logs_ingestion_gb"],
        "xray_traces": invocations * traced_share * prices["xray_trace_recorded"],
    }
    gb_stored = stored * plan.stored_bytes / GB
    return {
        "peer": peer,
        "total_usd": sum(lines.values()),
        "lines_usd": {k: round(v, 4) for k, v in lines.items()},
        "storage_usd_per_million_events_per_month": {
            "dynamodb_storage": round(gb_stored * prices["dynamodb_storage_gb_month"], 4),
            "pitr": round(gb_stored * prices["dynamodb_pitr_gb_month"], 4),
        },
        "inputs": {
            "billed_ms_per_warm_invocation": round(plan.billed_ms, 3),
            "cold_start_billed_ms": round(plan.cold_billed_ms, 1),
            "cold_starts": round(cold_starts, 1),
            "invocations": invocations,
            "write_units_per_event": round(plan.write_units, 3),
            "write_units_per_redelivery": round(plan.redelivery_write_units, 3),
            "secret_parameters": plan.parameters,
            "secret_fetches": round(secret_fetches, 1),
            "kms_requests": round(secret_fetches + sqs_data_keys, 1),
            "sqs_requests": queued,
            "log_bytes_per_invocation": round(plan.log_bytes, 1),
            "stored_bytes_per_event": round(plan.stored_bytes, 1),
            "xray_traced_share": round(traced_share, 4),
        },
    }


def storage_per_month(plan: Plan, prices: Mapping[str, float]) -> float:
    """USD per month of keeping what one million events leave (the refused share is not stored; table + PITR)."""
    stored = EVENTS * (1 - ASSUMPTIONS["refusal_rate"])
    return plan.stored_bytes * stored / GB * (prices["dynamodb_storage_gb_month"] + prices["dynamodb_pitr_gb_month"])


EVENTS_PER_MONTH_AT_1_PER_SECOND = 86_400 * 365.25 / 12


MONTH_DAYS = 365.25 / 12


def storage_in_month(
    plan: Plan, payment_bytes: float, prices: Mapping[str, float], rate: float, month: int, days: int | None
) -> float:
    """USD of table + PITR in month ``month`` at a steady ``rate`` events/s, event items kept ``days`` (None: forever).

    Month m holds on average m - 1/2 months of events; with a retention the event items stop
    growing at ``days``; payment items never expire (one per event here: an upper bound).
    """
    per_month = rate * EVENTS_PER_MONTH_AT_1_PER_SECOND / EVENTS
    store_month = storage_per_month(plan, prices) * per_month  # one month of events kept for a month
    payment_share = payment_bytes / plan.stored_bytes if plan.stored_bytes else 0.0
    held = month - 0.5
    events_held = held if days is None else min(held, days / MONTH_DAYS)
    return store_month * ((1 - payment_share) * events_held + payment_share * held)


def team_months(plan: Plan, payment_bytes: float, prices: Mapping[str, float]) -> dict[str, dict[str, float]]:
    """What a team pays per month at 1, 10 and 100 events/s: the receive path, and storage in month 1 and 12."""
    out: dict[str, dict[str, float]] = {}
    for rate in (1, 10, 100):
        per_month = rate * EVENTS_PER_MONTH_AT_1_PER_SECOND / EVENTS
        receive = cost_per_million("ours", plan, prices, traffic(rate))["total_usd"] * per_month
        out[f"{rate}_per_second"] = {
            "events_per_month_millions": round(per_month, 3),
            "receive_usd_per_month": round(receive, 2),
            "storage_usd_month_1": round(storage_in_month(plan, payment_bytes, prices, rate, 1, None), 2),
            "storage_usd_month_12_forever": round(storage_in_month(plan, payment_bytes, prices, rate, 12, None), 2),
            "storage_usd_month_12_retention_90_days": round(
                storage_in_month(plan, payment_bytes, prices, rate, 12, 90), 2
            ),
        }
    return out


def compute(
    cold: Mapping[str, Mapping[str, Any]],
    items: Mapping[str, Mapping[str, Any]],
    providers: int,
    prices: Mapping[str, float] | None = None,
    gzip_cpu_us: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Every peer's cost per million events, storage per month, the levers before/after, a team's monthly bill."""
    prices = prices or load_prices()
    result: dict[str, Any] = {"assumptions": dict(ASSUMPTIONS), "prices_file": "bench/prices.json", "peers": {}}
    found = plans(cold, items, providers)
    for name, plan in found.items():
        result["peers"][name] = cost_per_million(name, plan, prices)
    result["item_bytes"] = {name: dict(v) for name, v in items.items()}
    ours = found.get("ours")
    if ours is not None:
        result["levers"] = levers(ours, cold["ours"], items["ours"], prices, gzip_cpu_us)
        payment = items["ours"]["payment_item"]
        result["team_per_month_usd"] = team_months(ours, _bytes(payment), prices)
        result["reconciler"] = reconciler_per_month(ours, prices)
    return result


def _gzip_cpu(per_body_us: Mapping[str, float] | None, prices: Mapping[str, float]) -> dict[str, Any]:
    """What the gzip rule's CPU costs per million events at the bench machine's speed (mean over the mix)."""
    if not per_body_us:
        return {}
    mean_us = sum(per_body_us.values()) / len(per_body_us)
    return {
        "gzip_cpu_us_per_event": dict(per_body_us),
        "gzip_cpu_us_mean": round(mean_us, 1),
        "gzip_cpu_usd_per_million": round(mean_us * 1e-6 * EVENTS * MEMORY_GB * prices["lambda_arm64_gb_second"], 5),
    }


RECONCILER_RUNS_PER_MONTH = 24 * 365.25 / 12  # stripe_reconcile_schedule's default rate(1 hour)
RECONCILER_API_WAIT_MS = 1000.0  # assumed: Stripe's events list (one page) as seen from Lambda; not measured here


def reconciler_per_month(ours: Plan, prices: Mapping[str, float]) -> dict[str, Any]:
    """The reconciler's own cost: per month, not per event (it runs hourly whatever the traffic).

    Each run is a cold start (an hour outlives an execution environment), billed as ours
    (the same package, measured) plus the wait for Stripe's API (assumed), one API-key
    GetParameter and its KMS Decrypt, one scheduled invocation and ours' log bytes. The
    events it finds are stored like deliveries and priced per event above.
    """
    runs = RECONCILER_RUNS_PER_MONTH
    lines = {
        "lambda_requests": runs * prices["lambda_request"],
        "lambda_duration": runs
        * (ours.cold_billed_ms + RECONCILER_API_WAIT_MS)
        / 1000
        * MEMORY_GB
        * prices["lambda_arm64_gb_second"],
        "kms_requests": runs * prices["kms_request"],
        "scheduler": runs * prices["eventbridge_scheduler_invocation"],
        "cloudwatch_logs": runs * ours.log_bytes / 1e9 * prices["cloudwatch_logs_ingestion_gb"],
    }
    return {
        "usd_per_month": round(sum(lines.values()), 4),
        "lines_usd_per_month": {k: round(v, 5) for k, v in lines.items()},
        "runs_per_month": round(runs, 1),
        "assumed_api_wait_ms": RECONCILER_API_WAIT_MS,
    }


def levers(
    ours: Plan,
    cold: Mapping[str, Any],
    items: Mapping[str, Any],
    prices: Mapping[str, float],
    gzip_cpu_us: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Each lever before/after on ours, from this run's figures.

    * gzip of rawEvent: the same event items with the body as text (restored from the items written);
    * JSON log format with system log level WARN: Lambda drops START/END/REPORT; our one line
      per request has no level or timestamp, so Lambda adds both (counted, as text);
    * retention (event_retention_days): storage per month at a steady 10 events/s.
    """
    text = items["event_item_as_text"]
    as_text = replace(
        ours,
        write_units=_wru(text) + _wru(items["payment_item"]),
        redelivery_write_units=_wru(text) + _wru(items["payment_item"]),
        stored_bytes=_bytes(text) + _bytes(items["payment_item"]),
    )
    text_logs = replace(ours, log_bytes=float(cold["log_bytes_per_invoke"]))  # Lambda's text format, system INFO

    def total(plan: Plan) -> float:
        return round(float(cost_per_million("ours", plan, prices)["total_usd"]), 4)

    payment_bytes = _bytes(items["payment_item"])
    retention = {
        f"{days}_days": round(storage_in_month(ours, payment_bytes, prices, 10, 12, days), 2) for days in (30, 90, 365)
    }
    return {
        "gzip_raw_event": {
            "before_usd_per_million": total(as_text),
            "after_usd_per_million": total(ours),
            "write_units_before": round(as_text.write_units, 3),
            "write_units_after": round(ours.write_units, 3),
            "stored_bytes_before": round(as_text.stored_bytes, 1),
            "stored_bytes_after": round(ours.stored_bytes, 1),
            "storage_usd_per_million_per_month_before": round(storage_per_month(as_text, prices), 4),
            "storage_usd_per_million_per_month_after": round(storage_per_month(ours, prices), 4),
            "billed_ms_note": "the billed duration is the one measured with gzip on (its CPU included)",
            **_gzip_cpu(gzip_cpu_us, prices),
        },
        "json_logs_system_warn": {
            "before_usd_per_million": total(text_logs),
            "after_usd_per_million": total(ours),
            "log_bytes_before": round(text_logs.log_bytes, 1),
            "log_bytes_after": round(ours.log_bytes, 1),
            "note": "before = text format with START/END/REPORT as RIE prints them; after (as deployed) = the "
            f"function's own lines + {JSON_LOG_ADDED_BYTES} B for the timestamp and level Lambda adds "
            "to a line without them",
        },
        "retention_storage_usd_per_month_at_10_per_second_after_12_months": {
            "forever": round(storage_in_month(ours, payment_bytes, prices, 10, 12, None), 2),
            **retention,
            "note": "event items stop growing after the retention period; payment items never expire",
        },
    }
