"""HTTP through the local Function URL: requests/s, p50 and p99 at several concurrency levels.

Two ways to get a Function URL, tried in this order:

1. ``stack``: the colleague's ``tools/local/stack.py up`` (Terraform apply of the
   real root module to a fresh emulator, then the gateway), in a build folder of
   its own (``LOCAL_STACK_BUILD_DIR``), so a developer's running stack is never
   touched; ``stack.py down`` afterwards, always.
2. ``gateway``: ``tools/local/gateway.py`` started directly (its README's usage)
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
import json
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
from local_stack.emulator import aws_env, create_function, stop_process_group
from local_stack.envfile import read_env_file
from webhook_cli.signing import signature_headers

STACK_COMMAND = [sys.executable, "-m", "local_stack"]  # run from ROOT (`make bench`)
GATEWAY_COMMAND = [sys.executable, "-m", "local_stack.gateway"]


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
    barrier = threading.Barrier(concurrency, action=lambda: window.setdefault("start", time.perf_counter()))
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


# --------------------------------------------------------------------------- way 1: stack.py up


@contextlib.contextmanager
def stack_target(build_dir: Path, log_path: Path) -> Iterator[Target]:
    env = {**os.environ, "LOCAL_STACK_BUILD_DIR": str(build_dir), "ENV_SUFFIX": "bench"}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a") as out:
        try:
            log(f"http: tools/local/stack.py up (build dir {build_dir}, log {log_path})")
            subprocess.run(  # noqa: S603 - tools/local/stack.py
                [*STACK_COMMAND, "up", "--environment-suffix", "bench"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                check=True,
                timeout=420,
            )
            values = read_env_file(build_dir / "local.env")
            yield Target(values["FUNCTION_URL"], values["WEBHOOK_SECRET"], "tools/local/stack.py up")
        finally:
            log("http: tools/local/stack.py down")
            subprocess.run(  # noqa: S603 - tools/local/stack.py
                [*STACK_COMMAND, "down"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                check=False,
                timeout=300,
            )


# --------------------------------------------------------------------------- way 2: gateway.py directly


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
    workdir.mkdir(parents=True, exist_ok=True)
    ready = workdir / "gateway.json"
    ready.unlink(missing_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **aws_env(endpoint, REGION)}
    with (workdir / "gateway.log").open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - tools/local/gateway.py
            [
                *GATEWAY_COMMAND,
                "--function-name",
                name,
                "--zip",
                str(zip_path),
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--max-workers",
                str(max_workers),
                "--code-dir",
                str(workdir / "code"),
                "--function-log",
                str(workdir / "function.log"),
                "--ready-file",
                str(ready),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        info: dict[str, Any] = {}
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                info = json.loads(ready.read_text())
                if info.get("pid") == process.pid:
                    break
            time.sleep(0.1)
        if info.get("pid") != process.pid:
            raise RuntimeError(f"gateway.py did not start; see {workdir / 'gateway.log'}")
        log(f"http: gateway.py pid {process.pid} at {info['url']} (max {info['max_workers']} workers)")
        yield Target(info["url"], SECRET, "tools/local/gateway.py")
    finally:
        stop_process_group(process.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
