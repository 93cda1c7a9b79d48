"""Smithy RPC v2 CBOR -> AWS JSON 1.0 translation in front of moto, for Terraform only.

Why: hashicorp/aws (aws-sdk-go-v2) talks to CloudWatch in the smithy-rpc-v2-cbor
protocol (`POST /service/GraniteServiceVersion20100801/operation/PutMetricAlarm`,
CBOR bodies, `smithy-protocol: rpc-v2-cbor`). moto 5.2.5 does not speak it (404),
but it does speak the service's AWS JSON 1.0 protocol, which boto3 uses. So while
Terraform runs, stack.py serves this shim on 127.0.0.1 and points Terraform's
CloudWatch endpoint at it (AWS_ENDPOINT_URL_CLOUDWATCH); the shim re-sends each
call to moto as JSON (`X-Amz-Target: <prefix>.<operation>`) and converts the
answer back to CBOR, using botocore's model of the service for the shapes
(timestamps become CBOR tag 1, blobs byte strings, doubles floats). Everything
else keeps going to moto directly. The root module is not touched.

Standard library plus botocore (for the service model). The CBOR codec covers
what the protocol uses: integers, floats, byte and text strings (definite and
indefinite), arrays, maps, tag 1 timestamps, booleans and null.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import struct
import threading
import urllib.error
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# --------------------------------------------------------------------------- CBOR


class Tagged:
    """A CBOR tagged value (tag 1 = epoch-seconds timestamp)."""

    def __init__(self, tag: int, value: Any) -> None:
        self.tag = tag
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tagged) and (self.tag, self.value) == (other.tag, other.value)

    def __repr__(self) -> str:
        return f"Tagged({self.tag}, {self.value!r})"


_BREAK = object()


def _head(major: int, argument: int) -> bytes:
    if argument < 24:
        return bytes([major << 5 | argument])
    for info, fmt, limit in ((24, ">B", 0xFF), (25, ">H", 0xFFFF), (26, ">I", 0xFFFFFFFF), (27, ">Q", 2**64 - 1)):
        if argument <= limit:
            return bytes([major << 5 | info]) + struct.pack(fmt, argument)
    raise ValueError("integer too large for CBOR")


def dumps(value: Any) -> bytes:
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, str):
        data = value.encode()
        return _head(3, len(data)) + data
    if isinstance(value, bytes | bytearray):
        return _head(2, len(value)) + bytes(value)
    if isinstance(value, list | tuple):
        return _head(4, len(value)) + b"".join(dumps(item) for item in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(dumps(k) + dumps(v) for k, v in value.items())
    if isinstance(value, Tagged):
        return _head(6, value.tag) + dumps(value.value)
    raise TypeError(f"cannot encode {type(value).__name__} as CBOR")


def loads(data: bytes) -> Any:
    if not data:
        return None
    value, end = _decode(data, 0)
    if end != len(data):
        raise ValueError("trailing bytes after the CBOR value")
    return value


def _argument(data: bytes, pos: int, info: int) -> tuple[int | None, int]:
    if info < 24:
        return info, pos
    sizes = {24: 1, 25: 2, 26: 4, 27: 8}
    if info in sizes:
        size = sizes[info]
        return int.from_bytes(data[pos : pos + size], "big"), pos + size
    if info == 31:
        return None, pos  # indefinite length
    raise ValueError(f"reserved CBOR additional information {info}")


def _decode(data: bytes, pos: int) -> tuple[Any, int]:
    initial = data[pos]
    pos += 1
    major, info = initial >> 5, initial & 0x1F
    if major == 7:
        simple = {20: False, 21: True, 22: None, 23: None}
        if info in simple:
            return simple[info], pos
        formats = {25: (">e", 2), 26: (">f", 4), 27: (">d", 8)}
        if info in formats:
            fmt, size = formats[info]
            return struct.unpack(fmt, data[pos : pos + size])[0], pos + size
        if info == 31:
            return _BREAK, pos
        raise ValueError(f"unsupported CBOR simple value {info}")
    argument, pos = _argument(data, pos, info)
    if major == 0:
        return argument, pos
    if major == 1:
        return -1 - argument, pos
    if major in (2, 3):
        if argument is None:  # indefinite: definite-length chunks until break
            chunks = []
            while True:
                chunk, pos = _decode(data, pos)
                if chunk is _BREAK:
                    break
                chunks.append(chunk)
            return (b"" if major == 2 else "").join(chunks), pos
        raw = data[pos : pos + argument]
        return (bytes(raw) if major == 2 else raw.decode()), pos + argument
    if major == 4:
        items = []
        while argument is None or len(items) < argument:
            item, pos = _decode(data, pos)
            if item is _BREAK:
                break
            items.append(item)
        return items, pos
    if major == 5:
        result: dict = {}
        while argument is None or len(result) < argument:
            key, pos = _decode(data, pos)
            if key is _BREAK:
                break
            result[key], pos = _decode(data, pos)
        return result, pos
    if major == 6:
        inner, pos = _decode(data, pos)
        return Tagged(argument, inner), pos
    raise ValueError(f"unsupported CBOR major type {major}")


# --------------------------------------------------------------------------- conversion


def cbor_to_json(value: Any) -> Any:
    """A decoded request to JSON values: timestamps as epoch seconds, blobs base64."""
    if isinstance(value, Tagged):
        return cbor_to_json(value.value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, list):
        return [cbor_to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: cbor_to_json(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def json_to_cbor(shape: Any, value: Any) -> Any:
    """A JSON answer to CBOR values following the botocore shape (None: keep as is)."""
    if value is None or shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {k: json_to_cbor(shape.members.get(k), v) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [json_to_cbor(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: json_to_cbor(shape.value, v) for k, v in value.items()}
    if kind == "timestamp":
        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        return Tagged(1, float(value))
    if kind == "blob" and isinstance(value, str):
        return base64.b64decode(value)
    if kind in ("integer", "long") and isinstance(value, int | float | str):
        return int(value)
    if kind in ("float", "double") and isinstance(value, int | float | str):
        return float(value)
    return value


# --------------------------------------------------------------------------- server


class CborShim:
    """Serve `service` in rpc-v2-cbor on 127.0.0.1, forwarding as JSON to `target` (moto)."""

    def __init__(
        self, target: str, service: str = "cloudwatch", credentials: Any = None, region: str = "us-east-1"
    ) -> None:
        """``credentials`` (botocore Credentials): re-sign each forwarded call with them.

        Needed when moto enforces IAM: the caller's SigV4 signature covers the CBOR
        request sent here, not the JSON one moto receives, so moto would refuse it.
        The shim serves only the Terraform run of `up`, which holds those credentials.
        """
        import botocore.session

        self.target = target.rstrip("/")
        self.credentials = credentials
        self.region = region
        self.model = botocore.session.get_session().get_service_model(service)
        self.target_prefix = self.model.metadata["targetPrefix"]
        self.json_version = self.model.metadata.get("jsonVersion", "1.0")
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> CborShim:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def translate(self, operation: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """One call: (status, headers, CBOR body) for the CBOR request `body`."""
        operation_model = self.model.operation_model(operation)
        request = cbor_to_json(loads(body) or {})
        forward = {
            "Content-Type": f"application/x-amz-json-{self.json_version}",
            "X-Amz-Target": f"{self.target_prefix}.{operation}",
            "x-amzn-query-mode": "true",
        }
        data = json.dumps(request).encode()
        if self.credentials is not None:
            forward.update(self._signed(data, forward))
        else:
            for name in ("authorization", "x-amz-date", "x-amz-security-token"):
                if name in headers:
                    forward[name] = headers[name]
        if "amz-sdk-invocation-id" in headers:
            forward["amz-sdk-invocation-id"] = headers["amz-sdk-invocation-id"]
        call = urllib.request.Request(self.target + "/", data=data, headers=forward)
        try:
            with urllib.request.urlopen(call, timeout=60) as response:
                status, answer, answer_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, answer, answer_headers = error.code, error.read(), error.headers
        parsed = json.loads(answer) if answer.strip() else {}
        if status >= 300:
            error_type = str(parsed.get("__type", "InternalFailure")).rsplit("#", 1)[-1]
            message = parsed.get("message") or parsed.get("Message") or ""
            out_body = dumps({"__type": error_type, "message": message})
        else:
            out_body = dumps(json_to_cbor(operation_model.output_shape, parsed))
        out_headers = {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"}
        for name in ("x-amzn-requestid", "x-amzn-query-error"):
            if answer_headers.get(name):
                out_headers[name] = answer_headers[name]
        return status, out_headers, out_body

    def _signed(self, data: bytes, headers: dict[str, str]) -> dict[str, str]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        request = AWSRequest(method="POST", url=self.target + "/", data=data, headers=dict(headers))
        SigV4Auth(self.credentials, self.model.signing_name, self.region).add_auth(request)
        return {name: value for name, value in request.headers.items() if name.lower() != "content-type"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        shim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path.split("?", 1)[0].strip("/").split("/")
                if len(parts) != 4 or parts[0] != "service" or parts[2] != "operation":
                    self._reply(404, {"smithy-protocol": "rpc-v2-cbor"}, dumps({"__type": "UnknownOperation"}))
                    return
                try:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    status, out_headers, out_body = shim.translate(parts[3], body, headers)
                except Exception as exc:  # report, don't hang Terraform
                    message = f"local CBOR shim: {type(exc).__name__}: {exc}"
                    status, out_headers = 500, {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"}
                    out_body = dumps({"__type": "InternalFailure", "message": message})
                self._reply(status, out_headers, out_body)

            def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(body)

        return Handler
