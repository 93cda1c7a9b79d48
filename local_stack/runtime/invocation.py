"""What RIE's answer to an invocation means: a result, a function error, a timeout or a platform error."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any


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
