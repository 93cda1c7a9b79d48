"""What a provider module produces: ``verify`` -> :class:`VerifiedDelivery` (or SignatureError, 401),
``map_delivery`` -> :class:`Mapped` records (or a 400).  Both pure; :mod:`webhook.service` does the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from webhook.validation import Transaction


@dataclass(frozen=True)
class VerifiedDelivery:
    """What the signature check established."""

    raw: bytes
    headers: Mapping[str, str]
    event_id: str | None = None  # known from the signature itself (Standard Webhooks' webhook-id)
    body: Any = None  # the decoded body, when verification had to decode it (Adyen)


@dataclass(frozen=True)
class EventRecord:
    """One event to store in the transactions table (and to apply to the payment status)."""

    transaction: Transaction
    event_id: str
    raw_event: str  # the body text exactly as received
    scheme: str  # status-mapping scheme: standard | stripe | adyen
    event_time: str | None  # provider's event time, UTC fixed format; None: first processedAt
    amount_minor: int | None = None
    success: bool | None = None
    amount_refunded_minor: int | None = None


@dataclass(frozen=True)
class Mapped:
    """The records of one delivery; none (and ``ignored_event_id`` set) for an authentic non-payment event."""

    records: tuple[EventRecord, ...]
    ignored_event_id: str | None = None


@dataclass(frozen=True)
class StoredRecord:
    record: EventRecord
    written: bool  # False: it was already there (a re-delivery)


Verify = Callable[..., VerifiedDelivery]
MapDelivery = Callable[[VerifiedDelivery], Mapped]
Respond = Callable[[Mapped, Sequence[StoredRecord]], dict[str, Any]]
DecodeSecret = Callable[[str], bytes | None]


@dataclass(frozen=True)
class Provider:
    """One path of the Function URL and the functions that serve it."""

    name: str  # standard | stripe | adyen
    secret_variable: str  # the environment variable naming the SSM parameter
    verify: Verify
    map_delivery: MapDelivery
    respond: Respond
    decode_secret: DecodeSecret


def duplicated(obj: object, fields: Sequence[str]) -> str | None:
    """The first of ``fields`` that appeared more than once in the JSON object ``obj``, if any."""
    duplicates: frozenset[str] = getattr(obj, "duplicate_keys", frozenset())
    return next((field for field in fields if field in duplicates), None)
