"""`core.timefmt`: API timestamps, the stored form, spans and `--since`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from batchdeck.core.timefmt import ago, canonical, coarse, coarse_ago, iso, parse, parse_since, span

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_parse_reads_z_and_offsets_as_utc() -> None:
    assert parse("2026-11-01T12:00:00Z") == NOW
    assert parse("2026-11-01T14:30:00+02:30") == NOW
    assert parse("2026-11-01T12:00:00.5Z").microsecond == 500_000


def test_the_stored_form_sorts_as_time_does() -> None:
    values = ["2026-11-01T12:00:00Z", "2026-11-01T11:59:59.999+00:00", "2026-11-01T13:00:00.1+02:00"]
    stored = [canonical(v) for v in values]
    assert stored == ["2026-11-01T12:00:00.000000Z", "2026-11-01T11:59:59.999000Z", "2026-11-01T11:00:00.100000Z"]
    assert sorted(stored) == [canonical(v) for v in sorted(values, key=parse)]
    assert canonical(None) is None
    assert iso(datetime(2026, 11, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))) == "2026-11-01T12:00:00.000000Z"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (59.9, "59s"),
        (60, "1m"),
        (3599, "59m"),
        (3600, "1h 00m"),
        (47 * 3600 + 59 * 60, "47h 59m"),
        (48 * 3600, "2d 0h"),
        (-90, "1m"),
        (9 * 86400 + 5 * 3600, "9d 5h"),
    ],
)
def test_span(seconds: float, text: str) -> None:
    assert span(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45, "45s"), (119, "1m"), (3599, "59m"), (3600, "1h"), (2 * 86400 - 1, "47h"), (2 * 86400, "2d"), (-7200, "2h")],
)
def test_coarse_keeps_one_unit(seconds: float, text: str) -> None:
    assert coarse(seconds) == text


def test_ago_and_in() -> None:
    assert ago(NOW - timedelta(hours=3, minutes=5), NOW) == "3h 05m ago"
    assert ago(NOW + timedelta(minutes=8), NOW) == "in 8m"
    assert coarse_ago(NOW - timedelta(hours=3, minutes=5), NOW) == "3h ago"
    assert coarse_ago(NOW + timedelta(hours=8), NOW) == "in 8h"


@pytest.mark.parametrize(
    ("value", "back"),
    [("90m", timedelta(minutes=90)), ("36h", timedelta(hours=36)), (" 7D ", timedelta(days=7)), ("2w", timedelta(14))],
)
def test_since_spans(value: str, back: timedelta) -> None:
    assert parse_since(value, NOW) == NOW - back


def test_since_dates_and_extremes() -> None:
    assert parse_since("2026-10-01", NOW) == datetime(2026, 10, 1, tzinfo=UTC)
    assert parse_since("2026-10-01T10:00:00+02:00", NOW) == datetime(2026, 10, 1, 8, tzinfo=UTC)
    assert parse_since("99999999999999w", NOW) == datetime.min.replace(tzinfo=UTC)


@pytest.mark.parametrize("value", ["yesterday", "1e5h", "٣h", "-3h", ""])
def test_since_refuses_what_it_cannot_read(value: str) -> None:
    with pytest.raises(ValueError, match=r"cannot read --since .*use a span like 36h"):
        parse_since(value, NOW)
