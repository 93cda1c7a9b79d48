"""The result of a run: assembled from the phases' figures, and printed as a table."""

from __future__ import annotations

from typing import Any

from bench import common, mix
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
        # the receive path on the payload mix, all-in (bench/cost.py); every peer's in detail.cost
        "cost_per_million_usd": rnd(per_million.get("ours"), 4),
        "cost_per_million_usd_powertools_same_features": rnd(per_million.get("powertools_same_features"), 4),
        "cost_vs_powertools_same_features_ratio": rnd(
            ratio(per_million.get("ours"), per_million.get("powertools_same_features"))
        ),
        "http": http,
    }
    if http is None:
        r["http_error"] = (errors or {}).get("http", "not measured")
    r.update(storage_keys(cost))
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
        "cost_per_million_usd_by_peer": {name: rnd(usd, 4) for name, usd in per_million.items()},
        "payload_mix_bytes": mix.size_distribution(),
        "zip": zip_info,
        **(details or {}),
    }
    return r


def storage_keys(cost: dict[str, Any] | None) -> dict[str, Any]:
    """Bytes per stored event (both tables, DynamoDB's overhead) of the items ours wrote for the mix, and as text."""
    gzip = ((cost or {}).get("levers") or {}).get("gzip_raw_event") or {}
    stored, text = gzip.get("stored_bytes_after"), gzip.get("stored_bytes_before")
    monthly = ((cost or {}).get("peers", {}).get("ours") or {}).get("storage_usd_per_million_events_per_month")
    return {
        "storage_bytes_per_event": stored,
        "storage_bytes_per_event_uncompressed": text,
        "storage_vs_uncompressed_ratio": rnd(ratio(stored, text)),
        "storage_usd_per_million_events_per_month": rnd(sum(monthly.values()), 4) if monthly else None,
        # hourly whatever the traffic: per month, not per event (bench/cost.py reconciler_per_month)
        "reconciler_cost_per_month_usd": ((cost or {}).get("reconciler") or {}).get("usd_per_month"),
    }


def storage_and_publisher(
    storage: dict[str, Any] | None, publisher: dict[str, Any] | None, cost: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Storage keys (the cost phase's read-back items; else bench/storage.py's samples) and bench/publisher.py's."""
    keys = storage_keys(cost)
    if keys["storage_bytes_per_event"] is None and storage:
        stored = storage.get("storage_bytes_per_event")
        text = storage.get("storage_bytes_per_event_uncompressed")
        keys.update(
            storage_bytes_per_event=stored,
            storage_bytes_per_event_uncompressed=text,
            storage_vs_uncompressed_ratio=rnd(ratio(stored, text)),
        )
    return {
        **keys,
        "publisher_cpu_us_per_record": (publisher or {}).get("publisher_cpu_us_per_record"),
        "publisher_cost_per_million_usd": (publisher or {}).get("publisher_cost_per_million_usd"),
    }


def lever_lines(cost: dict[str, Any]) -> list[str]:
    """The levers before/after (bench/cost.py ``levers``) and what a team pays per month."""
    out: list[str] = []
    levers = cost.get("levers") or {}
    if levers:
        gz, logs = levers["gzip_raw_event"], levers["json_logs_system_warn"]
        out += [
            "",
            "levers, ours, USD per million events (before -> after, this run)",
            f"  gzip rawEvent      {gz['before_usd_per_million']:.4f} -> {gz['after_usd_per_million']:.4f}"
            f"  write units {gz['write_units_before']} -> {gz['write_units_after']},"
            f" stored B {gz['stored_bytes_before']} -> {gz['stored_bytes_after']},"
            f" gzip CPU {gz.get('gzip_cpu_us_mean')} us = ${gz.get('gzip_cpu_usd_per_million')}",
            f"  JSON logs, WARN    {logs['before_usd_per_million']:.4f} -> {logs['after_usd_per_million']:.4f}"
            f"  log B/invocation {logs['log_bytes_before']} -> {logs['log_bytes_after']}",
        ]
        kept = levers["retention_storage_usd_per_month_at_10_per_second_after_12_months"]
        out.append(
            "  retention, storage+PITR $/month at 10 ev/s after 12 months: "
            + ", ".join(f"{k} {v}" for k, v in kept.items() if k != "note")
        )
    team = cost.get("team_per_month_usd") or {}
    if team:
        out += ["", "a team's month, USD        receive   storage m1   m12 forever   m12 90-day retention"]
        for rate, v in team.items():
            out.append(
                f"  {rate:22} {v['receive_usd_per_month']:10.2f} {v['storage_usd_month_1']:12.2f}"
                f" {v['storage_usd_month_12_forever']:13.2f} {v['storage_usd_month_12_retention_90_days']:22.2f}"
            )
    return out


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
        ("cost_per_million_usd", "ours, receive path, payload mix, all-in, per million", " $"),
        ("cost_per_million_usd_powertools_same_features", "Powertools + idempotency + parser + payment write", " $"),
        ("cost_vs_powertools_same_features_ratio", "ours / Powertools same features, cost", ""),
        ("storage_bytes_per_event", "event + payment item as written for the mix (+100 B each)", " B"),
        ("storage_bytes_per_event_uncompressed", "the same items with the body as text", " B"),
        ("storage_vs_uncompressed_ratio", "stored / as text", ""),
        ("storage_usd_per_million_events_per_month", "table + PITR per million events kept, per month", " $"),
        ("publisher_cpu_us_per_record", "publisher CPU per stream record (destinations faked)", " us"),
        ("publisher_cost_per_million_usd", "publisher: added cost per million received events", " $"),
        ("reconciler_cost_per_month_usd", "reconciler (hourly): per month, not per event", " $"),
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
        lines.append("  per month per million events kept:")
        for line in next(iter(cost["peers"].values()))["storage_usd_per_million_events_per_month"]:
            monthly = [cost["peers"][n]["storage_usd_per_million_events_per_month"][line] for n in peers]
            values = "".join(f"{usd:12.4f}" for usd in monthly)
            lines.append("  " + f"{line:22}" + values)
        for key, label in (
            ("billed_ms_per_warm_invocation", "billed ms"),
            ("write_units_per_event", "write units"),
            ("log_bytes_per_invocation", "log bytes"),
            ("stored_bytes_per_event", "stored bytes"),
            ("secret_parameters", "secret params"),
        ):
            lines.append("  " + f"{label:22}" + "".join(f"{cost['peers'][n]['inputs'][key]:12}" for n in peers))
        lines.extend(lever_lines(cost))
    sizes = d.get("payload_mix_bytes") or {}
    if sizes:
        lines.append("")
        lines.append("payload mix, body bytes (bench/mix.py)    n      min   median      max")
        for group, v in sizes.items():
            lines.append(f"  {group:36} {v['n']:3} {v['min']:8} {v['median']:8.0f} {v['max']:8}")
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
