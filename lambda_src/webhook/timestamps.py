"""The one time module: strict ISO-8601 / RFC 3339 date-times in, UTC in one fixed format out.

Every time the function writes (``processedAt``, a default ``timestamp``, a payment's
``eventTime`` and ``updatedAt``) is :data:`UTC_FORMAT`, ``YYYY-MM-DDTHH:MM:SS.mmmZ``:
fixed width, so comparing two of them as strings compares the times.  Fractions are
truncated to milliseconds, never rounded up.  Grammar and choices of what is read:
lambda_src/README.md, "Body and fields" > ``timestamp``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

UTC_FORMAT: Final = "YYYY-MM-DDTHH:MM:SS.mmmZ"  # e.g. 2026-12-01T11:00:00.000Z, always UTC
_UTC_TEXT_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z", re.ASCII)
_DATETIME_RE: Final = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[Tt]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]{1,9}))?)?"
    r"(?P<zone>[Zz]|(?P<sign>[+-])(?P<oh>[0-9]{2}):(?P<om>[0-9]{2}))?",
    re.ASCII,
)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND: Final = timedelta(seconds=1)


def parse_datetime(text: str) -> datetime:
    """An aware ``datetime`` (UTC when no offset is given); ValueError when ``text`` is not one."""
    match = _DATETIME_RE.fullmatch(text)
    if match is None:
        raise ValueError("not an ISO-8601 date-time")
    zone = UTC
    if match["sign"]:
        hours, minutes = int(match["oh"]), int(match["om"])
        if hours > 23 or minutes > 59:
            raise ValueError("offset out of range")
        offset = timedelta(hours=hours, minutes=minutes)
        zone = timezone(-offset if match["sign"] == "-" else offset)
    fraction = match["fraction"] or ""
    return datetime(
        int(match["year"]),
        int(match["month"]),
        int(match["day"]),
        int(match["hour"]),
        int(match["minute"]),
        int(match["second"] or 0),
        int(fraction[:6].ljust(6, "0")),
        tzinfo=zone,
    )


def utc_text(moment: datetime) -> str:
    """An aware ``datetime`` in :data:`UTC_FORMAT`; ValueError if naive or out of range."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a time must be timezone-aware")
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("date-time out of range") from None
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )


def utc_from_epoch(seconds: float) -> str:
    """Unix seconds (a clock, Stripe ``created``) in :data:`UTC_FORMAT`; ValueError if out of range."""
    try:
        moment = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"not a Unix time in range: {seconds!r}") from None
    return utc_text(moment)


def event_time(text: str) -> str:
    """An accepted date-time (strict grammar above) converted to :data:`UTC_FORMAT`; ValueError otherwise."""
    return utc_text(parse_datetime(text))


def check_event_time(value: str) -> str:
    """``value`` when it is a real time already in :data:`UTC_FORMAT`, else ``ValueError``."""
    if not _UTC_TEXT_RE.fullmatch(value):
        raise ValueError(f"event_time must be UTC in the fixed format {UTC_FORMAT}, got {value!r}")
    try:
        parse_datetime(value)
    except ValueError:
        raise ValueError(f"event_time is not a valid time: {value!r}") from None
    return value


def epoch_floor(text: str) -> int:
    """Whole Unix seconds of a time in :data:`UTC_FORMAT` (the fraction dropped, integer arithmetic)."""
    return (parse_datetime(check_event_time(text)) - _EPOCH) // _SECOND
