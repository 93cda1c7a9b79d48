"""HTTP through the local Function URL: requests/s, p50 and p99 at several concurrency levels.

Two ways to get a Function URL, tried in this order:

1. ``stack``: the colleague's ``python -m local_stack up`` (Terraform apply of the
   real root module to a fresh emulator, then the gateway), in a build folder of
   its own (``LOCAL_STACK_BUILD_DIR``), so a developer's running stack is never
   touched; ``python -m local_stack down`` afterwards, always.
2. ``gateway``: ``python -m local_stack.gateway`` started directly (its README's usage)
   on a function created in the benchmark's emulator with boto3 from the zip
   Terraform built. Used by ``--quick`` and when ``up`` fails.

The load: one keep-alive connection per client thread, each request a new
signed 1 KB event (unique ``webhook-id``, so every request is a first delivery
and a real write). Warm-up requests (cold workers) are not recorded. Requests
are bounded in count and time; only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import REGION, SECRET, SECRET_PARAM, TABLE, log, median, payload, percentile
from local_stack.emulator.fixtures import create_function
from local_stack.envfile import read_env_file
from local_stack.gateway import launch
from local_stack.layout import Layout
from local_stack.processes import stop_group
from webhook_cli.signing import signature_headers

STACK_COMMAND = [sys.executable, "-m", "local_stack"]  # run from ROOT (`make bench`)


@dataclass
class Target:
    url: str
    secret: str
    via: str


# --------------------------------------------------------------------------- the load


def run_level(target: Target, concurrency: int, total: int, time_cap: float, run_id: str) -> dict[str, Any]:
    parts = urlsplit(target.url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise RuntimeError(f"refusing to load {host}: loopback only")
    counter = itertools.count()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    window: dict[str, float] = {}

    def mark_start() -> None:
        window.setdefault("start", time.perf_counter())

    barrier = threading.Barrier(concurrency, action=mark_start)
    deadline_box: dict[str, float] = {}
    failures: list[str] = []

    def send(conn_box: list[http.client.HTTPConnection], tag: str) -> tuple[float, int]:
        body = payload(f"http_{run_id}_{tag}")
        headers = {
            "content-type": "application/json",
            **signature_headers([target.secret], f"msg_http_{run_id}_{tag}", int(time.time()), body),
        }
        for attempt in range(2):
            conn = conn_box[0]
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                return (time.perf_counter() - started) * 1000, response.status
            except (ConnectionError, http.client.HTTPException, OSError):
                conn.close()
                conn_box[0] = http.client.HTTPConnection(host, port, timeout=30)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def client(thread: int) -> None:
        conn_box = [http.client.HTTPConnection(host, port, timeout=30)]
        mine: list[tuple[float, int]] = []
        try:
            for warm in range(2):  # cold workers start here; not recorded
                send(conn_box, f"c{concurrency}_w{thread}_{warm}")
            barrier.wait(timeout=120)
            deadline = deadline_box.setdefault("deadline", time.perf_counter() + time_cap)
            while True:
                index = next(counter)
                if index >= total or time.perf_counter() > deadline:
                    break
                mine.append(send(conn_box, f"c{concurrency}_{index}"))
        except Exception as exc:  # recorded and reported; the level then counts as failed
            failures.append(f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.abort()
        finally:
            conn_box[0].close()
            with lock:
                latencies.extend(ms for ms, status in mine if 200 <= status < 300)
                statuses.update(status for _, status in mine)
                window["end"] = max(window.get("end", 0.0), time.perf_counter())

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=time_cap + 240)
    if failures:
        raise RuntimeError(f"concurrency {concurrency}: {failures[0]}")
    done = sum(statuses.values())
    ok = len(latencies)
    wall = window["end"] - window["start"]
    result = {
        "requests": done,
        "ok": ok,
        "non_2xx": done - ok,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": round(wall, 3),
        "rps": round(ok / wall, 1) if wall > 0 else None,
        "p50_ms": round(median(latencies), 3) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 3) if latencies else None,
    }
    log(
        f"http c={concurrency}: {result['rps']} req/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
        f"statuses {result['statuses']}"
    )
    return result


def run_levels(target: Target, levels: dict[int, int], time_cap: float, run_id: str) -> dict[str, Any]:
    return {
        "via": target.via,
        "concurrency": {str(c): run_level(target, c, n, time_cap, run_id) for c, n in levels.items()},
    }


# --------------------------------------------------------------------------- way 1: python -m local_stack up


@contextlib.contextmanager
def stack_target(build_dir: Path, log_path: Path) -> Iterator[Target]:
    env = {**os.environ, "LOCAL_STACK_BUILD_DIR": str(build_dir), "ENV_SUFFIX": "bench"}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a") as out:
        try:
            log(f"http: python -m local_stack up (build dir {build_dir}, log {log_path})")
            subprocess.run(
                [*STACK_COMMAND, "up", "--environment-suffix", "bench"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                check=True,
                timeout=420,
            )
            values = read_env_file(build_dir / "local.env")
            yield Target(values["FUNCTION_URL"], values["WEBHOOK_SECRET"], "python -m local_stack up")
        finally:
            log("http: python -m local_stack down")
            subprocess.run(
                [*STACK_COMMAND, "down"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                check=False,
                timeout=300,
            )


# --------------------------------------------------------------------------- way 2: the gateway alone


def deploy_function(endpoint: str, zip_path: Path, name: str) -> None:
    """The function as Terraform would create it (handler, runtime, env, reserved concurrency), via boto3."""
    import boto3

    kwargs = {
        "endpoint_url": endpoint,
        "region_name": REGION,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    create_function(
        boto3.client("iam", **kwargs),
        boto3.client("lambda", **kwargs),
        name=name,
        package=zip_path.read_bytes(),
        environment={"TABLE_NAME": TABLE, "WEBHOOK_SECRET_PARAM": SECRET_PARAM},
    )


@contextlib.contextmanager
def gateway_target(endpoint: str, zip_path: Path, workdir: Path, max_workers: int) -> Iterator[Target]:
    name = "payment-webhook-bench"
    deploy_function(endpoint, zip_path, name)
    extra = ("--max-workers", str(max_workers))
    pid, info = launch.start_gateway(Layout(workdir), endpoint, name, zip_path, extra_args=extra)
    try:
        log(f"http: gateway pid {pid} at {info['url']} (max {info['max_workers']} workers)")
        yield Target(info["url"], SECRET, "python -m local_stack.gateway")
    finally:
        stop_group(pid)
