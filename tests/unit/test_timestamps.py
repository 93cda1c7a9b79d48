"""webhook.timestamps: strict ISO-8601 / RFC 3339 date-times and the fixed UTC format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from webhook.timestamps import event_time, parse_datetime, utc_from_epoch


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
