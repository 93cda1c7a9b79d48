"""Warm execution environments, at most the function's concurrency, one request each (RIE serves one at a time)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from local_stack.runtime.rie import ExecutionEnvironment


class EnvironmentPool:
    """Warm environments, at most ``capacity`` at a time (reserved concurrency, capped)."""

    def __init__(self, capacity: int, factory: Callable[[], ExecutionEnvironment]) -> None:
        self.capacity = capacity
        self._factory = factory
        self._idle: list[ExecutionEnvironment] = []
        self._all: set[ExecutionEnvironment] = set()
        self._active = 0  # slots handed out: busy or starting environments
        self._lock = threading.Lock()
        self._closed = False
        self.stats = {"cold_starts": 0, "throttles": 0, "timeouts": 0, "errors": 0, "invocations": 0}

    def acquire(self) -> ExecutionEnvironment | None:
        """An idle environment (most recently used first, like Lambda), a new one, or None: throttled."""
        with self._lock:
            if self._closed or self._active >= self.capacity:
                self.stats["throttles"] += 1
                return None
            self._active += 1
            self.stats["invocations"] += 1
            while self._idle:
                environment = self._idle.pop()
                if environment.alive():
                    return environment
                self._all.discard(environment)
            self.stats["cold_starts"] += 1
        try:
            environment = self._factory()
            environment.wait_listening()
        except BaseException:
            with self._lock:
                self._active -= 1
            raise
        with self._lock:
            self._all.add(environment)
        return environment

    def release(self, environment: ExecutionEnvironment, reusable: bool) -> None:
        with self._lock:
            self._active -= 1
            if reusable and not self._closed and environment.alive():
                self._idle.append(environment)
                return
            self._all.discard(environment)
        environment.stop()

    def count(self, key: str) -> None:
        with self._lock:
            self.stats[key] += 1

    def close(self) -> None:
        with self._lock:
            self._closed = True
            environments, self._idle = list(self._all), []
            self._all.clear()
        for environment in environments:
            environment.stop()

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {"idle": len(self._idle), "active": self._active, "capacity": self.capacity, **self.stats}
