"""bench/provider_cpu.py: shape of ``measure()`` at tiny counts (performance is `make bench`'s job)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[2] / "bench" / "provider_cpu.py"


def load() -> Any:
    spec = importlib.util.spec_from_file_location("provider_cpu_under_test", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_measure_reports_each_provider_per_1kb_event() -> None:
    result = load().measure(batches=2, batch_size=5)
    assert result["unit"] == "cpu_us_per_1kb_event"
    for name in ("standard", "stripe", "adyen"):
        assert isinstance(result[name], float) and 0 < result[name] < 100_000
        assert 1000 <= result["event_bytes"][name] <= 1100
    assert (result["batches"], result["batch_size"]) == (2, 5)


def test_bench_events_are_authentic_and_map() -> None:
    module = load()
    from webhook.providers import PROVIDERS

    for name, (make, secret) in module.SAMPLES.items():
        headers, body = make(1)
        provider = PROVIDERS[name]
        key = provider.decode_secret(secret)  # the bench's secret in the provider's own format
        assert key is not None
        delivery = provider.verify(headers, body, (key,), tolerance_seconds=300, now=module.NOW)
        (record,) = provider.map_delivery(delivery).records
        assert record.transaction.amount > 0
