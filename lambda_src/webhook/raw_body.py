"""The body text of an event item: ``rawEvent`` (S) or ``rawEventGzip`` (B), exactly one.

DynamoDB bills a write per started 1 KB of item size and storage per byte, so a body
is stored as the gzip of its UTF-8 bytes when that makes the item smaller by enough to
matter: the body is at least :data:`MIN_COMPRESS_BYTES` long and the gzip is at most
:data:`MAX_RATIO` of it.  Smaller bodies stay readable text (a console, a query, a
support engineer).  Measured figures behind the rule: lambda_src/README.md, "Storage".
``mtime=0`` makes the bytes a function of the body alone (same body, same item).
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Mapping
from typing import Any

TEXT_ATTRIBUTE = "rawEvent"
GZIP_ATTRIBUTE = "rawEventGzip"
MIN_COMPRESS_BYTES = 512  # below this gzip's ~20 B of framing eats most of the saving
MAX_RATIO = 0.8  # keep the text unless gzip saves at least a fifth
COMPRESS_LEVEL = 6  # zlib's default: within a few % of level 9's size at a fraction of its CPU


class RawBodyError(ValueError):
    """An item holds neither or both body attributes, or a gzip that does not decode."""


def body_attribute(raw_text: str) -> tuple[str, dict[str, Any]]:
    """The attribute name and low-level value that store ``raw_text`` (the body exactly as received)."""
    data = raw_text.encode("utf-8", "surrogatepass")
    if len(data) >= MIN_COMPRESS_BYTES:
        packed = gzip.compress(data, compresslevel=COMPRESS_LEVEL, mtime=0)
        if len(packed) <= len(data) * MAX_RATIO:
            return GZIP_ATTRIBUTE, {"B": packed}
    return TEXT_ATTRIBUTE, {"S": raw_text}


def raw_event_text(item: Mapping[str, Any]) -> str:
    """The body text of a low-level item (``B`` as bytes, as boto3's client returns it)."""
    return _restore(item, lambda value: bytes(value))


def raw_event_text_from_json(item: Mapping[str, Any]) -> str:
    """The body text of an item in DynamoDB JSON (``B`` as base64 text: stream images, exports)."""
    return _restore(item, lambda value: base64.b64decode(value, validate=True))


def _restore(item: Mapping[str, Any], to_bytes: Any) -> str:
    text = item.get(TEXT_ATTRIBUTE)
    packed = item.get(GZIP_ATTRIBUTE)
    if (text is None) == (packed is None):
        raise RawBodyError("an event item holds exactly one of rawEvent and rawEventGzip")
    if text is not None:
        return str(text["S"])
    assert packed is not None  # exactly one is present (checked above)
    try:
        data = gzip.decompress(to_bytes(packed["B"]))
        return data.decode("utf-8", "surrogatepass")
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        raise RawBodyError("rawEventGzip does not decode") from exc
