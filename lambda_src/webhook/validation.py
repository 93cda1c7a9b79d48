"""Field rules of the contract (section 1, step 5); any violation is a 400 naming the field.

* ``transactionId``: string of 1-128 characters from ``A-Z a-z 0-9 _ . : -``.
* ``amount``: a JSON number, or a string holding a decimal number
  (ASCII ``[+-]digits[.digits][e[+-]digits]``, also ``.5`` and ``5.``; no
  whitespace, underscores, ``NaN``/``Infinity`` or non-ASCII digits).  Finite,
  at most 38 significant digits (trailing zeros of the coefficient do not
  count, as DynamoDB drops them), and zero or a magnitude in
  ``[1E-130, 1E+126)``.  Never rounded: digits are counted on the exact
  coefficient (``Decimal.normalize()`` would round to 28 digits).  Negative
  amounts (refunds, chargebacks) are allowed.
* ``currency``: an active ISO 4217 code (see :mod:`webhook.currencies`),
  case-insensitive, stored upper-case.
* ``status``, ``provider``: optional strings (at most 1024 characters),
  default ``"unknown"``; ``null`` is not a string and is rejected.
* ``timestamp``: optional ISO-8601 / RFC 3339 date-time string (at most 64
  characters; the strict grammar of :mod:`webhook.timestamps`, no offset =
  UTC); stored as sent.  Default: the processing time.
* Fields are checked in the order above; the first violation is reported.
* A contract field that appears twice at the top level is rejected
  (parsers disagree on which one wins).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from webhook.currencies import ISO_4217_CODES
from webhook.errors import FieldError
from webhook.parsing import OutOfRangeNumber
from webhook.timestamps import event_time

MAX_SIGNIFICANT_DIGITS = 38
MIN_ADJUSTED_EXPONENT = -130  # smallest non-zero magnitude 1E-130
MAX_ADJUSTED_EXPONENT = 125  # magnitude below 1E+126
MAX_TEXT_LENGTH = 1024
MAX_TIMESTAMP_LENGTH = 64
DEFAULT_TEXT = "unknown"
CONTRACT_FIELDS = ("transactionId", "amount", "currency", "status", "provider", "timestamp")

_TRANSACTION_ID_RE = re.compile(r"[A-Za-z0-9_.:\-]{1,128}")
_DECIMAL_STRING_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class Transaction:
    transaction_id: str
    amount: Decimal
    currency: str
    status: str
    provider: str
    timestamp: str | None  # None: use the processing time


def dynamodb_number(value: Decimal) -> str:
    """The DynamoDB ``N`` text of a valid amount: exact, never rounded.

    Zero is ``"0"``.  Otherwise ``str(value)`` (it keeps the sender's digits),
    unless the coefficient is longer than 38 digits because of trailing zeros;
    those are then moved into the exponent, which changes no value.
    """
    if value.is_zero():
        return "0"
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if len(digits) <= MAX_SIGNIFICANT_DIGITS:
        return str(value)
    stripped = len(digits) - len(_significant(digits))
    return str(Decimal((sign, digits[: len(digits) - stripped], exponent + stripped)))


def _significant(digits: tuple[int, ...]) -> tuple[int, ...]:
    end = len(digits)
    while end > 1 and digits[end - 1] == 0:
        end -= 1
    return digits[:end]


def check_amount(value: object) -> Decimal:
    """The amount as an exact Decimal, or :class:`FieldError`."""
    if isinstance(value, bool) or value is None:
        raise FieldError("amount", "must be a decimal number")
    if isinstance(value, str):
        if not _DECIMAL_STRING_RE.fullmatch(value):
            raise FieldError("amount", "must be a decimal number")
        try:
            value = Decimal(value)
        except InvalidOperation:
            raise FieldError("amount", "is out of range") from None
    if isinstance(value, int):  # defensive: the parser yields Decimal for integers
        value = Decimal(value)
    if isinstance(value, OutOfRangeNumber):
        raise FieldError("amount", "is out of range")
    if not isinstance(value, Decimal):
        raise FieldError("amount", "must be a decimal number")
    if not value.is_finite():
        raise FieldError("amount", "must be finite")
    if value.is_zero():
        return value
    if len(_significant(value.as_tuple().digits)) > MAX_SIGNIFICANT_DIGITS:
        raise FieldError("amount", "has more than 38 significant digits")
    if not MIN_ADJUSTED_EXPONENT <= value.adjusted() <= MAX_ADJUSTED_EXPONENT:
        raise FieldError("amount", "is out of range")
    return value


def check_transaction_id(value: object) -> str:
    if not isinstance(value, str) or not _TRANSACTION_ID_RE.fullmatch(value):
        raise FieldError("transactionId", "must be 1-128 characters from A-Z a-z 0-9 _ . : -")
    return value


def check_currency(value: object) -> str:
    if isinstance(value, str) and len(value) == 3 and value.isascii():
        code = value.upper()
        if code in ISO_4217_CODES:
            return code
    raise FieldError("currency", "must be an ISO 4217 currency code")


def check_text(field: str, value: object, limit: int) -> str:
    if not isinstance(value, str):
        raise FieldError(field, "must be a string")
    if len(value) > limit:
        raise FieldError(field, f"must be at most {limit} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FieldError(field, "must be valid Unicode text") from None
    return value


def check_timestamp(value: object) -> str:
    text = check_text("timestamp", value, MAX_TIMESTAMP_LENGTH)
    try:
        event_time(text)  # also convertible to UTC (the payment status needs it)
    except ValueError:
        raise FieldError("timestamp", "must be an ISO-8601 date-time") from None
    return text


def _required(data: Mapping[str, Any], field: str) -> object:
    if field not in data:
        raise FieldError(field, "is required", missing=True)
    return data[field]


def validate(data: Mapping[str, Any], duplicate_keys: frozenset[str] = frozenset()) -> Transaction:
    """Apply the field rules in contract order; the first violation raises :class:`FieldError`."""
    for field in CONTRACT_FIELDS:
        if field in duplicate_keys:
            raise FieldError(field, "appears more than once")
    transaction_id = check_transaction_id(_required(data, "transactionId"))
    amount = check_amount(_required(data, "amount"))
    currency = check_currency(_required(data, "currency"))
    status = check_text("status", data["status"], MAX_TEXT_LENGTH) if "status" in data else DEFAULT_TEXT
    provider = check_text("provider", data["provider"], MAX_TEXT_LENGTH) if "provider" in data else DEFAULT_TEXT
    timestamp = check_timestamp(data["timestamp"]) if "timestamp" in data else None
    return Transaction(transaction_id, amount, currency, status, provider, timestamp)
