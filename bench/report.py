"""The result of a run: assembled from the phases' figures, and printed as a table."""

from __future__ import annotations

from typing import Any

from bench import common
from bench.common import rnd
from bench.keys import GOALS
from webhook_cli.providers import NAMES


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def assemble(
    zip_info: dict[str, Any] | None,
    cold: dict[str, dict[str, float]] | None,
    latency: dict[str, dict[str, float]] | None,
    cpu: list[float] | None,
    http: dict[str, Any] | None,
    cold_start: dict[str, dict[str, Any]] | None = None,
    cost: dict[str, Any] | None = None,
    per_provider: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The result of a run: the KEYS, the goals met or missed, the details behind them."""
    p50 = {name: v["p50_ms"] for name, v in (latency or {}).items()}
    start = {name: v["cold_start_ms"] for name, v in (cold_start or {}).items()}
    per_million = {name: v["total_usd"] for name, v in (cost or {}).get("peers", {}).items()}
    imp = {kind: v["median_ms"] for kind, v in (cold or {}).items()}
    r: dict[str, Any] = {
        "handler_p50_ms": rnd(p50.get("ours")),
        "bare_put_p50_ms": rnd(p50.get("bare_put")),
        "handler_overhead_ratio": rnd(ratio(p50.get("ours"), p50.get("bare_put"))),
        "handler_cpu_us": rnd(common.median(cpu), 1) if cpu else None,
        # verify + parse + map of a 1 KB event per provider path (bench/provider_cpu.py)
        "provider_cpu_us": {n: per_provider[n] for n in NAMES if n in per_provider} if per_provider else None,
        "cold_import_ms": rnd(imp.get("ours"), 2),
        "boto3_import_ms": rnd(imp.get("boto3"), 2),
        "zip_bytes": zip_info["zip_bytes"] if zip_info else None,
        "seed_latency_ratio": rnd(ratio(p50.get("ours"), p50.get("seed"))),
        "vs_powertools_latency_ratio": rnd(ratio(p50.get("ours"), p50.get("powertools"))),
        "vs_powertools_cold_import_ratio": rnd(ratio(imp.get("ours"), imp.get("powertools"))),
        "cold_start_ms": {name: rnd(ms, 1) for name, ms in start.items()} if start else None,
        "cold_start_vs_seed_ratio": rnd(ratio(start.get("ours"), start.get("seed"))),
        "cost_per_million_usd": (
            {name: rnd(per_million[name], 4) for name in ("ours", "powertools") if name in per_million}
            if per_million
            else None
        ),
        "http": http,
    }
    if http is None:
        r["http_error"] = (errors or {}).get("http", "not measured")
    r["goals"] = {
        key: {"goal": f"{op} {limit:g}", "value": r[key], "met": None if r[key] is None else r[key] <= limit}
        for key, (op, limit) in GOALS.items()
    }
    r["detail"] = {
        "latency_ms": {k: {m: rnd(x) for m, x in v.items()} for k, v in (latency or {}).items()},
        "cpu_us_per_event_batches": [rnd(x, 1) for x in cpu or []],
        "cold_import_ms": {k: {m: rnd(x, 2) for m, x in v.items()} for k, v in (cold or {}).items()},
        "cold_first_use_ratio": rnd(ratio(imp.get("ours_first_use"), imp.get("powertools"))),
        "seed_cold_import_ms": rnd(imp.get("seed"), 2),
        # Retired from the goals: import time alone leaves out what the first request does.
        "cold_import_ratio": rnd(ratio(imp.get("ours"), imp.get("boto3"))),
        "cold_start": {
            k: {m: rnd(x) if isinstance(x, float) else x for m, x in v.items()} for k, v in (cold_start or {}).items()
        },
        "cold_start_vs_powertools_ratio": rnd(ratio(start.get("ours"), start.get("powertools"))),
        "cost": cost,
        "zip": zip_info,
        **(details or {}),
    }
    return r


def storage_and_publisher(storage: dict[str, Any] | None, publisher: dict[str, Any] | None) -> dict[str, Any]:
    """The keys of bench/storage.py (both items per event, as stored and as text) and bench/publisher.py."""
    return {
        "storage_bytes_per_event": (storage or {}).get("storage_bytes_per_event"),
        "storage_bytes_per_event_uncompressed": (storage or {}).get("storage_bytes_per_event_uncompressed"),
        "publisher_cpu_us_per_record": (publisher or {}).get("publisher_cpu_us_per_record"),
        "publisher_cost_per_million_usd": (publisher or {}).get("publisher_cost_per_million_usd"),
    }


def fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.3f}{unit}" if value < 10 else f"{value:,.1f}{unit}"
    return f"{value:,}{unit}"


def table(result: dict[str, Any]) -> str:
    rows = [
        ("handler_p50_ms", "ours: signed 1 KB event -> PutItem, p50", " ms"),
        ("bare_put_p50_ms", "hand-built conditional PutItem, p50", " ms"),
        ("handler_overhead_ratio", "ours / bare PutItem", ""),
        ("handler_cpu_us", "handler CPU per event, SSM+DynamoDB faked", " us"),
        ("cold_import_ms", "import handler (fresh interpreter, median)", " ms"),
        ("boto3_import_ms", "import boto3 alone (median)", " ms"),
        ("zip_bytes", "Terraform's lambda zip", " B"),
        ("seed_latency_ratio", "ours / seed-style handler, p50", ""),
        ("vs_powertools_latency_ratio", "ours / Powertools receiver, p50", ""),
        ("vs_powertools_cold_import_ratio", "ours / Powertools receiver, cold import", ""),
        ("cold_start_vs_seed_ratio", "cold start (RIE init + 1st invoke): ours / seed", ""),
        ("storage_bytes_per_event", "event + payment item as stored (gzip where it pays)", " B"),
        ("storage_bytes_per_event_uncompressed", "the same items with the body as text", " B"),
        ("publisher_cpu_us_per_record", "publisher CPU per stream record (destinations faked)", " us"),
        ("publisher_cost_per_million_usd", "publisher: added cost per million received events", " $"),
    ]
    lines = [f"{'key':34} {'value':>12}  {'goal':>10}  {'':4}  meaning", "-" * 110]
    for key, meaning, unit in rows:
        goal = result["goals"].get(key)
        mark = "" if goal is None else ("n/a" if goal["met"] is None else ("met" if goal["met"] else "MISS"))
        lines.append(
            f"{key:34} {fmt(result.get(key), unit):>12}  {goal['goal'] if goal else '':>10}  {mark:4}  {meaning}"
        )
    for name, us in (result.get("provider_cpu_us") or {}).items():
        lines.append(
            f"{'provider_cpu_us.' + name:34} {fmt(us, ' us'):>12}  {'':>10}  {'':4}  verify + parse + map, 1 KB event"
        )
    d = result["detail"]
    lat = d.get("latency_ms") or {}
    if lat:
        lines.append("")
        lines.append("warm latency against moto (ms)      p50        p90        p99     n")
        for name in ("bare_put", "ours", "seed", "powertools"):
            if name in lat:
                v = lat[name]
                lines.append(f"  {name:30} {v['p50_ms']:9.3f}  {v['p90_ms']:9.3f}  {v['p99_ms']:9.3f}  {v['n']:4}")
    cold = d.get("cold_import_ms") or {}
    if cold:
        lines.append("")
        lines.append("cold import, fresh interpreters (ms)   median      min     n")
        names = {
            "boto3": "import boto3",
            "ours": "import handler (ours)",
            "ours_first_use": "ours + its first request's clients",
            "seed": "seed-style handler",
            "powertools": "Powertools receiver",
        }
        for kind, label in names.items():
            if kind in cold:
                v = cold[kind]
                lines.append(f"  {label:36} {v['median_ms']:8.1f} {v['min_ms']:8.1f}  {v['n']:4}")
    start = d.get("cold_start") or {}
    if start:
        lines.append("")
        lines.append(
            "cold start through aws-lambda-rie + awslambdaric (ms, medians)  total    init  1st inv  caller  cpu  n"
        )
        for name, v in start.items():
            lines.append(
                f"  {name:60} {v['cold_start_ms']:7.1f} {v['init_ms']:7.1f} {v['first_invoke_ms']:8.1f}"
                f" {v['caller_ms']:7.1f} {v['cpu_ms'] or 0:4.0f} {v['n']:2}"
            )
    cost = d.get("cost") or {}
    if cost.get("peers"):
        lines.append("")
        lines.append("cost per million events, USD (bench/cost.py, prices in bench/prices.json)")
        peers = list(cost["peers"])
        lines.append("  " + f"{'':22}" + "".join(f"{n:>12}" for n in peers))
        for line in next(iter(cost["peers"].values()))["lines_usd"]:
            lines.append("  " + f"{line:22}" + "".join(f"{cost['peers'][n]['lines_usd'][line]:12.4f}" for n in peers))
        lines.append("  " + f"{'total':22}" + "".join(f"{cost['peers'][n]['total_usd']:12.4f}" for n in peers))
        for note in cost.get("notes", []):
            lines.append(f"  note: {note}")
    http = result.get("http")
    lines.append("")
    if http:
        lines.append(f"HTTP through the local Function URL ({http['via']})")
        lines.append("  concurrency     req/s     p50 ms     p99 ms   requests  non-2xx")
        for c, v in http["concurrency"].items():
            figures = f"{fmt(v['rps']):>9} {fmt(v['p50_ms']):>10} {fmt(v['p99_ms']):>10}"
            lines.append(f"  {c:>11} {figures} {v['requests']:>10} {v['non_2xx']:>8}")
        if http.get("fallback_reason"):
            lines.append(f"  (stack.py up failed: {http['fallback_reason']})")
    else:
        lines.append(f"HTTP: not measured ({result.get('http_error')})")
    meta = result.get("meta", {})
    if meta:
        lines.append("")
        lines.append(
            f"{meta['machine']}, Python {meta['python']}, load {meta['loadavg_before']} -> {meta['loadavg_after']}, "
            f"{meta['seconds']} s; phases {meta['phase_seconds']}"
        )
        if meta.get("errors"):
            lines.append(f"ERRORS: {meta['errors']}")
    return "\n".join(lines)
