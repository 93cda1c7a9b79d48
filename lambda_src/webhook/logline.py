"""One structured JSON log line per request.

Only fields chosen here are logged: request id, outcome, status code, error
code, transaction and event ids (once validated), latency and, for server
failures, a short detail such as an AWS error code.  Never the secret, the
signature header or the body.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any


def write_line(line: str) -> None:
    """Default sink: stdout, which Lambda ships to CloudWatch Logs."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def format_record(fields: Mapping[str, Any]) -> str:
    return json.dumps({k: v for k, v in fields.items() if v is not None}, separators=(",", ":"))
