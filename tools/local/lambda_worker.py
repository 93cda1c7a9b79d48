"""One warm "execution environment" of the local Function URL (see gateway.py).

The gateway starts this file as a separate Python process with exactly the
environment a Lambda execution environment would have (the function's
variables plus the AWS_* / LAMBDA_* ones the service sets), the extracted code
directory as working directory and first entry of sys.path. It then:

1. imports the handler module once (the init phase; a cold start),
2. answers invocations one at a time for as long as the gateway keeps it
   (warm starts): each request frame carries the event, the request id, the
   trace id and the deadline.

Protocol: frames of a 4-byte big-endian length followed by UTF-8 JSON, read
from the original stdin and written to the original stdout. The handler's own
stdout is redirected to stderr, which the gateway points at the function log
(the local stand-in for CloudWatch Logs), so a print() in the handler can never
corrupt the protocol.

Standard library only: this runs next to the function's code, like the Lambda
runtime interface client does.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import resource
import struct
import sys
import time
import traceback

_HEADER = struct.Struct(">I")


def _read_exact(stream, size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(stream) -> dict | None:
    header = _read_exact(stream, _HEADER.size)
    if header is None:
        return None
    body = _read_exact(stream, _HEADER.unpack(header)[0])
    if body is None:
        return None
    return json.loads(body)


def write_frame(stream, message: dict) -> None:
    data = json.dumps(message, separators=(",", ":")).encode()
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


class LambdaContext:
    """The attributes of the Python runtime's context object that handlers use."""

    def __init__(self, request_id: str, deadline_ms: int) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = os.environ.get("_LOCAL_FUNCTION_ARN", "")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


class _RequestIdFilter(logging.Filter):
    request_id = "-"

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _install_lambda_logging() -> _RequestIdFilter:
    """Mimic the runtime: a root handler writing `[LEVEL] time request-id message`."""
    request_filter = _RequestIdFilter()
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(request_filter)
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"
        )
    )
    logging.Formatter.converter = time.gmtime
    logging.getLogger().addHandler(handler)
    return request_filter


def _error(kind: str, exc: BaseException) -> dict:
    return {
        "type": kind,
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
    }


def main() -> int:
    code_dir, handler_name = sys.argv[1], sys.argv[2]

    # Keep the protocol channels private, then give the handler a harmless
    # stdin and send its stdout to the log, as in Lambda.
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    proto_out = os.fdopen(os.dup(1), "wb")  # buffered: write() + flush() sends everything
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)

    # /var/task equivalent: the code comes first, this tool's folder not at all.
    os.chdir(code_dir)
    sys.path[:] = [code_dir] + [
        p for p in sys.path[1:] if p and os.path.abspath(p) != os.path.dirname(os.path.abspath(__file__))
    ]
    request_filter = _install_lambda_logging()

    init_started = time.monotonic()
    try:
        module_name, _, function_name = handler_name.rpartition(".")
        if not module_name:
            raise ValueError(f"Bad handler '{handler_name}': expected <module>.<function>")
        module = importlib.import_module(module_name.replace("/", "."))
        function = getattr(module, function_name, None)
        if not callable(function):
            raise AttributeError(f"Handler '{function_name}' missing on module '{module_name}'")
    except BaseException as exc:  # the runtime reports any init failure, then the environment is discarded
        traceback.print_exc()
        kind = "Runtime.HandlerNotFound" if isinstance(exc, AttributeError) else "Runtime.ImportModuleError"
        if isinstance(exc, SyntaxError):
            kind = "Runtime.UserCodeSyntaxError"
        write_frame(proto_out, {**_error("init_error", exc), "errorType": kind})
        return 1
    write_frame(proto_out, {"type": "ready", "pid": os.getpid(), "initMs": (time.monotonic() - init_started) * 1000})

    while True:
        frame = read_frame(proto_in)
        if frame is None:  # the gateway went away or retired this environment
            return 0
        request_id = frame["requestId"]
        os.environ["_X_AMZN_TRACE_ID"] = frame.get("traceId", "")
        request_filter.request_id = request_id
        context = LambdaContext(request_id, frame["deadlineMs"])
        fatal = False
        try:
            result = function(frame["event"], context)
            try:
                payload = json.dumps(result)
            except (TypeError, ValueError) as exc:
                # The real runtime answers Runtime.MarshalError for this.
                print(f"[ERROR] Runtime.MarshalError: Unable to marshal response: {exc}", file=sys.stderr)
                reply = {"type": "error", "errorType": "Runtime.MarshalError", "errorMessage": str(exc)}
            else:
                reply = {"type": "result", "payload": payload}
        except Exception as exc:
            print(f"[ERROR] {type(exc).__name__}: {exc}", file=sys.stderr)
            traceback.print_exc()
            reply = _error("error", exc)
        except BaseException as exc:  # SystemExit & co.: the runtime process ends
            traceback.print_exc()
            reply = {**_error("error", exc), "errorType": "Runtime.ExitError"}
            fatal = True
        finally:
            request_filter.request_id = "-"
            sys.stdout.flush()
            sys.stderr.flush()
        reply["maxRssMb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        write_frame(proto_out, reply)
        if fatal:
            return 1


if __name__ == "__main__":
    sys.exit(main())
