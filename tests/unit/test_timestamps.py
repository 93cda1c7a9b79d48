"""webhook.timestamps, the one time module: strict ISO-8601 / RFC 3339 date-times in, the fixed UTC format out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from webhook.timestamps import (
    UTC_FORMAT,
    check_event_time,
    epoch_floor,
    event_time,
    parse_datetime,
    utc_from_epoch,
    utc_text,
)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-12-01T11:00:00Z", "2026-12-01T11:00:00.000Z"),
        ("2026-12-01T12:00:00+01:00", "2026-12-01T11:00:00.000Z"),
        ("2026-12-01T06:30:00-04:30", "2026-12-01T11:00:00.000Z"),
        ("2026-12-01t11:00:00.123456789z", "2026-12-01T11:00:00.123Z"),
        ("2026-12-01T11:00:00.9999Z", "2026-12-01T11:00:00.999Z"),  # truncated, never rounded up
        ("2026-12-01T11:00", "2026-12-01T11:00:00.000Z"),
        ("2026-12-01T11:00:00", "2026-12-01T11:00:00.000Z"),  # no offset: UTC
        ("2026-12-31T23:30:00-01:00", "2027-01-01T00:30:00.000Z"),
        ("0999-01-01T00:00:00Z", "0999-01-01T00:00:00.000Z"),
    ],
)
def test_accepted_and_converted(text: str, utc: str) -> None:
    assert event_time(text) == utc


@pytest.mark.parametrize(
    "text",
    [
        "2025-01-01x12:00:00",
        "2025-01-01\x0012:00:00",
        "2025-01-01T12:00:00+01:00:30",
        "2025-01-01 12:00:00",
        "2025-01-01",
        "2025-01-01T12",
        "2025-01-01T12:00:00+0100",
        "2025-01-01T12:00:00 Z",
        "2025-01-01T12:00:00Z\n",
        "2025-13-01T12:00:00Z",
        "2025-02-29T12:00:00Z",
        "2025-01-01T12:60:00Z",
        "2025-01-01T12:00:00-00:60",
        "2025-01-01T12:00:00.Z",
        "\uff12\uff10\uff12\uff15-01-01T12:00:00Z",  # full-width digits
        "9999-12-31T23:00:00-02:00",
    ],
)
def test_refused(text: str) -> None:
    with pytest.raises(ValueError):
        event_time(text)


def test_parse_gives_aware_datetimes() -> None:
    assert parse_datetime("2026-12-01T11:00:00+02:00").utcoffset() == timedelta(hours=2)
    assert parse_datetime("2026-12-01T11:00:00").tzinfo is UTC
    assert parse_datetime("2026-12-01T11:00:00-00:00").tzinfo == timezone(timedelta(0))


def test_epoch_to_fixed_format() -> None:
    assert utc_from_epoch(1680064028) == "2023-03-29T04:27:08.000Z"
    assert utc_from_epoch(0) == "1970-01-01T00:00:00.000Z"
    assert len(utc_from_epoch(253402300799)) == 24
    assert utc_from_epoch(1_767_268_800.25) == datetime(2026, 1, 1, 12, 0, 0, 250000, UTC).isoformat(
        timespec="milliseconds"
    ).replace("+00:00", "Z")


def test_the_format_is_documented() -> None:
    assert UTC_FORMAT == "YYYY-MM-DDTHH:MM:SS.mmmZ"
    assert len(UTC_FORMAT) == len("2026-12-01T11:00:00.000Z")


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 12, 1, 11, 0, tzinfo=UTC), "2026-12-01T11:00:00.000Z"),
        (datetime(2026, 12, 1, 12, 0, tzinfo=timezone(timedelta(hours=1))), "2026-12-01T11:00:00.000Z"),
        (datetime(2026, 12, 1, 0, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))), "2026-11-30T19:00:00.000Z"),
        (datetime(2026, 12, 1, 11, 0, 0, 999999, tzinfo=UTC), "2026-12-01T11:00:00.999Z"),  # truncated
        (datetime(2026, 12, 1, 11, 0, 0, 1000, tzinfo=UTC), "2026-12-01T11:00:00.001Z"),
        (datetime(5, 1, 2, 3, 4, 5, tzinfo=UTC), "0005-01-02T03:04:05.000Z"),
    ],
)
def test_utc_text_is_fixed_width(moment: datetime, text: str) -> None:
    assert utc_text(moment) == text
    assert check_event_time(text) == text


def test_utc_text_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        utc_text(datetime(2026, 12, 1, 11, 0))


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(1764586800, "2025-12-01T11:00:00.000Z"), (0, "1970-01-01T00:00:00.000Z"), (-1, "1969-12-31T23:59:59.000Z")],
)
def test_unix_seconds(seconds: int, expected: str) -> None:
    assert utc_from_epoch(seconds) == expected


@pytest.mark.parametrize("seconds", [10**12, -(10**12), 10**30])
def test_unix_seconds_out_of_range(seconds: int) -> None:
    with pytest.raises(ValueError, match="Unix time"):
        utc_from_epoch(seconds)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1970-01-01T00:00:00.000Z", 0),
        ("1970-01-01T00:00:00.999Z", 0),  # the fraction is dropped, never rounded up
        ("2026-12-01T11:00:00.999Z", 1_796_122_800),
        ("1969-12-31T23:59:59.500Z", -1),  # floor, not truncation toward zero
    ],
)
def test_epoch_floor(text: str, seconds: int) -> None:
    assert epoch_floor(text) == seconds


def test_epoch_floor_takes_only_the_fixed_format() -> None:
    with pytest.raises(ValueError, match="fixed format"):
        epoch_floor("2026-12-01T11:00:00Z")


def test_the_clock_a_unix_time_and_an_iso_time_give_one_text() -> None:
    """One formatter: the clock's time, a provider's Unix time and an ISO time give the same text."""
    moment = datetime(2026, 12, 1, 11, 0, 0, 250000, UTC)
    assert utc_from_epoch(moment.timestamp()) == utc_text(moment) == event_time("2026-12-01T12:00:00.250+01:00")


def test_no_other_module_of_the_function_formats_or_parses_times() -> None:
    source = Path(__file__).resolve().parents[2] / "lambda_src"
    calls = re.compile(r"\b(isoformat|strftime|strptime|fromtimestamp|fromisoformat|utcnow)\(|datetime\.now\(")
    offenders = [
        f"{path.relative_to(source)}:{number}"
        for path in sorted(source.rglob("*.py"))
        if path.name != "timestamps.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if calls.search(line)
    ]
    assert offenders == []
