"""Peer: the same contract built on Powertools for AWS Lambda (Python) v3, the way its docs teach.

* HTTP: ``LambdaFunctionUrlResolver`` (event handler) with one ``POST /`` route,
  exception handlers for the 4xx/5xx answers, ``Logger`` with
  ``inject_lambda_context`` and one structured line per request.
* Secret: ``parameters.SSMProvider`` (SecureString, decrypted, ``max_age=60``).
* Signature: Standard Webhooks v1 on the raw body, the same rules as ours
  (case-insensitive headers, +/- tolerance, rotation, constant-time compare).
* Body: ``json.loads`` with ``parse_float/parse_int=Decimal`` (no binary float),
  then the parser utility (``parse`` into a pydantic model) for the fields.
* Exactly once: ``@idempotent_function`` with ``DynamoDBPersistenceLayer`` on a
  separate idempotency table, keyed by the contract's dedupe key
  (``[transactionId, eventId]``, eventId = ``webhook-id``), records kept 4 days
  (longer than a 3-day retry window); a replay answers ``duplicate`` through
  ``response_hook``.  The transaction itself is a ``Table.put_item`` with the
  amount as ``Decimal``.
* The same botocore timeouts and retries as ours.
* With ``PEER_PAYMENT_STATUS=1`` (the bench's "same features" peer): after the
  transaction, the payment's current status as ours keeps it (docs/behaviour.md,
  "Payment status") — one conditional ``Table.put_item`` of the whole payment item,
  ``attribute_not_exists(transactionId) OR orderKey < :key``, on ``PAYMENTS_TABLE_NAME``.

Benchmark-only: never part of the Lambda zip.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import os
import re
import time
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response, content_types
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
)
from aws_lambda_powertools.utilities.parser import BaseModel, ValidationError, parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import Field, field_validator

MAX_BODY_BYTES = 256 * 1024
TOLERANCE_SECONDS = int(os.environ.get("SIGNATURE_TOLERANCE_SECONDS", "300"))
BOTO_CONFIG = Config(connect_timeout=1.0, read_timeout=2.0, retries={"mode": "standard", "total_max_attempts": 3})

logger = Logger()
app = LambdaFunctionUrlResolver()
ssm = parameters.SSMProvider(boto_config=BOTO_CONFIG)
persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE_NAME"], boto_config=BOTO_CONFIG)
transactions = boto3.resource("dynamodb", config=BOTO_CONFIG).Table(os.environ["TABLE_NAME"])
payments = (
    boto3.resource("dynamodb", config=BOTO_CONFIG).Table(os.environ["PAYMENTS_TABLE_NAME"])
    if os.environ.get("PEER_PAYMENT_STATUS") == "1"
    else None
)


def _replayed(response: dict[str, Any], _record: Any) -> dict[str, Any]:
    return {**response, "status": "duplicate"}


idempotency = IdempotencyConfig(
    event_key_jmespath="[transactionId, eventId]",
    expires_after_seconds=4 * 24 * 3600,
    raise_on_no_idempotency_key=True,
    response_hook=_replayed,
)


class Rejected(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(status: int, code: str, message: str) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"error": {"code": code, "message": message}},
    )


# --------------------------------------------------------------------------- signature


@functools.lru_cache(maxsize=8)
def _keys(secret_value: str) -> tuple[bytes, ...]:
    keys = []
    for token in secret_value.split():
        try:
            key = base64.b64decode(token.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError):
            continue
        if key:
            keys.append(key)
    return tuple(keys)


def _verify(webhook_id: str | None, timestamp: str | None, signature: str | None, body: bytes) -> str:
    if not (webhook_id and timestamp and signature):
        raise Rejected(401, "invalid_signature", "missing webhook signature headers")
    if not re.fullmatch(r"[\x21-\x7e]{1,256}", webhook_id) or not re.fullmatch(r"[0-9]{1,12}", timestamp):
        raise Rejected(401, "invalid_signature", "malformed webhook signature headers")
    if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        raise Rejected(401, "invalid_signature", "webhook-timestamp outside the tolerance")
    keys = _keys(ssm.get(os.environ["WEBHOOK_SECRET_PARAM"], decrypt=True, max_age=60) or "")
    if not keys:
        raise Rejected(500, "secret_unavailable", "signing secret is unavailable")
    candidates = []
    for entry in signature.split():
        version, _, value = entry.partition(",")
        if version == "v1":
            try:
                candidates.append(base64.b64decode(value, validate=True))
            except (binascii.Error, ValueError):
                continue
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    matched = False
    for key in keys:
        digest = hmac.new(key, signed, hashlib.sha256).digest()
        for candidate in candidates:
            matched |= hmac.compare_digest(digest, candidate)
    if not matched:
        raise Rejected(401, "invalid_signature", "signature does not match")
    return webhook_id


# --------------------------------------------------------------------------- payload model


class Payment(BaseModel):
    transactionId: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:\-]{1,128}$")]
    amount: Decimal
    currency: Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")]
    status: Annotated[str, Field(max_length=1024)] = "unknown"
    provider: Annotated[str, Field(max_length=1024)] = "unknown"
    timestamp: Annotated[str, Field(max_length=64)] | None = None

    @field_validator("amount", mode="before")
    @classmethod
    def _amount_type(cls, value: Any) -> Any:
        if isinstance(value, bool) or value is None:
            raise ValueError("must be a decimal number")
        if isinstance(value, str) and not re.fullmatch(
            r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", value
        ):
            raise ValueError("must be a decimal number")
        return value

    @field_validator("amount")
    @classmethod
    def _amount_range(cls, value: Decimal) -> Decimal:
        if not value.is_finite():
            raise ValueError("must be finite")
        if value.is_zero():
            return value
        digits = value.as_tuple().digits  # significant digits without trailing zeros (DynamoDB drops them)
        end = len(digits)
        while end > 1 and digits[end - 1] == 0:
            end -= 1
        if end > 38 or not -130 <= value.adjusted() <= 125:
            raise ValueError("is out of range")
        return value

    @field_validator("currency")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("timestamp")
    @classmethod
    def _iso(cls, value: str | None) -> str | None:
        if value is not None:
            datetime.fromisoformat(value)
        return value


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


# --------------------------------------------------------------------------- storage


@idempotent_function(data_keyword_argument="delivery", config=idempotency, persistence_store=persistence)
def store(delivery: dict[str, str], payment: Payment, raw_text: str) -> dict[str, str]:
    processed_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    transactions.put_item(
        Item={
            "transactionId": payment.transactionId,
            "eventId": delivery["eventId"],
            "amount": payment.amount,
            "currency": payment.currency,
            "status": payment.status,
            "provider": payment.provider,
            "timestamp": payment.timestamp or processed_at,
            "processedAt": processed_at,
            "rawEvent": raw_text,
        }
    )
    if payments is not None:
        _payment_status(payment, delivery["eventId"], processed_at)
    return {"status": "accepted", "transactionId": payment.transactionId, "eventId": delivery["eventId"]}


def _payment_status(payment: Payment, event_id: str, processed_at: str) -> None:
    """The payment item, kept iff absent or older than this event (the order key ours uses)."""
    event_time = payment.timestamp or processed_at
    order_key = f"1#{event_time}#3#{event_id}"
    try:
        payments.put_item(  # type: ignore[union-attr]
            Item={
                "transactionId": payment.transactionId,
                "status": payment.status,
                "providerStatus": payment.status,
                "amount": payment.amount,
                "currency": payment.currency,
                "provider": payment.provider,
                "lastEventId": event_id,
                "eventTime": event_time,
                "updatedAt": processed_at,
                "orderKey": order_key,
            },
            ConditionExpression="attribute_not_exists(transactionId) OR orderKey < :key",
            ExpressionAttributeValues={":key": order_key},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise


# --------------------------------------------------------------------------- routes


@app.post("/")
def receive() -> dict[str, str]:
    event = app.current_event
    body = event.body or ""
    try:
        raw = base64.b64decode(body, validate=True) if event.is_base64_encoded else body.encode()
    except (binascii.Error, ValueError):
        raise Rejected(400, "invalid_body", "request body is not valid base64") from None
    if len(raw) > MAX_BODY_BYTES:
        raise Rejected(413, "payload_too_large", "request body exceeds 256 KiB")
    webhook_id = _verify(
        event.get_header_value("webhook-id", case_sensitive=False),
        event.get_header_value("webhook-timestamp", case_sensitive=False),
        event.get_header_value("webhook-signature", case_sensitive=False),
        raw,
    )
    try:
        text = raw.decode("utf-8")
        data = json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, InvalidOperation):
        raise Rejected(400, "invalid_json", "body is not valid JSON") from None
    if not isinstance(data, dict):
        raise Rejected(400, "invalid_json", "body must be a JSON object")
    payment = parse(event=data, model=Payment)
    result = store(
        delivery={"transactionId": payment.transactionId, "eventId": webhook_id}, payment=payment, raw_text=text
    )
    logger.info("webhook", outcome=result["status"], transactionId=payment.transactionId, eventId=webhook_id)
    return result


@app.not_found
def not_found(_exc: Exception) -> Response:
    if app.current_event.http_method != "POST":
        return _error(405, "method_not_allowed", "only POST is allowed")
    return _error(404, "not_found", "not found")


@app.exception_handler(Rejected)
def rejected(exc: Rejected) -> Response:
    logger.info("webhook", outcome="rejected", errorCode=exc.code)
    return _error(exc.status, exc.code, exc.message)


@app.exception_handler(ValidationError)
def invalid(exc: ValidationError) -> Response:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "body"
    code = "missing_field" if first["type"] == "missing" else "invalid_field"
    logger.info("webhook", outcome="rejected", errorCode=code)
    return _error(400, code, f"{field}: {first['msg']}")


@app.exception_handler(
    [ClientError, BotoCoreError, IdempotencyPersistenceLayerError, IdempotencyAlreadyInProgressError]
)
def unavailable(exc: Exception) -> Response:
    logger.warning("webhook", outcome="error", detail=type(exc).__name__)
    return _error(503, "storage_unavailable", "storage is temporarily unavailable")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)
    return app.resolve(event, context)
