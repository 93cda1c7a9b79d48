"""boto3 clients (created lazily, once per container) and AWS error classification.

boto3 is imported on first use, not at module import, so importing the
handler stays cheap.  Every client has explicit timeouts and a bounded
number of attempts, so a slow dependency turns into a 5xx long before the
function timeout: worst case per call is about 3 x (1 s connect + 2 s read)
plus standard-mode backoff.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 2.0
RETRIES: dict[str, Any] = {"mode": "standard", "total_max_attempts": 3}

# Error codes after which the sender should simply retry later (503).
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "InternalServerError",
        "InternalFailure",
        "InternalServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "TransactionInProgressException",
        "RequestThrottled",  # SQS
        "KmsThrottled",  # SQS: KMS throttled the queue's data-key request
    }
)

_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    """The cached boto3 client for ``service`` (``"dynamodb"``, ``"ssm"``, ``"sqs"``)."""
    cached = _clients.get(service)
    if cached is None:
        import boto3
        from botocore.config import Config

        config = Config(
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
            retries=RETRIES,
        )
        cached = _clients[service] = boto3.client(service, config=config)
    return cached


def reset_clients() -> None:
    """Forget cached clients (tests)."""
    _clients.clear()


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError`` (duck-typed), else None."""
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        error = response.get("Error")
        if isinstance(error, Mapping):
            code = error.get("Code")
            if isinstance(code, str):
                return code
    return None


def is_aws_error(exc: BaseException) -> bool:
    """True for errors raised by botocore (service errors, timeouts, connection errors)."""
    if error_code(exc) is not None:
        return True
    try:
        from botocore.exceptions import BotoCoreError
    except ImportError:  # pragma: no cover - botocore ships with the runtime
        return False
    return isinstance(exc, BotoCoreError)


def is_retryable(exc: BaseException) -> bool:
    """Throttling, AWS-side faults, timeouts and connection errors."""
    code = error_code(exc)
    if code is not None:
        return code in RETRYABLE_CODES
    return is_aws_error(exc)
