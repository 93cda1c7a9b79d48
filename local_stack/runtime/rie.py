"""The one aws-lambda-rie launcher: the gateway's execution environments and the bench's cold starts.

One :class:`RieProcess` = one ``aws-lambda-rie`` process (AWS's Runtime Interface
Emulator, built by ``tools/go-tools.sh rie``) running ``python -m awslambdaric <handler>``
(AWS's Runtime Interface Client) in the code directory, on two loopback ports of its
own. RIE serves one invocation at a time (a second concurrent one crashes it).
:class:`ExecutionEnvironment` is the gateway's use of it: output through a LogRouter,
answers classified as Lambda's invoke API would.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from local_stack.processes import free_port
from local_stack.runtime.invocation import Outcome, classify
from local_stack.runtime.logs import LogRouter
from local_stack.runtime.spec import FunctionSpec

RIE_NAME = "aws-lambda-rie"
INVOKE_PATH = "/2015-03-31/functions/function/invocations"
INIT_LIMIT_SECONDS = 10  # Lambda's init phase limit for on-demand functions


def find_rie() -> Path:
    """aws-lambda-rie: from the PATH, else the toolchain cache (tools/go-tools.sh rie)."""
    found = shutil.which(RIE_NAME)
    if found:
        return Path(found)
    cache = Path(os.environ.get("WEBHOOK_CACHE") or Path.home() / ".cache" / "webhook-stack")
    candidate = cache / "bin" / RIE_NAME
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    raise FileNotFoundError(f"{RIE_NAME} not found on the PATH or in {candidate.parent}: run `tools/go-tools.sh rie`")


class EnvironmentGone(Exception):
    """The RIE process is not answering (exited, or never came up)."""


class RieProcess:
    """aws-lambda-rie + awslambdaric over ``code_dir``; output to ``output`` (a file), else a pipe (``stdout``).

    ``own_group``: in a process group of its own, so :meth:`stop` also reaches the runtime.
    """

    def __init__(
        self,
        rie: Path,
        handler: str,
        code_dir: Path,
        env: Mapping[str, str],
        output: IO[bytes] | None = None,
        own_group: bool = False,
    ) -> None:
        self.port = free_port()
        self.runtime_api_port = free_port()
        self.own_group = own_group
        self.process = subprocess.Popen(
            [
                str(rie),
                "--runtime-interface-emulator-address",
                f"127.0.0.1:{self.port}",
                "--runtime-api-address",
                f"127.0.0.1:{self.runtime_api_port}",
                sys.executable,
                "-m",
                "awslambdaric",
                handler,
            ],
            stdin=subprocess.DEVNULL,
            stdout=output if output is not None else subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one stream keeps RIE's INIT REPORT before its REPORT
            env=dict(env),
            cwd=code_dir,
            start_new_session=own_group,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def stdout(self) -> IO[bytes]:
        assert self.process.stdout is not None, "started with an output file"
        return self.process.stdout

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_listening(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EnvironmentGone(f"{RIE_NAME} exited with {self.process.returncode} at start")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return
            time.sleep(0.01)
        raise EnvironmentGone(f"{RIE_NAME} did not listen on 127.0.0.1:{self.port} within {timeout:.0f}s")

    def post(self, payload: bytes, request_id: str, timeout: float) -> tuple[int, bytes]:
        """One invocation: RIE's HTTP status and body; EnvironmentGone when there is no answer."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(
                "POST",
                INVOKE_PATH,
                body=payload,
                headers={"Content-Type": "application/json", "X-Amzn-RequestId": request_id},
            )
            response = connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise EnvironmentGone(f"{RIE_NAME} gave no answer: {type(exc).__name__}: {exc}") from exc
        finally:
            connection.close()

    def stop(self) -> None:
        """SIGTERM: RIE shuts its runtime down; then SIGKILL whatever is left."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.own_group:  # the runtime is RIE's child in the same group: nothing outlives RIE
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)


def launch(
    rie: Path, handler: str, code_dir: Path, env: Mapping[str, str], log_path: Path, attempts: int = 3
) -> RieProcess:
    """A listening RieProcess (own group) writing to ``log_path``; a port taken in between is retried."""
    last: EnvironmentGone | None = None
    for _ in range(attempts):
        with log_path.open("wb") as out:
            process = RieProcess(rie, handler, code_dir, env, out, own_group=True)
        try:
            process.wait_listening()
            return process
        except EnvironmentGone as exc:
            last = exc
            process.stop()
    raise EnvironmentGone(f"{last}: {log_path.read_text(errors='replace')[-800:]}")


class ExecutionEnvironment:
    """The gateway's execution environment: one RieProcess whose output goes through a LogRouter."""

    def __init__(self, rie: Path, spec: FunctionSpec, code_dir: Path, env: dict[str, str], router: LogRouter) -> None:
        self.spec = spec
        self.invocations = 0
        self.rie = RieProcess(rie, spec.handler, code_dir, env)
        self._pump = threading.Thread(target=router.pump, args=(self.rie.stdout,), daemon=True)
        self._pump.start()

    @property
    def pid(self) -> int:
        return self.rie.pid

    def wait_listening(self, timeout: float = 10.0) -> None:
        self.rie.wait_listening(timeout)

    def invoke(self, payload: bytes, request_id: str) -> Outcome:
        """One invocation; RIE enforces the function's timeout itself (a little slack on top here)."""
        self.invocations += 1
        status, body = self.rie.post(payload, request_id, self.spec.timeout + INIT_LIMIT_SECONDS + 5)
        return classify(status, body, request_id, self.spec.timeout)

    def alive(self) -> bool:
        return self.rie.alive()

    def stop(self) -> None:
        self.rie.stop()
        self._pump.join(timeout=2)
