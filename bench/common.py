"""Shared pieces of the benchmark: paths, statistics, signed 1 KB events, the emulator's AWS setup.

Nothing here is imported by the Lambda: bench/ never enters the zip.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PEERS = BENCH / "peers"
LAMBDA_SRC = ROOT / "lambda_src"

# lambda_src is zipped as it is: never leave __pycache__ in it.
sys.dont_write_bytecode = True

from local_stack.emulator.fixtures import create_payments_table, create_transactions_table  # noqa: E402  (after dont_write_bytecode)
from webhook_cli.signing import signature_headers  # noqa: E402  (the providers' own signing code)

REGION = "us-east-1"
BODY_BYTES = 1024
TABLE = "bench-transactions"
IDEMPOTENCY_TABLE = "bench-idempotency"
PAYMENTS_TABLE = "bench-payments"  # behaviour.md "Payment status"; given to the function in the cold-start phase only
SECRET_PARAM = "/bench/webhook-signing-secrets"  # noqa: S105 - a parameter name
# Test-only Standard Webhooks secret: whsec_ + base64 of 32 bytes.
SECRET = "whsec_" + base64.b64encode(b"bench-only-webhook-signing-key!!").decode()


# --------------------------------------------------------------------------- statistics


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 100 values is the 99th smallest)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, min(len(ordered), int(-(-pct * len(ordered) // 100))))
    return float(ordered[rank - 1])


def rnd(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def log(message: str) -> None:
    """Progress on stderr (stdout carries the table)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- events


def payload(transaction_id: str, size: int = BODY_BYTES) -> bytes:
    """A realistic payment event of exactly ``size`` bytes (padding in ``metadata.note``)."""

    def build(pad: int) -> bytes:
        data: dict[str, Any] = {
            "transactionId": transaction_id,
            "amount": "__AMOUNT__",
            "currency": "EUR",
            "status": "succeeded",
            "provider": "acme-pay",
            "timestamp": "2026-01-31T12:00:00.250Z",
            "metadata": {
                "orderId": "ord_7f3a9c21",
                "customer": {"id": "cus_42", "email": "buyer@example.com", "country": "DE"},
                "lines": [
                    {"sku": "SKU-1", "qty": 2, "unit": "__UNIT__"},
                    {"sku": "SKU-2", "qty": 1, "unit": "__UNIT2__"},
                ],
                "note": "x" * pad,
            },
        }
        text = json.dumps(data, separators=(", ", ": "))
        # Numbers go in as JSON numbers (not strings), so every parser meets real numeric text.
        text = text.replace('"__AMOUNT__"', "1234.56").replace('"__UNIT__"', "499.99").replace('"__UNIT2__"', "234.58")
        return text.encode()

    base = len(build(0))
    if base > size:
        raise ValueError(f"transaction id too long for a {size}-byte body")
    body = build(size - base)
    assert len(body) == size, len(body)
    return body


def function_url_event(
    body: bytes, webhook_id: str, secret: str = SECRET, timestamp: int | None = None
) -> dict[str, Any]:
    """A signed Lambda Function URL event (payload format 2.0), as the service delivers it."""
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "content-type": "application/json",
        "user-agent": "bench/1",
        "host": "abc.lambda-url.us-east-1.on.aws",
        "x-forwarded-proto": "https",
        **signature_headers([secret], webhook_id, ts, body),
    }
    # The envelope from the local Function URL's converter (the one place that builds it).
    from local_stack.gateway.event import build_event

    return build_event("POST", "/", list(headers.items()), body, "203.0.113.9", "bench-request", "abc", "anonymous", ts)


class FakeContext:
    """The attributes of Lambda's context object that the handlers (and Powertools) read."""

    function_name = "bench-function"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench-function"
    memory_limit_in_mb = 256
    log_group_name = "/aws/lambda/bench-function"
    log_stream_name = "2026/01/31/[$LATEST]bench"

    def __init__(self, request_id: str = "bench-request") -> None:
        self.aws_request_id = request_id

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


# --------------------------------------------------------------------------- AWS in the emulator


@dataclass
class AwsSetup:
    env: dict[str, str]
    kms_key_arn: str


def lambda_env(endpoint: str) -> dict[str, str]:
    """What a Lambda execution environment of each contender sees (the emulator's fake credentials)."""
    from local_stack.emulator import aws_env

    return {
        **aws_env(endpoint, REGION),
        "TABLE_NAME": TABLE,
        "WEBHOOK_SECRET_PARAM": SECRET_PARAM,
        "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE,
        "AWS_LAMBDA_FUNCTION_NAME": FakeContext.function_name,
        "POWERTOOLS_SERVICE_NAME": "payment-webhook-bench",
    }


def create_aws_resources(endpoint: str) -> AwsSetup:
    """Transactions table (as modules/dynamodb), payments table, the Powertools idempotency table, the secret."""
    import boto3

    env = lambda_env(endpoint)
    kwargs = {
        "endpoint_url": endpoint,
        "region_name": REGION,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    ddb = boto3.client("dynamodb", **kwargs)
    create_transactions_table(ddb, TABLE)
    # The layout Powertools documents for its idempotency table.
    ddb.create_table(
        TableName=IDEMPOTENCY_TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    create_payments_table(ddb, PAYMENTS_TABLE)  # behaviour.md "Payment status": one item per payment
    key_arn = boto3.client("kms", **kwargs).create_key(Description="bench CMK")["KeyMetadata"]["Arn"]
    boto3.client("ssm", **kwargs).put_parameter(
        Name=SECRET_PARAM, Type="SecureString", Value=SECRET, KeyId=key_arn, Overwrite=True
    )
    return AwsSetup(env, key_arn)


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Temporarily set environment variables (and drop every other AWS_* one)."""
    saved = dict(os.environ)
    for key in list(os.environ):
        if key.startswith("AWS_") or key.startswith("POWERTOOLS_"):
            del os.environ[key]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def stdout_to_devnull() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null (the handlers' log lines; Lambda ships them to CloudWatch)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
