"""What a `make bench` run must write (KEYS, checked by its smoke test) and the goals it is judged by."""

from __future__ import annotations

# key -> (comparison, limit); checked on the numbers of this run only.
GOALS: dict[str, tuple[str, float]] = {
    "handler_overhead_ratio": ("<=", 1.10),
    "cold_start_vs_seed_ratio": ("<=", 0.90),
    "handler_cpu_us": ("<=", 150.0),
    # 32 KiB until the providers, the payment status and the cut-down botocore models (bench/README.md)
    "zip_bytes": ("<=", 64 * 1024),
    "vs_powertools_latency_ratio": ("<=", 0.80),
    "vs_powertools_cold_import_ratio": ("<=", 0.70),
}

# Every key a run writes at the top level of build/bench.json; the smoke test checks them all.
KEYS = (
    "handler_p50_ms",
    "bare_put_p50_ms",
    "handler_overhead_ratio",
    "handler_cpu_us",
    "provider_cpu_us",
    "cold_import_ms",
    "boto3_import_ms",
    "zip_bytes",
    "seed_latency_ratio",
    "vs_powertools_latency_ratio",
    "vs_powertools_cold_import_ratio",
    "cold_start_ms",
    "cold_start_vs_seed_ratio",
    "cost_per_million_usd",
    "storage_bytes_per_event",
    "storage_bytes_per_event_uncompressed",
    "publisher_cpu_us_per_record",
    "publisher_cost_per_million_usd",
    "http",
)
