"""AWS's own Lambda runtime on this machine: execution environments for the local Function URL.

One execution environment = one ``aws-lambda-rie`` process (AWS's Runtime Interface
Emulator, built by ``tools/go-tools.sh rie``) running ``python -m awslambdaric
<handler>`` (AWS's Runtime Interface Client, the code that runs Python handlers in
Lambda's managed runtimes) over the extracted zip, on two loopback ports of its own.
RIE serves one invocation at a time (a second concurrent one crashes it), so the
pool hands each environment to one request at a time and starts new ones up to the
function's concurrency.

What RIE and awslambdaric do here, as on Lambda: importing the handler once per
environment (the init phase), the ``context`` object, the runtime's log format, JSON
marshalling of the result (``Runtime.MarshalError``), the error shape of an
exception (``errorType``/``errorMessage``/``stackTrace``), the function timeout
(the runtime is killed and re-initialised on the next invocation), a runtime that
exits (``Runtime.ExitError``), the 6 MB response limit
(``Function.ResponseSizeTooLarge``), and the START/END/REPORT lines.

The small home-made parts, each because RIE cannot do it (README.md, "What RIE and
awslambdaric cannot do here"):

* :func:`classify` tells a function error from a result: RIE answers a handled
  function error with HTTP 200 and drops Lambda's ``X-Amz-Function-Error`` header
  (its response writer has no headers), and a timeout with HTTP 200 and the text
  ``Task timed out after N.00 seconds``.
* :class:`LogRouter` corrects RIE's REPORT line: RIE measures ``Init Duration`` around
  an asynchronous call (so it reads ~0.05 ms), omits it after a re-initialisation,
  and counts the init phase into ``Duration``. The true init time is in RIE's own
  ``INIT REPORT(durationMs: …)`` line; the router writes Lambda's REPORT line from it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from local_stack.iam import Credentials

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


# --------------------------------------------------------------------------- the function


@dataclass(frozen=True)
class FunctionSpec:
    """What the local Function URL needs of the deployed function, read back from the emulator."""

    name: str
    arn: str
    handler: str
    runtime: str
    timeout: int
    memory_mb: int
    environment: dict[str, str]
    reserved_concurrency: int | None  # None: no reservation (uses unreserved account concurrency)
    code_sha256: str
    log_group: str
    role_arn: str
    tracing_mode: str = "PassThrough"
    architectures: tuple[str, ...] = field(default_factory=tuple)

    @property
    def region(self) -> str:
        return self.arn.split(":")[3] if self.arn.count(":") >= 6 else "us-east-1"

    @property
    def account_id(self) -> str:
        return self.arn.split(":")[4] if self.arn.count(":") >= 6 else "123456789012"

    def fingerprint(self) -> str:
        """Changes whenever anything the Function URL uses changes (code included)."""
        data = json.dumps(asdict(self), sort_keys=True, default=list).encode()
        return hashlib.sha256(data).hexdigest()[:16]


def read_function_spec(lambda_client: Any, function_name: str) -> FunctionSpec:
    config = lambda_client.get_function_configuration(FunctionName=function_name)
    concurrency = lambda_client.get_function_concurrency(FunctionName=function_name)
    name = config["FunctionName"]
    logging_config = config.get("LoggingConfig") or {}
    return FunctionSpec(
        name=name,
        arn=config["FunctionArn"],
        handler=config["Handler"],
        runtime=config.get("Runtime", ""),
        timeout=int(config.get("Timeout", 3)),
        memory_mb=int(config.get("MemorySize", 128)),
        environment=dict((config.get("Environment") or {}).get("Variables") or {}),
        reserved_concurrency=concurrency.get("ReservedConcurrentExecutions"),
        code_sha256=config["CodeSha256"],
        log_group=logging_config.get("LogGroup") or f"/aws/lambda/{name}",
        role_arn=config["Role"],
        tracing_mode=(config.get("TracingConfig") or {}).get("Mode", "PassThrough"),
        architectures=tuple(config.get("Architectures") or ()),
    )


def zip_sha256(path: Path) -> str:
    """Lambda's CodeSha256: base64 of the SHA-256 of the zip file's bytes."""
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def extract_code(zip_path: Path, code_root: Path, sha256_b64: str) -> Path:
    """Extract the zip once per code version into code_root/<hash> (the environments' /var/task)."""
    digest = base64.b64decode(sha256_b64).hex()[:16]
    target = code_root / digest
    marker = target / ".extracted"
    if not marker.exists():
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(target)
        marker.write_text(sha256_b64)
    return target


def lambda_environment(spec: FunctionSpec, code_dir: Path, endpoint: str, credentials: Credentials) -> dict[str, str]:
    """The environment of an execution environment: the function's variables plus what Lambda sets.

    RIE passes its whole environment on to the runtime, so this is all the function
    sees: nothing of the caller's environment except PATH. The credentials are the
    execution role's (sts:AssumeRole); AWS_ENDPOINT_URL points the SDK at the emulator.
    """
    stream = datetime.now(UTC).strftime("%Y/%m/%d") + "/[$LATEST]" + uuid.uuid4().hex
    env = dict(spec.environment)
    env.update(
        {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only on Lambda
            "PYTHONUNBUFFERED": "1",
            "LAMBDA_TASK_ROOT": str(code_dir),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(spec.timeout),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,  # Lambda sets both; boto3 reads this one
            **credentials.env(),
            "AWS_ENDPOINT_URL": endpoint,
            # Never a developer's ~/.aws: only the emulator is reachable.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    return env


# --------------------------------------------------------------------------- logs


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


# --------------------------------------------------------------------------- invocations


@dataclass(frozen=True)
class Outcome:
    """How one invocation ended."""

    kind: str  # "result" | "function_error" | "timeout" | "platform_error"
    payload: bytes  # the result, or Lambda's error document
    error_type: str = ""

    @property
    def ok(self) -> bool:
        return self.kind == "result"


def classify(status: int, body: bytes, request_id: str, timeout: int) -> Outcome:
    """RIE's answer -> what Lambda's invoke API would have said (see the module doc)."""
    if status == 200 and body == f"Task timed out after {timeout}.00 seconds".encode():
        return Outcome("timeout", body, "Sandbox.Timedout")
    document: Any = None
    with contextlib.suppress(ValueError):
        document = json.loads(body)
    is_error = isinstance(document, dict) and {"errorType", "errorMessage"} <= document.keys()
    if status != 200:
        error_type = document.get("errorType", "") if isinstance(document, dict) else ""
        return Outcome("platform_error", body, str(error_type) or f"HTTP {status}")
    # awslambdaric's error document for a handled error names the invocation: a result
    # that merely looks like one (without this request id) stays a result.
    if is_error and document.get("requestId") == request_id and "stackTrace" in document:
        return Outcome("function_error", body, str(document["errorType"]))
    return Outcome("result", body)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EnvironmentGone(Exception):
    """The RIE process is not answering (exited, or never came up)."""


class ExecutionEnvironment:
    """One aws-lambda-rie process (and the runtime it supervises) on two ports of its own."""

    def __init__(self, rie: Path, spec: FunctionSpec, code_dir: Path, env: dict[str, str], router: LogRouter) -> None:
        self.spec = spec
        self.router = router
        self.port = free_port()
        self.runtime_api_port = free_port()
        self.invocations = 0
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
                spec.handler,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one pipe keeps RIE's INIT REPORT before its REPORT
            env=env,
            cwd=code_dir,
        )
        assert self.process.stdout is not None
        self._pump = threading.Thread(target=router.pump, args=(self.process.stdout,), daemon=True)
        self._pump.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_listening(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EnvironmentGone(f"{RIE_NAME} exited with {self.process.returncode} at start")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return
            time.sleep(0.02)
        raise EnvironmentGone(f"{RIE_NAME} did not listen on 127.0.0.1:{self.port} within {timeout:.0f}s")

    def invoke(self, payload: bytes, request_id: str) -> Outcome:
        """One invocation; RIE enforces the function's timeout itself (a little slack on top here)."""
        self.invocations += 1
        limit = self.spec.timeout + INIT_LIMIT_SECONDS + 5
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=limit)
        try:
            connection.request(
                "POST",
                INVOKE_PATH,
                body=payload,
                headers={"Content-Type": "application/json", "X-Amzn-RequestId": request_id},
            )
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise EnvironmentGone(f"{RIE_NAME} gave no answer: {type(exc).__name__}: {exc}") from exc
        finally:
            connection.close()
        return classify(response.status, body, request_id, self.spec.timeout)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM: RIE shuts its runtime down (it runs in a process group of its own); then SIGKILL."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._pump.join(timeout=2)


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
