"""Strict ISO-8601 / RFC 3339 date-times (no offset = UTC) and UTC in ``YYYY-MM-DDTHH:MM:SS.mmmZ``.

Grammar and choices: lambda_src/README.md, "Body and fields" > ``timestamp``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

_DATETIME_RE: Final = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[Tt]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]{1,9}))?)?"
    r"(?P<zone>[Zz]|(?P<sign>[+-])(?P<oh>[0-9]{2}):(?P<om>[0-9]{2}))?",
    re.ASCII,
)


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
    """An aware ``datetime`` as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC; ValueError if out of range."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("date-time out of range") from None
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )


def utc_from_epoch(seconds: float) -> str:
    """Unix seconds as ``YYYY-MM-DDTHH:MM:SS.mmmZ``; ValueError if out of range."""
    try:
        moment = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError("time out of range") from None
    return utc_text(moment)


def event_time(text: str) -> str:
    """An accepted date-time converted to the fixed UTC format; ValueError otherwise."""
    return utc_text(parse_datetime(text))
