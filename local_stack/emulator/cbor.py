"""Smithy RPC v2 CBOR -> AWS JSON 1.0 translation in front of moto, for Terraform only.

Why: hashicorp/aws (aws-sdk-go-v2) talks to CloudWatch in the smithy-rpc-v2-cbor
protocol (`POST /service/GraniteServiceVersion20100801/operation/PutMetricAlarm`,
CBOR bodies, `smithy-protocol: rpc-v2-cbor`). moto 5.2.5 does not speak it (404),
but it does speak the service's AWS JSON 1.0 protocol, which boto3 uses. So while
Terraform runs, local_stack.terraform serves this proxy on 127.0.0.1 and points Terraform's
CloudWatch endpoint at it (AWS_ENDPOINT_URL_CLOUDWATCH); the proxy re-sends each
call to moto as JSON (`X-Amz-Target: <prefix>.<operation>`) and converts the
answer back to CBOR, using botocore's model of the service for the shapes
(timestamps become CBOR tag 1, blobs byte strings, doubles floats). Everything
else keeps going to moto directly. The root module is not touched.

The CBOR codec is the cbor2 package; botocore supplies the service model.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import threading
import urllib.error
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import cbor2

# --------------------------------------------------------------------------- conversion


def cbor_to_json(value: Any) -> Any:
    """A decoded request to JSON values: timestamps as epoch seconds, blobs base64."""
    if isinstance(value, datetime):  # cbor2 decodes tag 1 (epoch seconds) to a datetime
        return value.timestamp()
    if isinstance(value, cbor2.CBORTag):
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
        return cbor2.CBORTag(1, float(value))
    if kind == "blob" and isinstance(value, str):
        return base64.b64decode(value)
    if kind in ("integer", "long") and isinstance(value, int | float | str):
        return int(value)
    if kind in ("float", "double") and isinstance(value, int | float | str):
        return float(value)
    return value


# --------------------------------------------------------------------------- server


class CborProxy:
    """Serve `service` in rpc-v2-cbor on 127.0.0.1, forwarding as JSON to `target` (moto)."""

    def __init__(
        self, target: str, service: str = "cloudwatch", credentials: Any = None, region: str = "us-east-1"
    ) -> None:
        """``credentials`` (botocore Credentials): re-sign each forwarded call with them.

        Needed when moto enforces IAM: the caller's SigV4 signature covers the CBOR
        request sent here, not the JSON one moto receives, so moto would refuse it.
        The proxy serves only the Terraform run of `up`, which holds those credentials.
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

    def __enter__(self) -> CborProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def translate(self, operation: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """One call: (status, headers, CBOR body) for the CBOR request `body`."""
        operation_model = self.model.operation_model(operation)
        request = cbor_to_json((cbor2.loads(body) if body else None) or {})
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
            out_body = cbor2.dumps({"__type": error_type, "message": message})
        else:
            out_body = cbor2.dumps(json_to_cbor(operation_model.output_shape, parsed))
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
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path.split("?", 1)[0].strip("/").split("/")
                if len(parts) != 4 or parts[0] != "service" or parts[2] != "operation":
                    self._reply(404, {"smithy-protocol": "rpc-v2-cbor"}, cbor2.dumps({"__type": "UnknownOperation"}))
                    return
                try:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    status, out_headers, out_body = proxy.translate(parts[3], body, headers)
                except Exception as exc:  # report, don't hang Terraform
                    message = f"local CBOR proxy: {type(exc).__name__}: {exc}"
                    status, out_headers = 500, {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"}
                    out_body = cbor2.dumps({"__type": "InternalFailure", "message": message})
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
