"""DynamoDB stream records as Lambda delivers them, decoded just enough to publish.

Images are DynamoDB JSON: numbers stay their ``N`` text (never a float), binary
(``rawEventGzip``) stays base64 text until :mod:`webhook.raw_body` restores it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Image = Mapping[str, Mapping[str, Any]]


class RecordError(ValueError):
    """A stream record without what publishing it needs (a poison record)."""


@dataclass(frozen=True)
class StreamRecord:
    event_name: str  # INSERT | MODIFY | REMOVE
    table_name: str
    sequence_number: str
    new_image: Image | None
    old_image: Image | None


def table_of(event_source_arn: str) -> str:
    """The table name in ``arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>``."""
    _, _, resource = event_source_arn.partition(":table/")
    name, _, _ = resource.partition("/stream/")
    return name


def decode_record(record: Mapping[str, Any]) -> StreamRecord:
    dynamodb = record.get("dynamodb")
    if not isinstance(dynamodb, Mapping):
        raise RecordError("stream record without a dynamodb section")
    sequence = dynamodb.get("SequenceNumber")
    if not isinstance(sequence, str):
        raise RecordError("stream record without a SequenceNumber")
    new, old = dynamodb.get("NewImage"), dynamodb.get("OldImage")
    return StreamRecord(
        event_name=str(record.get("eventName", "")),
        table_name=table_of(str(record.get("eventSourceARN", ""))),
        sequence_number=sequence,
        new_image=new if isinstance(new, Mapping) else None,
        old_image=old if isinstance(old, Mapping) else None,
    )


def text(image: Image, name: str) -> str:
    """A string attribute; RecordError when absent or not a string."""
    value = image.get(name, {}).get("S")
    if not isinstance(value, str):
        raise RecordError(f"item without the string attribute {name}")
    return value


def optional_text(image: Image, name: str) -> str | None:
    value = image.get(name, {}).get("S")
    return value if isinstance(value, str) else None


def number_text(image: Image, name: str) -> str | None:
    value = image.get(name, {}).get("N")
    return value if isinstance(value, str) else None
