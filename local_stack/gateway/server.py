"""The local Function URL's HTTP server: limits, throttling, invocation, 502s."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local_stack.gateway.event import build_event, http_response_from_result
from local_stack.runtime.invocation import Outcome
from local_stack.runtime.logs import LogRouter
from local_stack.runtime.pool import EnvironmentPool
from local_stack.runtime.rie import EnvironmentGone, ExecutionEnvironment
from local_stack.runtime.spec import FunctionSpec

DEFAULT_MAX_WORKERS = 32  # a 2-core machine gains nothing from more live runtimes
PAYLOAD_LIMIT = 6 * 1024 * 1024  # Function URL (BUFFERED) request and response limit

# (status, headers, set-cookies, body, note for the access log)
Answer = tuple[int, dict[str, str], list[str], bytes, str]


def log(message: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    print(f"{stamp} {message}", flush=True)


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
