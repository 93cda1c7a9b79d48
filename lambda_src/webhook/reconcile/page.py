"""One page of ``GET /v1/events``: each event's own JSON text, cut out of the response text.

The page is decoded with the project's parser (numbers as Decimal, never a
float); each element of ``data`` is located with ``json.JSONDecoder.raw_decode``
so an event's text is exactly its characters in the response (every number's
digits kept), as a delivery's body would be.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal

from webhook.parsing import decode

_WS = re.compile(r"[ \t\n\r]*")
# Spans only: numbers are kept as their text, never turned into floats.
_SPANS = json.JSONDecoder(parse_float=Decimal, parse_int=str, parse_constant=str)
_scanstring = json.decoder.scanstring  # type: ignore[attr-defined]


class PageError(Exception):
    """The response is not an events list (no secret or body text in the message)."""


@dataclass(frozen=True)
class ListedEvent:
    event_id: str  # "" when the element has no string id (mapping refuses it)
    text: str  # the element's characters in the response


@dataclass(frozen=True)
class Page:
    events: tuple[ListedEvent, ...]
    has_more: bool


def _skip(text: str, pos: int) -> int:
    match = _WS.match(text, pos)
    return match.end() if match else pos


def _element_spans(text: str) -> list[tuple[int, int]]:
    """Start/end of each element of the top-level ``data`` array."""
    pos = _skip(text, 0)
    if text[pos : pos + 1] != "{":
        raise PageError("the events list is not a JSON object")
    pos = _skip(text, pos + 1)
    while text[pos : pos + 1] == '"':
        key, pos = _scanstring(text, pos + 1, True)
        pos = _skip(text, pos)
        pos = _skip(text, pos + 1)  # the colon
        if key == "data" and text[pos : pos + 1] == "[":
            spans: list[tuple[int, int]] = []
            pos = _skip(text, pos + 1)
            while text[pos : pos + 1] not in ("]", ""):
                _, end = _SPANS.raw_decode(text, pos)
                spans.append((pos, end))
                pos = _skip(text, end)
                if text[pos : pos + 1] == ",":
                    pos = _skip(text, pos + 1)
            return spans
        _, pos = _SPANS.raw_decode(text, pos)
        pos = _skip(text, pos)
        if text[pos : pos + 1] == ",":
            pos = _skip(text, pos + 1)
    raise PageError("the events list has no data array")


def parse_page(text: str) -> Page:
    """The page's events (in order) and ``has_more``; :class:`PageError` if it is not an events list."""
    try:
        value = decode(text)
    except ValueError:
        raise PageError("the events list is not valid JSON") from None
    if not isinstance(value, dict) or not isinstance(value.get("data"), list):
        raise PageError("the events list has no data array")
    if getattr(value, "duplicate_keys", frozenset()):
        raise PageError("the events list repeats a key")
    items = value["data"]
    try:
        spans = _element_spans(text)
    except ValueError:
        raise PageError("the events list is not valid JSON") from None
    if len(spans) != len(items):
        raise PageError("the events list could not be split into events")
    events = []
    for item, (start, end) in zip(items, spans, strict=True):
        event_id = item.get("id") if isinstance(item, dict) else None
        events.append(ListedEvent(event_id if isinstance(event_id, str) else "", text[start:end]))
    return Page(tuple(events), value.get("has_more") is True)
