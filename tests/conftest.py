"""Shared test setup: no bytecode in lambda_src, and signed-event helpers."""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAMBDA_SRC = ROOT / "lambda_src"
EVENTS_DIR = Path(__file__).resolve().parent / "events"
# No __pycache__ inside lambda_src: it is zipped as-is for the function.
# (lambda_src and the repository root are on sys.path through pyproject's pytest `pythonpath`.)
sys.dont_write_bytecode = True
# The processes tests start (`python -m local_stack`, the CLIs) import the harness and the
# function's package the way the Makefile provides them: on PYTHONPATH (not on sys.path).
# They import lambda_src too, so they write no bytecode either.
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
os.environ["PYTHONPATH"] = os.pathsep.join(
    dict.fromkeys([str(ROOT), str(LAMBDA_SRC), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])
)

from webhook.signature import decode_secrets, sign  # noqa: E402

# Test-only signing secret (Standard Webhooks format); the saved events are signed with it.
TEST_SECRET = "whsec_" + base64.b64encode(b"test-only-webhook-signing-key-32").decode()
TEST_KEY = decode_secrets(TEST_SECRET)[0]

EventFactory = Callable[..., dict[str, Any]]


def build_event(
    body: str | bytes,
    *,
    webhook_id: str = "msg_test_0001",
    timestamp: int | None = None,
    key: bytes = TEST_KEY,
    method: str = "POST",
    base64_encoded: bool = False,
    signature: str | None = None,
    header_case: Callable[[str], str] = str.lower,
) -> dict[str, Any]:
    """A Function URL (payload 2.0) event carrying ``body``, signed with ``key``."""
    raw = body.encode() if isinstance(body, str) else body
    ts = int(time.time()) if timestamp is None else timestamp
    sig = sign(key, webhook_id, ts, raw) if signature is None else signature
    headers = {
        "content-type": "application/json",
        "user-agent": "Standard-Webhooks-Test/1.0",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sig,
    }
    from tests.provider_signing import function_url_event

    headers = {header_case(k): v for k, v in headers.items()}
    return function_url_event("/", raw, headers, method=method, base64_encoded=base64_encoded)


def payload(**overrides: Any) -> str:
    """A valid body as JSON text; ``None`` values drop a field."""
    data: dict[str, Any] = {
        "transactionId": "txn_0001",
        "amount": "99.99",
        "currency": "USD",
        "status": "succeeded",
        "provider": "acme-pay",
        "timestamp": "2026-01-01T12:00:00Z",
    }
    data.update(overrides)
    return json.dumps({k: v for k, v in data.items() if v is not None})


class FakeContext:
    aws_request_id = "req-0000-test"
    function_name = "webhook-test"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def make_event() -> EventFactory:
    """``make_event(body, webhook_id=..., timestamp=..., key=..., method=..., base64_encoded=...)``."""
    return build_event


@pytest.fixture
def make_payload() -> Callable[..., str]:
    """``make_payload(**overrides)``: a valid body as JSON text (``None`` drops a field)."""
    return payload


@pytest.fixture
def secret() -> str:
    return TEST_SECRET


@pytest.fixture
def signing_key() -> bytes:
    return TEST_KEY


@pytest.fixture
def events_dir() -> Path:
    return EVENTS_DIR


@pytest.fixture
def context() -> FakeContext:
    return FakeContext()
