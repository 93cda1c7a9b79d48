"""The emulator frozen mid-load (SIGSTOP on EMULATOR_PID, then SIGCONT).

While it is frozen every answer is a 5xx within the function timeout: never a 2xx,
never a dropped connection. After the thaw, new and re-delivered events succeed and
every event is stored exactly once.

FREEZE_SECONDS (default 15) must outlast one request's retry budget (3 attempts of
1 s connect / 2 s read plus back-off: about 6-9 s), or no request is answered while
the emulator is still frozen.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .conftest import Answer, Driver, Event, LocalStack, exactly_once, new_event, report

FREEZE_SECONDS = float(os.environ.get("FREEZE_SECONDS", "15"))
CONCURRENCY = int(os.environ.get("FREEZE_CONCURRENCY", "8"))


def timeline(answers: list[Answer], freeze: float, thaw: float, points: int = 24) -> list[tuple[Any, ...]]:
    """(sent, answered) in seconds after the SIGSTOP, status, outcome: evenly spread over the freeze."""
    window = sorted((a for a in answers if freeze - 0.2 <= a.sent <= thaw), key=lambda a: a.sent)
    step = max(1, len(window) // points)
    return [(round(a.sent - freeze, 2), round(a.received - freeze, 2), a.status, a.outcome) for a in window[::step]]


def test_frozen_emulator_answers_5xx_in_time_then_every_event_is_stored_once(local_stack: LocalStack) -> None:
    driver = Driver(local_stack.url, local_stack.secret)
    warm = [new_event("freeze") for _ in range(CONCURRENCY)]
    assert {a.status for a in driver.run(warm, CONCURRENCY)} == {200}  # warm workers, cached secret

    sent: list[Event] = list(warm)
    stop = threading.Event()
    rng = random.Random(7)

    def provider() -> None:
        while not stop.is_set():
            event = rng.choice(sent) if rng.random() < 0.2 else new_event("freeze")
            sent.append(event)
            driver.deliver(event)

    pool = ThreadPoolExecutor(max_workers=CONCURRENCY)
    futures = [pool.submit(provider) for _ in range(CONCURRENCY)]
    time.sleep(1.0)
    thaw = freeze = time.monotonic()
    os.kill(local_stack.emulator_pid, signal.SIGSTOP)
    try:
        time.sleep(FREEZE_SECONDS)
    finally:
        thaw = time.monotonic()
        os.kill(local_stack.emulator_pid, signal.SIGCONT)
    time.sleep(2.0)
    stop.set()
    for future in futures:
        future.result()
    pool.shutdown()

    answers = list(driver.answers)
    while_frozen = [a for a in answers if a.sent >= freeze + 0.05 and a.received <= thaw]
    dropped = [a for a in answers if not a.status]
    data = {
        "stack": local_stack.mode,
        "freeze_seconds": round(thaw - freeze, 2),
        "concurrency": CONCURRENCY,
        "requests": len(answers),
        "answered_while_frozen": len(while_frozen),
        "while_frozen_status": dict(Counter(a.status for a in while_frozen)),
        "while_frozen_outcome": dict(Counter(a.outcome for a in while_frozen)),
        "while_frozen_max_latency_s": round(max((a.latency for a in while_frozen), default=0), 2),
        "function_timeout_s": local_stack.timeout,
        "dropped_connections": len(dropped),
        "all_status": dict(Counter(a.status for a in answers)),
        # (sent, answered) in seconds after the SIGSTOP, status, outcome: a sample of the timeline
        "timeline_sample": timeline(answers, freeze, thaw),
    }
    if not (while_frozen and not dropped):
        report("freeze", data)
    assert not dropped, Counter(a.error for a in dropped)
    assert while_frozen, "no request was answered while the emulator was frozen: raise FREEZE_SECONDS"
    assert all(500 <= a.status <= 599 for a in while_frozen), data
    assert all(a.latency <= local_stack.timeout + 1.0 for a in while_frozen), data

    # After the thaw: new events succeed, re-deliveries of everything not yet 2xx succeed.
    fresh = [new_event("freeze") for _ in range(CONCURRENCY * 2)]
    assert {a.status for a in driver.run(fresh, CONCURRENCY)} == {200}
    not_ok = [a.event for a in answers if not 200 <= a.status < 300]
    assert driver.redeliver_until_2xx(not_ok, CONCURRENCY) == []
    counts = exactly_once(local_stack, "freeze", sent + fresh, driver.answers)
    data.update(counts, redelivered_after_thaw=len({e.event_id for e in not_ok}))
    report("freeze", data)
    assert counts["lost"] == 0 and counts["doubled"] == 0, data
