"""Function URL responses: JSON bodies with ``content-type: application/json``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

JSON_HEADERS = {"content-type": "application/json"}


def json_response(status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {**JSON_HEADERS, **(headers or {})},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``{"error": {"code": ..., "message": ...}}``; callers pass our own words only."""
    return json_response(status, {"error": {"code": code, "message": message}}, headers)


def event_response(status_text: str, transaction_id: str, event_id: str) -> dict[str, Any]:
    """200 ``{"status": "accepted"|"duplicate", "transactionId": ..., "eventId": ...}``."""
    return json_response(200, {"status": status_text, "transactionId": transaction_id, "eventId": event_id})


def text_response(status: int, text: str) -> dict[str, Any]:
    """A plain-text body (Adyen's ``[accepted]`` acknowledgement is not JSON)."""
    return {
        "statusCode": status,
        "headers": {"content-type": "text/plain; charset=utf-8"},
        "body": text,
        "isBase64Encoded": False,
    }
