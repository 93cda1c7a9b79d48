#!/usr/bin/env python3
"""Local Lambda Function URL: an HTTP server on 127.0.0.1 that runs a function
deployed to the emulator (moto) the way a real Function URL runs it on Lambda.

At start it reads the function back from the emulator (GetFunctionConfiguration,
GetFunctionConcurrency): handler, environment variables, timeout, memory,
reserved concurrency and the code's SHA-256. It refuses to start unless the zip
it was given (the one Terraform built and uploaded) has exactly that SHA-256, then
extracts it once. moto stores functions but is not used to invoke them.

Each HTTP request becomes a payload-format-2.0 event and is handed to a warm
worker process (lambda_worker.py) that imported the handler once, like a warm
Lambda execution environment:

* workers are started lazily, at most min(reserved concurrency, --max-workers);
  when every allowed worker is busy the request is throttled: 429;
* a handler exception, a non-serialisable result or an init failure: 502;
* a handler still running after the function timeout: its worker is killed
  (the next request gets a cold one) and the answer is 502;
* request bodies over 6 MB: 413; handler responses over 6 MB: 502.

Worker output (print, logging, tracebacks) and START/END/REPORT lines go to the
function log (--function-log), the local stand-in for CloudWatch Logs.

Usage (normally started by tools/local/stack.py, see tools/local/README.md):

    AWS_ENDPOINT_URL=http://127.0.0.1:PORT AWS_ACCESS_KEY_ID=testing \\
    AWS_SECRET_ACCESS_KEY=testing python tools/local/gateway.py \\
        --function-name payment-webhook-dev --zip build/stack/build/lambda-dev.zip

Standard library plus boto3 (only to read the configuration back).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

HERE = Path(__file__).resolve().parent
WORKER_SCRIPT = HERE / "lambda_worker.py"

DEFAULT_MAX_WORKERS = 32  # a 2-core machine gains nothing from more live interpreters
PAYLOAD_LIMIT = 6 * 1024 * 1024  # Function URL (BUFFERED) request and response limit
INIT_LIMIT_SECONDS = 10.0  # Lambda's init phase limit for on-demand functions

# Request content types whose body Lambda passes as text; any other body
# (including one without a content type) arrives base64-encoded.
_TEXT_TYPES = (
    "application/json",
    "application/javascript",
    "application/xml",
    "application/x-yaml",
    "application/yaml",
)
_FRAME = struct.Struct(">I")


def log(message: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    print(f"{stamp} {message}", flush=True)


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class FunctionSpec:
    """What the gateway needs of the deployed function, read back from the emulator."""

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
    tracing_mode: str = "PassThrough"
    architectures: tuple[str, ...] = field(default_factory=tuple)

    def fingerprint(self) -> str:
        """Changes whenever anything the gateway uses changes (code included)."""
        data = json.dumps(asdict(self), sort_keys=True, default=list).encode()
        return hashlib.sha256(data).hexdigest()[:16]


def read_function_spec(lambda_client, function_name: str) -> FunctionSpec:
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
        tracing_mode=(config.get("TracingConfig") or {}).get("Mode", "PassThrough"),
        architectures=tuple(config.get("Architectures") or ()),
    )


def zip_sha256(path: Path) -> str:
    """Lambda's CodeSha256: base64 of the SHA-256 of the zip file's bytes."""
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def extract_code(zip_path: Path, code_root: Path, sha256_b64: str) -> Path:
    """Extract the zip once per code version into code_root/<hash> (read-only by convention)."""
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


def worker_environment(spec: FunctionSpec, code_dir: Path, aws: dict[str, str]) -> dict[str, str]:
    """The environment of a Lambda execution environment, pointed at the emulator.

    Nothing of the gateway's own environment leaks in except PATH: the function
    sees its configured variables plus what the Lambda service sets.
    """
    region = aws["AWS_REGION"]
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
            "LAMBDA_RUNTIME_DIR": str(HERE),
            "_HANDLER": spec.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "_LOCAL_FUNCTION_ARN": spec.arn,
            # Lambda sets both region variables; boto3 reads AWS_DEFAULT_REGION.
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            # Instead of the execution role's temporary credentials: the emulator's fake ones.
            "AWS_ACCESS_KEY_ID": aws["AWS_ACCESS_KEY_ID"],
            "AWS_SECRET_ACCESS_KEY": aws["AWS_SECRET_ACCESS_KEY"],
            "AWS_SESSION_TOKEN": aws.get("AWS_SESSION_TOKEN", "testing"),
            "AWS_ENDPOINT_URL": aws["AWS_ENDPOINT_URL"],
            # Never read a developer's ~/.aws: only the emulator is reachable.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    return env


# --------------------------------------------------------------------------- workers


class WorkerFailure(Exception):
    """The invocation failed; `kind` names how (becomes the 502 reason)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


class Worker:
    """One execution environment: a lambda_worker.py process and its pipes."""

    def __init__(self, spec: FunctionSpec, code_dir: Path, env: dict[str, str], log_file) -> None:
        self.spec = spec
        # Same process group as the gateway (no new session), so stopping the
        # gateway's group also stops every worker it started.
        self.process = subprocess.Popen(
            [sys.executable, "-B", "-s", str(WORKER_SCRIPT), str(code_dir), spec.handler],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            env=env,
            cwd=code_dir,
            bufsize=0,
        )
        self.pid = self.process.pid
        self.invocations = 0
        self.init_ms: float | None = None
        self._buffer = bytearray()

    def wait_ready(self, timeout: float) -> None:
        message = self._receive(time.monotonic() + timeout, "init")
        if message.get("type") != "ready":
            raise WorkerFailure(message.get("errorType", "Runtime.InitError"), message.get("errorMessage", ""))
        self.init_ms = float(message.get("initMs", 0.0))

    def invoke(self, frame: dict, timeout: float) -> dict:
        self.invocations += 1
        deadline = time.monotonic() + timeout
        data = json.dumps(frame, separators=(",", ":")).encode()
        try:
            view = memoryview(_FRAME.pack(len(data)) + data)
            while view:  # a raw pipe write may be partial
                view = view[self.process.stdin.write(view) :]
        except (BrokenPipeError, OSError) as exc:
            raise WorkerFailure("Runtime.ExitError", f"worker gone: {exc}") from exc
        return self._receive(deadline, "invoke")

    def _read_some(self, deadline: float, phase: str) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WorkerFailure("Sandbox.Timedout" if phase == "invoke" else "Runtime.InitTimeout")
        ready, _, _ = select.select([self.process.stdout], [], [], remaining)
        if not ready:
            raise WorkerFailure("Sandbox.Timedout" if phase == "invoke" else "Runtime.InitTimeout")
        chunk = os.read(self.process.stdout.fileno(), 1 << 20)
        if not chunk:
            raise WorkerFailure("Runtime.ExitError", f"worker exited with {self.process.wait()}")
        self._buffer += chunk

    def _receive(self, deadline: float, phase: str) -> dict:
        while len(self._buffer) < _FRAME.size:
            self._read_some(deadline, phase)
        size = _FRAME.unpack(self._buffer[: _FRAME.size])[0]
        while len(self._buffer) < _FRAME.size + size:
            self._read_some(deadline, phase)
        body = bytes(self._buffer[_FRAME.size : _FRAME.size + size])
        del self._buffer[: _FRAME.size + size]
        return json.loads(body)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                stream.close()


class WorkerPool:
    """Warm workers, at most `capacity` at a time (reserved concurrency, capped)."""

    def __init__(self, spec: FunctionSpec, code_dir: Path, env: dict[str, str], capacity: int, log_file) -> None:
        self.spec = spec
        self.code_dir = code_dir
        self.env = env
        self.capacity = capacity
        self.log_file = log_file
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()  # every live worker, busy or idle, for close()
        self._active = 0  # slots handed out: busy or starting workers
        self._lock = threading.Lock()
        self._closed = False
        self.stats = {"cold_starts": 0, "throttles": 0, "timeouts": 0, "errors": 0, "invocations": 0}

    def acquire(self) -> tuple[Worker | None, bool]:
        """(worker, cold) or (None, False) when throttled. A cold worker is started here."""
        with self._lock:
            if self._closed or self._active >= self.capacity:
                self.stats["throttles"] += 1
                return None, False
            self._active += 1
            self.stats["invocations"] += 1
            while self._idle:
                worker = self._idle.pop()  # most recently used first, like Lambda
                if worker.alive():
                    return worker, False
                self._all.discard(worker)
                worker.kill()
            self.stats["cold_starts"] += 1
        try:
            worker = Worker(self.spec, self.code_dir, self.env, self.log_file)
        except BaseException:
            self.release(None, reusable=False)
            raise
        with self._lock:
            self._all.add(worker)
        return worker, True

    def release(self, worker: Worker | None, reusable: bool) -> None:
        with self._lock:
            self._active -= 1
            if worker is not None and reusable and not self._closed and worker.alive():
                self._idle.append(worker)
                return
            self._all.discard(worker)
        if worker is not None:
            worker.kill()

    def count(self, key: str) -> None:
        with self._lock:
            self.stats[key] += 1

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._idle = list(self._all), []
            self._all.clear()
        for worker in workers:
            worker.kill()

    def snapshot(self) -> dict:
        with self._lock:
            return {"idle": len(self._idle), "active": self._active, "capacity": self.capacity, **self.stats}


# --------------------------------------------------------------------------- HTTP


def is_text_content_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    if not media:
        return False
    if media.startswith("text/") or media in _TEXT_TYPES:
        return True
    return media.endswith("+json") or media.endswith("+xml")


def build_event(
    method: str,
    target: str,
    header_pairs: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    request_id: str,
    url_id: str,
    account_id: str,
    now: float | None = None,
) -> dict:
    """A Lambda Function URL event (payload format 2.0) for one HTTP request."""
    now = time.time() if now is None else now
    raw_path, _, raw_query = target.partition("?")
    raw_path = raw_path or "/"
    headers: dict[str, str] = {}
    for name, value in header_pairs:
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    event: dict = {"version": "2.0", "routeKey": "$default", "rawPath": raw_path, "rawQueryString": raw_query}
    cookie_header = headers.pop("cookie", None)
    if cookie_header:
        event["cookies"] = [c.strip() for c in cookie_header.replace(",", ";").split(";") if c.strip()]
    event["headers"] = headers
    if raw_query:
        params: dict[str, str] = {}
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            params[key] = f"{params[key]},{value}" if key in params else value
        event["queryStringParameters"] = params
    event["requestContext"] = {
        "accountId": account_id,
        "apiId": url_id,
        "domainName": headers.get("host", f"{url_id}.lambda-url.local"),
        "domainPrefix": url_id,
        "http": {
            "method": method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": "$default",
        "stage": "$default",
        "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now * 1000),
    }
    if body:
        text = None
        if is_text_content_type(headers.get("content-type", "")):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None  # not valid text after all: pass the bytes untouched
        if text is None:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
        else:
            event["body"] = text
            event["isBase64Encoded"] = False
    else:
        event["isBase64Encoded"] = False
    return event


def http_response_from_result(payload: str) -> tuple[int, dict[str, str], list[str], bytes]:
    """Map the function's return value to (status, headers, set-cookies, body) like a Function URL."""
    result = json.loads(payload)
    if not (isinstance(result, dict) and "statusCode" in result):
        # No statusCode: Lambda answers 200 with the returned JSON as the body.
        return 200, {"content-type": "application/json"}, [], payload.encode()
    status = int(result["statusCode"])
    if not 100 <= status <= 599:
        raise ValueError(f"statusCode {status} out of range")
    headers = {str(k).lower(): str(v) for k, v in (result.get("headers") or {}).items()}
    headers.setdefault("content-type", "application/json")
    body = result.get("body", "")
    if body is None:
        body = ""
    if not isinstance(body, str):
        body = json.dumps(body)
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    cookies = [str(c) for c in (result.get("cookies") or [])]
    return status, headers, cookies, raw


class FunctionUrlServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, address, pool: WorkerPool, spec: FunctionSpec, function_log, url_id: str) -> None:
        super().__init__(address, FunctionUrlHandler)
        self.pool = pool
        self.spec = spec
        self.function_log = function_log
        self.function_log_lock = threading.Lock()
        self.url_id = url_id
        self.account_id = spec.arn.split(":")[4] if spec.arn.count(":") >= 5 else "123456789012"

    def platform_log(self, line: str) -> None:
        """Lines the Lambda platform itself writes (START/END/REPORT, timeouts)."""
        with self.function_log_lock:
            self.function_log.write(line + "\n")
            self.function_log.flush()


class FunctionUrlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LocalFunctionUrl/1"
    timeout = 120  # seconds an idle keep-alive connection may hold a thread
    # Headers and body go out in two sends; without TCP_NODELAY, Nagle plus the
    # client's delayed ACK stall every response by ~40 ms.
    disable_nagle_algorithm = True
    server: FunctionUrlServer

    def log_message(self, format: str, *args) -> None:
        pass  # one access-log line per request is written by _handle instead

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # ---------------------------------------------------------------- helpers

    def _read_body(self) -> bytes | None:
        """The request body, or None (after answering 413) when it is too large."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > PAYLOAD_LIMIT:
                    self._too_large()
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > PAYLOAD_LIMIT:
            self._too_large()
            return None
        return self.rfile.read(length) if length else b""

    def _too_large(self) -> None:
        self.close_connection = True
        self._send(
            413,
            {"content-type": "application/json"},
            [],
            b'{"Message":"Request must be smaller than 6291456 bytes"}',
            "",
        )

    def _send(self, status: int, headers: dict[str, str], cookies: list[str], body: bytes, request_id: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                self.send_header(name, value)
        for cookie in cookies:
            self.send_header("set-cookie", cookie)
        if request_id:
            self.send_header("x-amzn-requestid", request_id)
        self.send_header("content-length", str(len(body)))
        if self.close_connection:
            self.send_header("connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str, reason: str, request_id: str) -> None:
        body = json.dumps({"Message": message}).encode()
        # x-local-lambda-error exists only here, to make the function log easy to find.
        self._send(status, {"content-type": "application/json", "x-local-lambda-error": reason}, [], body, request_id)

    # ---------------------------------------------------------------- request

    def _handle(self) -> None:
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        status, note = 500, ""
        try:
            body = self._read_body()
            if body is None:
                status, note = 413, "request too large"
                return
            status, note = self._invoke(body, request_id)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
            status, note = 499, "client went away"
        finally:
            log(
                f"{self.client_address[0]} {self.command} {self.path} -> {status} "
                f"{(time.monotonic() - started) * 1000:.1f}ms {request_id} {note}".rstrip()
            )

    def _invoke(self, body: bytes, request_id: str) -> tuple[int, str]:
        server = self.server
        spec = server.spec
        sampled = "1" if spec.tracing_mode == "Active" else "0"
        trace_id = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled={sampled}"
        event = build_event(
            self.command,
            self.path,
            [
                *self.headers.items(),
                ("x-amzn-trace-id", trace_id),
                ("x-forwarded-proto", "http"),
                ("x-forwarded-for", self.client_address[0]),
            ],
            body,
            self.client_address[0],
            request_id,
            server.url_id,
            server.account_id,
        )
        worker, cold = server.pool.acquire()
        if worker is None:
            self._error(429, "Too Many Requests", "Throttled", request_id)
            return 429, f"throttled: all {server.pool.capacity} concurrent executions busy"

        reusable = False
        try:
            reusable, answer = self._run(worker, cold, event, request_id, trace_id)
        finally:
            # The invocation is over: the worker is back in the pool (or killed) before the
            # caller hears anything, so a caller's next request sees the pool as it now is.
            server.pool.release(worker, reusable)
        status, headers, cookies, raw, note = answer
        self._send(status, headers, cookies, raw, request_id)
        return status, note

    def _run(self, worker: Worker, cold: bool, event: dict, request_id: str, trace_id: str) -> tuple[bool, tuple]:
        """Invoke; returns (worker reusable, (status, headers, cookies, body, log note))."""
        server = self.server
        spec = server.spec

        def failed(reason: str, note: str) -> tuple:
            body = json.dumps({"Message": "Internal Server Error"}).encode()
            # x-local-lambda-error exists only here, to make the function log easy to search.
            return 502, {"content-type": "application/json", "x-local-lambda-error": reason}, [], body, note[:300]

        phase = "init"
        try:
            if cold:
                worker.wait_ready(INIT_LIMIT_SECONDS + spec.timeout)
            phase = "invoke"
            deadline_ms = int(time.time() * 1000) + spec.timeout * 1000
            server.platform_log(f"START RequestId: {request_id} Version: $LATEST")
            invoke_started = time.monotonic()
            reply = worker.invoke(
                {"event": event, "requestId": request_id, "traceId": trace_id, "deadlineMs": deadline_ms},
                spec.timeout,
            )
        except WorkerFailure as failure:
            worker.kill()  # a timed-out or broken environment is discarded, as on Lambda
            if failure.kind == "Sandbox.Timedout":
                server.pool.count("timeouts")
                server.platform_log(
                    f"{datetime.now(UTC).isoformat()} {request_id} Task timed out after {spec.timeout:.2f} seconds"
                )
                server.platform_log(f"END RequestId: {request_id}")
            else:
                server.pool.count("errors")
                server.platform_log(f"{phase} failed for RequestId: {request_id}: {failure}")
            return False, failed(failure.kind, f"{phase} failed: {failure}")

        duration = (time.monotonic() - invoke_started) * 1000
        init = f"\tInit Duration: {worker.init_ms:.2f} ms" if cold and worker.init_ms is not None else ""
        server.platform_log(f"END RequestId: {request_id}")
        server.platform_log(
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms"
            f"\tBilled Duration: {max(1, round(duration + 0.5))} ms"
            f"\tMemory Size: {spec.memory_mb} MB\tMax Memory Used: {reply.get('maxRssMb', 0)} MB{init}"
        )
        if reply.get("type") != "result":
            server.pool.count("errors")
            error_type = reply.get("errorType", "Unhandled")
            if error_type == "Runtime.ExitError":  # the runtime process ended: discard it now
                worker.kill()
            note = f"function error {error_type}: {reply.get('errorMessage', '')}"
            return error_type != "Runtime.ExitError", failed(error_type, note)
        if len(reply["payload"]) > PAYLOAD_LIMIT:
            return True, failed("ResponseSizeTooLarge", "response larger than 6 MB")
        try:
            status, headers, cookies, raw = http_response_from_result(reply["payload"])
        except (ValueError, TypeError, KeyError) as exc:
            return True, failed("InvalidResponse", f"invalid function response: {exc}")
        return True, (status, headers, cookies, raw, "cold start" if cold else f"warm (pid {worker.pid})")


# --------------------------------------------------------------------------- main


def aws_settings(args: argparse.Namespace) -> dict[str, str]:
    endpoint = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        raise SystemExit("gateway: --endpoint-url or AWS_ENDPOINT_URL is required (the emulator, never real AWS)")
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": region,
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        "AWS_SESSION_TOKEN": os.environ.get("AWS_SESSION_TOKEN", "testing"),
    }


def write_ready_file(path: Path, info: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(info, indent=2) + "\n")
    tmp.replace(path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Serve a function deployed to the local emulator through a local Lambda Function URL.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--function-name", required=True, help="function to serve (as deployed to the emulator)")
    parser.add_argument("--zip", required=True, type=Path, help="the deployment package Terraform built and uploaded")
    parser.add_argument("--endpoint-url", help="emulator endpoint (default: $AWS_ENDPOINT_URL)")
    parser.add_argument("--region", help="region (default: $AWS_REGION or us-east-1)")
    parser.add_argument(
        "--host", default="127.0.0.1", help="bind address; only loopback is allowed (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    parser.add_argument(
        "--max-workers",
        type=int,
        default=DEFAULT_MAX_WORKERS,
        help=f"cap on warm workers (default {DEFAULT_MAX_WORKERS})",
    )
    parser.add_argument("--code-dir", type=Path, default=Path("build/gateway/code"), help="where the zip is extracted")
    parser.add_argument(
        "--function-log",
        type=Path,
        default=Path("build/logs/function.log"),
        help="the function's log (CloudWatch stand-in)",
    )
    parser.add_argument(
        "--ready-file", type=Path, help="written (JSON: url, pid, ...) once the server accepts requests"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        raise SystemExit(f"gateway: refusing to bind {args.host}: loopback only")
    aws = aws_settings(args)

    import boto3  # only the gateway needs it; workers import what the function imports

    lambda_client = boto3.client(
        "lambda",
        endpoint_url=aws["AWS_ENDPOINT_URL"],
        region_name=aws["AWS_REGION"],
        aws_access_key_id=aws["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=aws["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=aws["AWS_SESSION_TOKEN"],
    )
    spec = read_function_spec(lambda_client, args.function_name)
    actual = zip_sha256(args.zip)
    if actual != spec.code_sha256:
        raise SystemExit(
            f"gateway: {args.zip} (sha256 {actual}) is not the code deployed as {spec.name} "
            f"(CodeSha256 {spec.code_sha256}); re-run the deployment"
        )
    code_dir = extract_code(args.zip, args.code_dir.resolve(), spec.code_sha256)
    local_python = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if spec.runtime and spec.runtime != local_python:
        log(f"note: function runtime is {spec.runtime}; workers run the local {local_python}")

    reserved = spec.reserved_concurrency
    capacity = args.max_workers if reserved is None else min(reserved, args.max_workers)
    args.function_log.parent.mkdir(parents=True, exist_ok=True)
    function_log = args.function_log.open("a", buffering=1)
    env = worker_environment(spec, code_dir, aws)
    pool = WorkerPool(spec, code_dir, env, capacity, function_log)

    url_id = hashlib.sha256(spec.arn.encode()).hexdigest()[:32]
    server = FunctionUrlServer((args.host, args.port), pool, spec, function_log, url_id)
    host, port = server.server_address[:2]
    url = f"http://{host}:{port}/"

    def stop(signum, _frame) -> None:
        log(f"signal {signum}: shutting down")
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    info = {
        "url": url,
        "port": port,
        "pid": os.getpid(),
        "function_name": spec.name,
        "handler": spec.handler,
        "timeout_seconds": spec.timeout,
        "reserved_concurrency": reserved,
        "max_workers": capacity,
        "code_sha256": spec.code_sha256,
        "code_dir": str(code_dir),
        "fingerprint": spec.fingerprint(),
    }
    log(
        f"serving {spec.name} ({spec.handler}, timeout {spec.timeout}s, reserved concurrency {reserved}, "
        f"workers <= {capacity}) from {args.zip} at {url}"
    )
    if args.ready_file:
        write_ready_file(args.ready_file, info)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        pool.close()
        log(f"stopped; {json.dumps(pool.snapshot())}")
        function_log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
