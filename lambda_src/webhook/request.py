"""Reading a Lambda Function URL event (payload format 2.0).

Only four things are taken from the event: ``rawPath``, the HTTP method, the
headers (keys lower-cased, so lookups are case-insensitive) and the raw body
bytes (base64-decoded when ``isBase64Encoded`` is true).  The size limit
applies to the decoded bytes.  A body that cannot be decoded (not base64, not
text) is ``None``: it cannot carry a valid signature, so the pipeline answers
401 at the signature step, not 400 before it (docs/behaviour.md, "Receiving a delivery": the order of the checks).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from webhook.errors import WebhookError

MAX_BODY_BYTES = 256 * 1024


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def path_of(event: object) -> str:
    """``rawPath``, or ``""`` when the event carries none."""
    path = _mapping(event).get("rawPath")
    return path if isinstance(path, str) else ""


def method_of(event: object) -> str:
    """The HTTP method, or ``""`` when the event carries none."""
    http = _mapping(_mapping(_mapping(event).get("requestContext")).get("http"))
    method = http.get("method")
    return method if isinstance(method, str) else ""


def headers_of(event: object) -> dict[str, str]:
    """Headers with lower-cased names.

    Should an event carry the same name twice in different cases, the values
    are joined with a comma, as Function URLs do for repeated headers.
    """
    headers: dict[str, str] = {}
    for name, value in _mapping(_mapping(event).get("headers")).items():
        if not isinstance(name, str) or not isinstance(value, str):
            continue
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    return headers


def body_of(event: object, limit: int = MAX_BODY_BYTES) -> bytes | None:
    """The raw body bytes; 413 above ``limit`` bytes; None if undecodable."""
    data = _mapping(event)
    body = data.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        return None
    if data.get("isBase64Encoded") is True:
        # 4 base64 characters carry 3 bytes: a longer text is surely too large.
        if len(body) > 4 * (limit // 3 + 1) + 4:
            raise _too_large(limit)
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return None
    else:
        if len(body) > limit:  # every character is at least one byte
            raise _too_large(limit)
        # surrogatepass: never crash here; such bytes fail UTF-8 decoding later (400).
        raw = body.encode("utf-8", "surrogatepass")
    if len(raw) > limit:
        raise _too_large(limit)
    return raw


def _too_large(limit: int) -> WebhookError:
    return WebhookError(413, "payload_too_large", f"request body exceeds {limit // 1024} KiB")
