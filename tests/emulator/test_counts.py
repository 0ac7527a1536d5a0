"""A seeded batch's `request_counts` are counted without generating its rows: they must say exactly what its
rows end as, one by one (each row's plan, fate and final outcome, as its results line reports it)."""

from __future__ import annotations

import pytest

from batchdeck.emulator import Emulator
from batchdeck.emulator.batch import OUTCOMES, Batch
from batchdeck.emulator.outcomes import Rates, draws, prefixed_draws
from batchdeck.emulator.sources import SyntheticSource, SyntheticSpec, iter_plans

DAY = 86400.0


def row_by_row(batch: Batch) -> dict[str, int]:
    """The reference: every row's plan built and its outcome decided, as the results body does."""
    tally = dict.fromkeys(OUTCOMES, 0)
    for plan, fate in batch.fates():
        tally[batch.outcome(plan, fate)] += 1
    return tally


def test_prefixed_draws_are_the_rows_draws() -> None:
    ids = [f"{i:06d}" for i in (0, 1, 99_999)]
    assert list(prefixed_draws(7, "grade-03-", ids)) == [draws(7, f"grade-03-{i}") for i in ids]


def test_the_demo_counts_equal_its_rows_outcomes() -> None:
    """Every ended batch of the demo (the 100,000-row one, canceled, expired, invalid rows, archived)."""
    with Emulator(speed=0, scenario="demo") as emulator:
        now = emulator.clock.now()
        ended = [b for b in emulator.store.all_batches() if b.status(now) == "ended"]
        assert max(b.count for b in ended) == 100_000
        for batch in ended:
            counts = batch.counts(now)
            assert {k: v for k, v in counts.items() if k != "processing"} == row_by_row(batch), batch.id


@pytest.mark.parametrize(
    ("rates", "invalid_every", "cancel_fraction", "duration", "seen"),
    [
        (Rates(error_rate=0.3), 0, None, 3600.0, {"succeeded", "errored"}),
        (Rates(error_rate=0.1, expire_rate=0.2), 7, None, 3600.0, {"succeeded", "errored", "expired"}),
        (Rates(error_rate=0.2), 5, 0.4, 3600.0, {"succeeded", "errored", "canceled"}),  # canceled part-way
        (Rates(), 3, None, 2 * DAY, {"succeeded", "errored", "expired"}),  # slower than 24 h: late rows expire
    ],
)
def test_counts_equal_the_rows_outcomes_however_the_batch_ended(
    rates: Rates, invalid_every: int, cancel_fraction: float | None, duration: float, seen: set[str]
) -> None:
    spec = SyntheticSpec("row", 2000, invalid_every=invalid_every, too_long_every=11 if invalid_every else 0)
    source = SyntheticSource(spec)
    created = 1_700_000_000.123
    batch = Batch("msgbatch_x", "default", 0, created, duration, source, 42, rates, cancel_latency=30.0)
    if cancel_fraction is not None:
        batch.cancel_initiated_at = created + cancel_fraction * duration
    now = created + 3 * DAY
    assert batch.status(now) == "ended"
    counts = batch.counts(now)
    assert {k: v for k, v in counts.items() if k != "processing"} == row_by_row(batch)
    assert {k for k, v in counts.items() if v} == seen
    assert sum(1 for _ in iter_plans(source)) == sum(counts.values())
    assert list(source.fates(rates, 42)) == [fate for _, fate in batch.fates()]
