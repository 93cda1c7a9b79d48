"""HTTP request <-> Lambda Function URL event and result (payload format 2.0), as the service maps them."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

# Request content types whose body Lambda passes as text; any other body
# (including one without a content type) arrives base64-encoded.
_TEXT_TYPES = (
    "application/json",
    "application/javascript",
    "application/xml",
    "application/x-yaml",
    "application/yaml",
)


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
