"""Load through the local Function URL: N requests, 20 % of them re-deliveries, at a fixed
concurrency. Zero lost, zero doubled; every request gets an HTTP answer; p50/p99 reported.

``make load`` (LOAD_REQUESTS=2000, LOAD_CONCURRENCY=32, the Terraform-applied stack);
``make test`` runs a small version (200 requests, concurrency 8).
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter

from .conftest import Driver, LocalStack, exactly_once, new_event, percentile, report

REQUESTS = int(os.environ.get("LOAD_REQUESTS", "200"))
CONCURRENCY = int(os.environ.get("LOAD_CONCURRENCY", "8"))
REDELIVERY_SHARE = 0.2


def test_load_with_redeliveries_loses_and_doubles_nothing(local_stack: LocalStack) -> None:
    rng = random.Random(2026)
    unique = [new_event("load") for _ in range(round(REQUESTS * (1 - REDELIVERY_SHARE)))]
    schedule = list(unique)
    for original in rng.choices(range(len(unique)), k=REQUESTS - len(unique)):
        # a re-delivery somewhere after its original: sometimes while the original is still in flight
        schedule.insert(rng.randint(original + 1, len(schedule)), unique[original])
    driver = Driver(local_stack.url, local_stack.secret)
    warm = [new_event("load") for _ in range(CONCURRENCY)]
    assert {a.status for a in driver.run(warm, CONCURRENCY)} == {200}  # warm workers, as a live function has
    driver.answers.clear()

    started = time.monotonic()
    first = driver.run(schedule, CONCURRENCY)
    elapsed = time.monotonic() - started
    assert all(a.status for a in first), Counter(a.error for a in first if not a.status)  # never a dropped connection

    retried = [a.event for a in first if not 200 <= a.status < 300]
    assert driver.redeliver_until_2xx(retried, CONCURRENCY) == []
    counts = exactly_once(local_stack, "load", warm + schedule, driver.answers)
    ok = [a.latency * 1000 for a in first if 200 <= a.status < 300]
    data = {
        "stack": local_stack.mode,
        "requests": len(schedule),
        "unique_events": len(unique),
        "redeliveries": len(schedule) - len(unique),
        "concurrency": CONCURRENCY,
        "first_attempt_status": dict(Counter(a.status for a in first)),
        "first_attempt_outcome": dict(Counter(a.outcome for a in first)),
        "provider_retries": len(driver.answers) - len(first),
        "seconds": round(elapsed, 2),
        "requests_per_second": round(len(schedule) / elapsed, 1),
        "p50_ms": round(percentile(ok, 50), 1),
        "p99_ms": round(percentile(ok, 99), 1),
        "max_ms": round(max(ok), 1),
        **counts,
    }
    report("load", data)
    assert counts["lost"] == 0 and counts["doubled"] == 0, data
    assert counts["items"] == len(unique) + len(warm)
