"""RIE's output -> the function log (CloudWatch's stand-in), with Lambda's REPORT line."""

from __future__ import annotations

import re
import threading
from typing import IO

_RAPID = re.compile(r"^\d{2} \w{3} \d{4} [\d:,]+ \[\w+\] \(rapid\) ")
_INIT_REPORT = re.compile(r"\(rapid\) INIT REPORT\(durationMs: ([\d.]+)\)")
_REPORT = re.compile(
    r"^REPORT RequestId: (\S+)\t(?:Init Duration: [\d.]+ ms\t)?Duration: ([\d.]+) ms\t.*?Memory Size: (\d+) MB"
)


class LogRouter:
    """RIE's output (its own lines, the runtime's, START/END/REPORT) -> the function log.

    RIE's ``(rapid)`` lines go to the runtime log instead (CloudWatch shows no such
    lines). REPORT lines are rewritten as Lambda writes them (see the module doc).
    One router per environment, all writing to shared files under one lock.
    """

    def __init__(self, function_log: IO[str], runtime_log: IO[str], lock: threading.Lock) -> None:
        self.function_log = function_log
        self.runtime_log = runtime_log
        self.lock = lock
        self.pending_init_ms: float | None = None
        self.init_reports: list[float] = []

    def line(self, text: str) -> None:
        text = text.rstrip("\n")
        init = _INIT_REPORT.search(text)
        if init:
            ms = float(init.group(1))
            if ms >= 0.1:  # RIE also reports a 0.02 ms "init" when it retries after a failed one
                self.pending_init_ms = ms
        if _RAPID.match(text):
            self._write(self.runtime_log, text)
            return
        report = _REPORT.match(text)
        if report:
            text = self._report(report.group(1), float(report.group(2)), report.group(3))
        self._write(self.function_log, text)

    def _report(self, request_id: str, duration_ms: float, memory: str) -> str:
        init_ms, self.pending_init_ms = self.pending_init_ms, None
        if init_ms is not None:
            self.init_reports.append(init_ms)
            duration_ms = max(0.0, duration_ms - init_ms)
        line = (
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms"
            f"\tBilled Duration: {max(1, int(-(-duration_ms // 1)))} ms"
            f"\tMemory Size: {memory} MB\tMax Memory Used: {memory} MB"
        )
        return line + (f"\tInit Duration: {init_ms:.2f} ms" if init_ms is not None else "")

    def platform(self, text: str) -> None:
        """A line the Lambda platform writes that RIE does not (e.g. the timeout notice)."""
        self._write(self.function_log, text)

    def _write(self, stream: IO[str], text: str) -> None:
        with self.lock:
            stream.write(text + "\n")
            stream.flush()

    def pump(self, pipe: IO[bytes]) -> None:
        for raw in iter(pipe.readline, b""):
            self.line(raw.decode("utf-8", errors="replace"))
        pipe.close()
