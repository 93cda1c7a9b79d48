"""Hypothesis profiles of the fuzz suite and its summary (executions, findings).

``make test`` runs the small profile (a few hundred examples per property, fixed
seed, a few seconds); ``make fuzz`` selects the large one with ``FUZZ_PROFILE=fuzz``
(``FUZZ_EXAMPLES`` examples per property, default 20000, random seed, the example
database in .hypothesis/ so a finding is replayed first next time).
"""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "small",
    max_examples=int(os.environ.get("FUZZ_SMALL_EXAMPLES", "300")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "20000")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

PROFILE = os.environ.get("FUZZ_PROFILE", "small")
# The settings every fuzz property uses (applied per test, not loaded globally, so the
# hypothesis tests of the other suites keep their own settings).
FUZZ_SETTINGS = settings.get_profile(PROFILE)

# Per property: how many times the handler ran, and the status codes it answered.
EXECUTIONS: Counter[str] = Counter()
STATUSES: dict[str, Counter[int]] = defaultdict(Counter)
FINDINGS: list[str] = []
_STARTED = time.monotonic()


def record(test: str, status: int) -> None:
    EXECUTIONS[test] += 1
    STATUSES[test][status] += 1


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.failed and "tests/fuzz/" in report.nodeid.replace("\\", "/"):
        FINDINGS.append(report.nodeid)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not EXECUTIONS:
        return
    write = terminalreporter.write_line
    write("")
    write(f"fuzz summary (profile {PROFILE}, max_examples={FUZZ_SETTINGS.max_examples} per property)")
    for test, count in sorted(EXECUTIONS.items()):
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(STATUSES[test].items()))
        write(f"  {test:<58} {count:>8} executions   [{statuses}]")
    write(f"  total {sum(EXECUTIONS.values())} handler executions in {time.monotonic() - _STARTED:.0f} s")
    write(f"  findings: {len(FINDINGS)}" + "".join(f"\n    {f}" for f in FINDINGS))
