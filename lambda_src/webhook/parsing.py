"""Parsing the body: UTF-8 JSON whose top level is an object.

Numbers go straight from their text into :class:`decimal.Decimal` (integer
literals into its subclass :class:`IntegerLiteral`, so a field that must be
an integer can tell ``1999`` from ``1999.0`` or ``1.999e3``), so a binary
float never exists anywhere in the pipeline and no digit is lost.  ``NaN``,
``Infinity`` and ``-Infinity`` are rejected.  A number whose exponent is
too large even for ``Decimal`` is kept as an :class:`OutOfRangeNumber`
(fine anywhere except in ``amount``).

Documents nested deeper than the recursive C scanner allows are parsed again
by a small iterative decoder with the same rules, so any nesting works.

Duplicate keys follow :mod:`json` (the last one wins) but are recorded on the
top-level object, so validation can reject a duplicated contract field.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from webhook.errors import WebhookError


class IntegerLiteral(Decimal):
    """A JSON number written as an integer literal (digits, optional ``-``; no fraction or exponent).

    It is a :class:`Decimal` in every respect; the type only records how the
    number was written, for fields that must be integers (Stripe's ``amount``).
    """

    __slots__ = ()


@dataclass(frozen=True)
class OutOfRangeNumber:
    """A JSON number that ``Decimal`` cannot represent, kept only as its text."""

    text: str


class _DuplicateKeyDict(dict[str, Any]):
    """A JSON object in which some keys appeared more than once."""

    duplicate_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ParsedBody:
    text: str
    data: dict[str, Any]
    duplicate_keys: frozenset[str]


def _number(text: str) -> Decimal | OutOfRangeNumber:
    try:
        return Decimal(text)
    except InvalidOperation:
        return OutOfRangeNumber(text)


def _integer(text: str) -> IntegerLiteral:
    return IntegerLiteral(text)  # an integer literal always fits a Decimal


def _constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not allowed")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    dup = _DuplicateKeyDict(obj)
    dup.duplicate_keys = frozenset(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
    return dup


_DECODER = json.JSONDecoder(
    parse_float=_number,
    parse_int=_integer,
    parse_constant=_constant,
    object_pairs_hook=_object,
)


def _invalid(message: str) -> WebhookError:
    return WebhookError(400, "invalid_json", message)


def parse_object(raw: bytes) -> ParsedBody:
    """Decode ``raw`` as a JSON object or raise a 400 :class:`WebhookError`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid("body is not valid UTF-8") from None
    try:
        value = decode(text)
    except ValueError:
        raise _invalid("body is not valid JSON") from None
    if not isinstance(value, dict):
        raise _invalid("body must be a JSON object")
    return ParsedBody(text, value, getattr(value, "duplicate_keys", frozenset()))


def decode(text: str) -> Any:
    """JSON text to Python values under this module's rules; ValueError if invalid."""
    try:
        return _DECODER.decode(text)
    except RecursionError:
        pass
    return decode_iteratively(text)


# --- iterative fallback ----------------------------------------------------

# The C-accelerated JSON string scanner (absent from typeshed).
_scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_LITERALS: tuple[tuple[str, Any], ...] = (("true", True), ("false", False), ("null", None))


class _Frame:
    __slots__ = ("is_object", "items", "key")

    def __init__(self, is_object: bool, key: str = "") -> None:
        self.is_object = is_object
        self.items: list[Any] = []
        self.key = key


def _skip(text: str, pos: int) -> int:
    match = _WS.match(text, pos)
    return match.end() if match else pos


def _key(text: str, pos: int) -> tuple[str, int]:
    if text[pos : pos + 1] != '"':
        raise ValueError("expected a property name")
    key, pos = _scanstring(text, pos + 1, True)
    pos = _skip(text, pos)
    if text[pos : pos + 1] != ":":
        raise ValueError("expected ':'")
    return key, _skip(text, pos + 1)


def _scalar(text: str, pos: int) -> tuple[Any, int]:
    char = text[pos : pos + 1]
    if char == '"':
        return _scanstring(text, pos + 1, True)
    number = _NUMBER.match(text, pos)
    if number:
        whole, fraction, exponent = number.groups()
        value = _integer(whole) if fraction is None and exponent is None else _number(number.group())
        return value, number.end()
    for literal, value in _LITERALS:
        if text.startswith(literal, pos):
            return value, pos + len(literal)
    raise ValueError("expected a value")


def decode_iteratively(text: str) -> Any:
    """Same result as the C-backed decoder, without recursion (for deep nesting)."""
    stack: list[_Frame] = []
    pos = _skip(text, 0)
    while True:
        char = text[pos : pos + 1]
        value: Any
        if char in ("{", "["):
            pos = _skip(text, pos + 1)
            if text[pos : pos + 1] == ("}" if char == "{" else "]"):
                value = _object([]) if char == "{" else []
                pos += 1
            elif char == "{":
                key, pos = _key(text, pos)
                stack.append(_Frame(True, key))
                continue
            else:
                stack.append(_Frame(False))
                continue
        else:
            value, pos = _scalar(text, pos)
        # A value is complete: attach it to its parents, closing finished containers.
        while True:
            pos = _skip(text, pos)
            if not stack:
                if pos != len(text):
                    raise ValueError("extra data after the document")
                return value
            frame = stack[-1]
            frame.items.append((frame.key, value) if frame.is_object else value)
            char = text[pos : pos + 1]
            if char == ",":
                pos = _skip(text, pos + 1)
                if frame.is_object:
                    frame.key, pos = _key(text, pos)
                break
            if char != ("}" if frame.is_object else "]"):
                raise ValueError("expected ',' or a closing bracket")
            stack.pop()
            value = _object(frame.items) if frame.is_object else frame.items
            pos += 1
