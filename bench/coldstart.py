"""Cold start the way Lambda bills it and a caller waits for it: AWS's own runtime, one process per cold start.

Each cold start is a new ``aws-lambda-rie`` process (AWS's Runtime Interface
Emulator, started by local_stack.runtime.rie, the launcher the gateway uses) running ``python -m awslambdaric
<handler>`` (AWS's Runtime Interface Client) over a fresh extract of the
code, with its own two loopback ports, against the bench's moto server. It is
invoked once with a signed Function URL event (the cold start), then ``warm``
more times (the billed duration of a warm invocation), and stopped.

What RIE reports, and what is kept (``internal/lambda/rie/handlers.go`` of the
module tools/go-tools.sh pins): RIE starts the runtime only when the first invocation arrives
and its ``sandbox.Init`` returns before the runtime's init has finished, so the
REPORT line's ``Init Duration`` is ~0.02 ms and the wait for the init lands in
the first invocation's ``Duration``.  ``cold_start_ms`` is therefore the sum
``Init Duration + Duration`` of the first REPORT line (= what Lambda bills for
a cold start since INIT is billed, and what the caller waits for, minus the
loopback hop); the split comes from RIE's own ``INIT REPORT(durationMs: …)``
(interpreter start, awslambdaric, the handler module's import) and ``INVOKE
RTDONE(… duration: …)`` (the first invocation) lines. The caller's wall time of
the first POST is kept too.

Peers, interleaved round by round (rotating order), medians:

* ``ours``        handler.handler from the zip Terraform built (or lambda_src zipped)
* ``seed``        bench/peers/seed_handler.py
* ``powertools``  bench/peers/powertools_handler.py

The function's code has no bytecode cache (a fresh extract per cold start,
``PYTHONDONTWRITEBYTECODE``, as on Lambda where /var/task is read-only);
libraries (boto3, Powertools) keep their ``.pyc`` as in the runtime or a layer.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import PEERS, function_url_event, lambda_env, log, median, payload
from local_stack.runtime.rie import RieProcess, find_rie, launch

MEMORY_MB = 256
TIMEOUT_S = 15
PEER_NAMES = ("ours", "seed", "powertools")


@dataclass(frozen=True)
class Peer:
    """What Lambda would unpack into /var/task (a zip, a folder or one file) and the handler setting."""

    name: str
    source: Path
    handler: str
    expected_status: str | None  # the body's `status` of a first delivery; None: only the 200 is checked


def peers(ours_zip: Path) -> dict[str, Peer]:
    return {
        "ours": Peer("ours", ours_zip, "handler.handler", "accepted"),
        "seed": Peer("seed", PEERS / "seed_handler.py", "seed_handler.handler", None),
        "powertools": Peer("powertools", PEERS / "powertools_handler.py", "powertools_handler.handler", "accepted"),
    }


_REPORT = re.compile(
    r"REPORT RequestId: (?P<id>\S+)\t(?:Init Duration: (?P<init>[\d.]+) ms\t)?"
    r"Duration: (?P<duration>[\d.]+) ms\tBilled Duration: (?P<billed>\d+) ms"
)
_INIT_REPORT = re.compile(r"\(rapid\) INIT REPORT\(durationMs: (?P<ms>[\d.]+)\)")
_INVOKE_DONE = re.compile(r"\(rapid\) INVOKE RTDONE\(status: (?P<status>\w+).*?duration: (?P<ms>[\d.]+)ms\)")


# --------------------------------------------------------------------------- one execution environment


@dataclass
class Invocation:
    status: int
    body: bytes
    wall_ms: float


@dataclass
class Report:
    init_ms: float | None
    duration_ms: float
    billed_ms: int


def invoke(rie: RieProcess, event: dict[str, Any]) -> Invocation:
    """One invocation through local_stack's RIE launcher; the caller's wall time kept."""
    started = time.perf_counter()
    status, body = rie.post(json.dumps(event).encode(), str(uuid.uuid4()), TIMEOUT_S + 10)
    return Invocation(status, body, (time.perf_counter() - started) * 1000)


def runtime_cpu_ms(rie_pid: int) -> float | None:
    """CPU time (user + system) the runtime process, RIE's child, has used so far (/proc stat, 10 ms ticks)."""
    try:
        # RIE is a Go program: the thread that forked the runtime is any of its threads.
        tasks = Path(f"/proc/{rie_pid}/task").iterdir()
        children = {c for task in tasks for c in (task / "children").read_text().split()}
        ticks = 0
        for child in children:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
        return ticks * 1000 / os.sysconf("SC_CLK_TCK") if children else None
    except (OSError, ValueError, IndexError):
        return None


def reports(text: str) -> list[Report]:
    return [
        Report(float(m["init"]) if m["init"] else None, float(m["duration"]), int(m["billed"]))
        for m in _REPORT.finditer(text)
    ]


def _function_output_bytes(text: str) -> int:
    """Bytes the function and the platform write to the log (CloudWatch), without RIE's own ``(rapid)`` lines."""
    return sum(len(line.encode()) + 1 for line in text.splitlines() if "(rapid)" not in line)


def check_answer(peer: Peer, invocation: Invocation) -> None:
    """The invocation answered 200 and the function answered 200 (and `accepted` where the peer says so)."""
    name = peer.name
    if invocation.status != 200:
        raise RuntimeError(f"{name}: RIE answered {invocation.status}: {invocation.body[:300]!r}")
    result = json.loads(invocation.body)
    if not isinstance(result, dict) or result.get("statusCode") != 200:
        raise RuntimeError(f"{name}: function answered {str(result)[:300]}")
    expected = peer.expected_status
    if expected is not None and json.loads(result["body"]).get("status") != expected:
        raise RuntimeError(f"{name}: function answered {result['body'][:300]}")


# --------------------------------------------------------------------------- measurement


@dataclass
class Sample:
    cold_start_ms: float  # Init Duration + Duration of the first REPORT
    init_ms: float  # RIE's INIT REPORT
    first_invoke_ms: float  # RIE's INVOKE RTDONE of the first invocation
    caller_ms: float  # wall time of the first POST
    first_billed_ms: int
    cpu_ms: float | None  # CPU time of the runtime process for init + first invocation (load-independent)
    warm_billed_ms: list[int] = field(default_factory=list)
    warm_duration_ms: list[float] = field(default_factory=list)
    log_bytes_per_warm_invoke: float = 0.0


class ColdStarts:
    def __init__(
        self, endpoint: str, contenders: dict[str, Peer], workdir: Path, run_id: str, extra_env: dict[str, str]
    ) -> None:
        self.binary = find_rie()
        self.contenders = contenders
        self.workdir = workdir
        self.run_id = run_id
        self.counter = 0
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only on Lambda: no bytecode cache for the code
            **lambda_env(endpoint),
            **extra_env,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(MEMORY_MB),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(TIMEOUT_S),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        }

    @staticmethod
    def extract(peer: Peer, task: Path) -> None:
        """A fresh copy of what Lambda would unpack into /var/task for this peer."""
        if peer.source.is_dir():
            shutil.copytree(peer.source, task, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.md"))
            return
        task.mkdir(parents=True)
        if peer.source.suffix == ".zip":
            with zipfile.ZipFile(peer.source) as archive:
                archive.extractall(task)
        else:
            shutil.copy2(peer.source, task)

    def next_event(self, name: str) -> dict[str, Any]:
        self.counter += 1
        tag = f"{self.run_id}_{name}_{self.counter}"
        return function_url_event(payload(f"cold_{tag}"), f"msg_cold_{tag}")

    def once(self, name: str, warm: int) -> Sample:
        peer = self.contenders[name]
        with tempfile.TemporaryDirectory(dir=self.workdir) as tmp:
            task = Path(tmp) / "task"
            self.extract(peer, task)
            env = {**self.env, "LAMBDA_TASK_ROOT": str(task), "PYTHONPATH": str(task)}
            log_path = Path(tmp) / "rie.log"
            rie = launch(self.binary, peer.handler, task, env, log_path)
            try:
                first = invoke(rie, self.next_event(name))
                check_answer(peer, first)
                cpu_ms = runtime_cpu_ms(rie.pid)
                bytes_after_first = _function_output_bytes(log_path.read_text(errors="replace"))
                for _ in range(warm):
                    check_answer(peer, invoke(rie, self.next_event(name)))
            finally:
                rie.stop()
            text = log_path.read_text(errors="replace")
        found = reports(text)
        init = _INIT_REPORT.search(text)
        done = _INVOKE_DONE.search(text)
        if len(found) != warm + 1 or init is None or done is None:
            raise RuntimeError(f"{name}: unexpected RIE log ({len(found)} REPORT lines): {text[-800:]}")
        cold = found[0]
        return Sample(
            cold_start_ms=(cold.init_ms or 0.0) + cold.duration_ms,
            init_ms=float(init["ms"]),
            first_invoke_ms=float(done["ms"]),
            caller_ms=first.wall_ms,
            first_billed_ms=cold.billed_ms,
            cpu_ms=cpu_ms,
            warm_billed_ms=[r.billed_ms for r in found[1:]],
            warm_duration_ms=[r.duration_ms for r in found[1:]],
            log_bytes_per_warm_invoke=(_function_output_bytes(text) - bytes_after_first) / warm if warm else 0.0,
        )

    def measure(self, rounds: int, warm: int) -> dict[str, list[Sample]]:
        names = tuple(self.contenders)
        for name in names:  # page cache and moto warmed once per peer; not recorded
            self.once(name, 0)
        samples: dict[str, list[Sample]] = {name: [] for name in names}
        for index in range(rounds):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                samples[name].append(self.once(name, warm))
        return samples


def summarize(samples: dict[str, list[Sample]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, values in samples.items():
        billed = [b for s in values for b in s.warm_billed_ms]
        durations = [d for s in values for d in s.warm_duration_ms]
        out[name] = {
            "n": len(values),
            "cold_start_ms": median([s.cold_start_ms for s in values]),
            "cold_start_min_ms": min(s.cold_start_ms for s in values),
            "init_ms": median([s.init_ms for s in values]),
            "first_invoke_ms": median([s.first_invoke_ms for s in values]),
            "caller_ms": median([s.caller_ms for s in values]),
            "first_billed_ms": median([float(s.first_billed_ms) for s in values]),
            "cpu_ms": median(cpus) if (cpus := [s.cpu_ms for s in values if s.cpu_ms is not None]) else None,
            "warm_invocations": len(billed),
            "warm_billed_ms_mean": sum(billed) / len(billed) if billed else None,
            "warm_billed_ms_p50": median([float(b) for b in billed]) if billed else None,
            "warm_duration_ms_p50": median(durations) if durations else None,
            "log_bytes_per_invoke": median([s.log_bytes_per_warm_invoke for s in values]),
        }
    log(
        "cold start medians: "
        + ", ".join(
            f"{k} {v['cold_start_ms']:.1f} ms (init {v['init_ms']:.1f} + first {v['first_invoke_ms']:.1f};"
            f" cpu {v['cpu_ms'] or 0:.1f})"
            for k, v in out.items()
        )
    )
    return out


def measure_cold_starts(
    endpoint: str,
    ours_zip: Path,
    workdir: Path,
    rounds: int,
    warm: int,
    run_id: str,
    extra_env: dict[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    workdir.mkdir(parents=True, exist_ok=True)
    runner = ColdStarts(endpoint, peers(ours_zip), workdir, run_id, extra_env or {})
    return summarize(runner.measure(rounds, warm))


def _main() -> None:
    """``python -m bench.coldstart [--rounds N] [--warm W] [DIR ...]``: its own moto server; each DIR is a variant
    of lambda_src measured as ``ours`` is (how the levers in bench/README.md were compared), beside the peers."""
    import argparse

    from bench import common
    from local_stack.emulator import Emulator

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warm", type=int, default=5)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("variants", nargs="*", type=Path)
    args = parser.parse_args()
    contenders = {} if args.no_peers else peers(common.LAMBDA_SRC)
    for variant in args.variants:
        contenders[variant.name] = Peer(variant.name, variant.resolve(), "handler.handler", "accepted")
    work = Path(tempfile.mkdtemp(prefix="bench-cold-"))
    try:
        with Emulator(work / "emulator.log") as emulator:
            common.create_aws_resources(emulator.endpoint)
            runner = ColdStarts(emulator.endpoint, contenders, work, "manual", {})
            print(json.dumps(summarize(runner.measure(args.rounds, args.warm)), indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    _main()
