"""The local Lambda Function URL: `python -m local_stack.gateway --function-name NAME --zip PATH`.

An HTTP server on 127.0.0.1 that does what a Function URL does, and only that:

* HTTP request <-> Lambda event and result in payload format 2.0;
* the concurrency limit: at most min(reserved concurrency, --max-workers) requests
  run at once, one per execution environment; beyond that the answer is 429 at once;
* 502 when the invocation fails: a function error, a timeout, a runtime that exits,
  an init failure, a result that is not a valid response;
* the 6 MB limits: a larger request (or event) is 413, a larger response 502.

The function itself runs on AWS's own runtime (runtime.py): each execution
environment is an aws-lambda-rie process running awslambdaric over the zip Terraform
built, with the function's environment, timeout and memory read back from the
emulator and the credentials of an sts:AssumeRole of its execution role (iam.py).

Normally started by local_stack.stack (`make up`); see local_stack/README.md.
Credentials for reading the function back come from the environment (the harness
user's when the emulator enforces IAM).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import signal
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl

from local_stack import iam
from local_stack.runtime import (
    EnvironmentGone,
    EnvironmentPool,
    ExecutionEnvironment,
    FunctionSpec,
    LogRouter,
    Outcome,
    extract_code,
    find_rie,
    lambda_environment,
    read_function_spec,
    zip_sha256,
)

DEFAULT_MAX_WORKERS = 32  # a 2-core machine gains nothing from more live runtimes
PAYLOAD_LIMIT = 6 * 1024 * 1024  # Function URL (BUFFERED) request and response limit

# Request content types whose body Lambda passes as text; any other body
# (including one without a content type) arrives base64-encoded.
_TEXT_TYPES = (
    "application/json",
    "application/javascript",
    "application/xml",
    "application/x-yaml",
    "application/yaml",
)


# (status, headers, set-cookies, body, note for the access log)
Answer = tuple[int, dict[str, str], list[str], bytes, str]


def log(message: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    print(f"{stamp} {message}", flush=True)


# --------------------------------------------------------------------------- HTTP <-> payload format 2.0


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
) -> dict[str, Any]:
    """A Lambda Function URL event (payload format 2.0) for one HTTP request."""
    now = time.time() if now is None else now
    raw_path, _, raw_query = target.partition("?")
    raw_path = raw_path or "/"
    headers: dict[str, str] = {}
    for name, value in header_pairs:
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    event: dict[str, Any] = {"version": "2.0", "routeKey": "$default", "rawPath": raw_path, "rawQueryString": raw_query}
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


# --------------------------------------------------------------------------- the server


class FunctionUrlServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], pool: EnvironmentPool, spec: FunctionSpec, platform: LogRouter, url_id: str
    ) -> None:
        super().__init__(address, FunctionUrlHandler)
        self.pool = pool
        self.spec = spec
        self.platform = platform
        self.url_id = url_id


class FunctionUrlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LocalFunctionUrl/2"
    timeout = 120  # seconds an idle keep-alive connection may hold a thread
    # Headers and body go out in two sends; without TCP_NODELAY, Nagle plus the
    # client's delayed ACK stall every response by ~40 ms.
    disable_nagle_algorithm = True
    server: FunctionUrlServer

    def log_message(self, format: str, *args: Any) -> None:
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
            spec.account_id,
        )
        payload = json.dumps(event, separators=(",", ":")).encode()
        if len(payload) > PAYLOAD_LIMIT:  # e.g. a 5 MB binary body, base64-encoded
            self._too_large()
            return 413, "event larger than 6 MB"
        environment = server.pool.acquire()
        if environment is None:
            self._error(429, "Too Many Requests", "Throttled", request_id)
            return 429, f"throttled: all {server.pool.capacity} concurrent executions busy"
        reusable = False
        try:
            reusable, answer = self._run(environment, payload, request_id)
        finally:
            # The invocation is over: the environment is back in the pool (or stopped)
            # before the caller hears anything, so its next request sees the pool as it is.
            server.pool.release(environment, reusable)
        status, headers, cookies, raw, note = answer
        self._send(status, headers, cookies, raw, request_id)
        return status, note

    def _run(self, environment: ExecutionEnvironment, payload: bytes, request_id: str) -> tuple[bool, Answer]:
        """Invoke; returns (environment reusable, (status, headers, cookies, body, log note))."""
        server = self.server
        cold = environment.invocations == 0

        def failed(reason: str, note: str) -> Answer:
            body = json.dumps({"Message": "Internal Server Error"}).encode()
            # x-local-lambda-error exists only here, to make the function log easy to search.
            return 502, {"content-type": "application/json", "x-local-lambda-error": reason}, [], body, note[:300]

        try:
            outcome: Outcome = environment.invoke(payload, request_id)
        except EnvironmentGone as gone:
            server.pool.count("errors")
            server.platform.platform(f"RequestId: {request_id} Error: {gone}")
            return False, failed("Runtime.Unavailable", str(gone))
        if outcome.kind == "timeout":
            server.pool.count("timeouts")
            stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            server.platform.platform(f"{stamp} {request_id} Task timed out after {server.spec.timeout:.2f} seconds")
            # RIE has killed the runtime; the environment re-initialises on its next invocation.
            return environment.alive(), failed("Sandbox.Timedout", "function timed out")
        if not outcome.ok:
            server.pool.count("errors")
            return environment.alive(), failed(outcome.error_type, f"{outcome.kind} {outcome.error_type}")
        if len(outcome.payload) > PAYLOAD_LIMIT:  # RIE's own limit is 100 bytes more
            server.pool.count("errors")
            return True, failed("Function.ResponseSizeTooLarge", "response larger than 6 MB")
        try:
            status, headers, cookies, raw = http_response_from_result(outcome.payload.decode())
        except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
            return True, failed("InvalidResponse", f"invalid function response: {exc}")
        return True, (status, headers, cookies, raw, "cold start" if cold else f"warm (pid {environment.pid})")


# --------------------------------------------------------------------------- main


def write_ready_file(path: Path, info: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(info, indent=2) + "\n")
    tmp.replace(path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local_stack.gateway",
        description="Serve a function deployed to the local emulator through a local Lambda Function URL.",
    )
    parser.add_argument("--function-name", required=True, help="function to serve (as deployed to the emulator)")
    parser.add_argument("--zip", required=True, type=Path, help="the deployment package Terraform built and uploaded")
    parser.add_argument("--endpoint-url", help="emulator endpoint (default: $AWS_ENDPOINT_URL)")
    parser.add_argument("--region", help="region (default: $AWS_REGION or us-east-1)")
    parser.add_argument("--host", default="127.0.0.1", help="bind address; only loopback is allowed")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    parser.add_argument(
        "--max-workers",
        type=int,
        default=DEFAULT_MAX_WORKERS,
        help=f"cap on execution environments (default {DEFAULT_MAX_WORKERS})",
    )
    parser.add_argument(
        "--iam-enforced",
        action="store_true",
        help="the emulator enforces IAM (local_stack.iam): assume the role in its one unauthenticated call",
    )
    parser.add_argument("--code-dir", type=Path, default=Path("build/gateway/code"), help="where the zip is extracted")
    parser.add_argument(
        "--function-log",
        type=Path,
        default=Path("build/logs/function.log"),
        help="the function's log (CloudWatch stand-in)",
    )
    parser.add_argument(
        "--runtime-log", type=Path, help="RIE's own (rapid) log lines (default: runtime.log next to --function-log)"
    )
    parser.add_argument(
        "--ready-file", type=Path, help="written (JSON: url, pid, ...) once the server accepts requests"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        raise SystemExit(f"gateway: refusing to bind {args.host}: loopback only")
    endpoint = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        raise SystemExit("gateway: --endpoint-url or AWS_ENDPOINT_URL is required (the emulator, never real AWS)")
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    try:
        rie = find_rie()
    except FileNotFoundError as exc:
        raise SystemExit(f"gateway: {exc}") from None

    import boto3  # only to read the configuration back and to assume the role

    caller = iam.Credentials.from_env(
        {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", **os.environ}
    )
    lambda_client = boto3.client("lambda", endpoint_url=endpoint, region_name=region, **caller.boto3())
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
        log(f"note: function runtime is {spec.runtime}; the environments run the local {local_python}")
    role = iam.assume_function_role(
        endpoint, region, spec.role_arn, spec.name, caller if args.iam_enforced else None, args.iam_enforced
    )
    env = lambda_environment(spec, code_dir, endpoint, role)

    reserved = spec.reserved_concurrency
    capacity = args.max_workers if reserved is None else min(reserved, args.max_workers)
    args.function_log.parent.mkdir(parents=True, exist_ok=True)
    function_log: IO[str] = args.function_log.open("a", buffering=1)
    runtime_log: IO[str] = (args.runtime_log or args.function_log.with_name("runtime.log")).open("a", buffering=1)
    log_lock = threading.Lock()
    platform = LogRouter(function_log, runtime_log, log_lock)
    pool = EnvironmentPool(
        capacity, lambda: ExecutionEnvironment(rie, spec, code_dir, env, LogRouter(function_log, runtime_log, log_lock))
    )

    url_id = hashlib.sha256(spec.arn.encode()).hexdigest()[:32]
    server = FunctionUrlServer((args.host, args.port), pool, spec, platform, url_id)
    host, port = str(server.server_address[0]), int(server.server_address[1])
    url = f"http://{host}:{port}/"

    def stop(signum: int, _frame: object) -> None:
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
        "memory_mb": spec.memory_mb,
        "reserved_concurrency": reserved,
        "max_workers": capacity,
        "code_sha256": spec.code_sha256,
        "code_dir": str(code_dir),
        "fingerprint": spec.fingerprint(),
        "runtime": f"{rie.name} + awslambdaric ({local_python})",
        "role_arn": spec.role_arn,
        "iam_enforced": args.iam_enforced,
    }
    log(
        f"serving {spec.name} ({spec.handler}, timeout {spec.timeout}s, reserved concurrency {reserved}, "
        f"environments <= {capacity}, {info['runtime']}, role {spec.role_arn.rsplit('/', 1)[-1]}) "
        f"from {args.zip} at {url}"
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
        runtime_log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
