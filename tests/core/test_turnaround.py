"""The turnaround model: similar-sized history first, nearest sizes when there is little of it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from batchdeck.core.sync.turnaround import estimate
from batchdeck.core.timefmt import ago, parse_since, span


def test_no_history_no_estimate() -> None:
    assert estimate([], 100) is None


def test_similar_sizes_are_used() -> None:
    history = [(100, 60.0), (120, 80.0), (90, 70.0), (50_000, 7200.0), (60_000, 9000.0), (80, 65.0)]
    guess = estimate(history, 100)
    assert guess is not None
    assert guess.based_on == 4 and guess.typical_seconds == pytest.approx(67.5)
    assert guess.slow_seconds == 80.0 and (guess.smallest, guess.largest) == (80, 120)
    big = estimate(history, 55_000)
    assert big is not None and big.typical_seconds > 5000


def test_sparse_history_falls_back_to_nearest() -> None:
    guess = estimate([(10, 30.0), (100_000, 5000.0)], 50)
    assert guess is not None and guess.based_on == 2


def test_spans_and_since() -> None:
    assert [span(s) for s in (5, 125, 3 * 3600 + 300, 3 * 86400 + 7200)] == ["5s", "2m", "3h 05m", "3d 2h"]
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert ago(datetime(2026, 11, 23, 11, tzinfo=UTC), now) == "1h 00m ago"
    assert parse_since("36h", now) == datetime(2026, 11, 22, 0, tzinfo=UTC)
    assert parse_since("2026-11-01", now) == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="cannot read --since"):
        parse_since("last tuesday", now)
