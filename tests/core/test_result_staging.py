"""Rows of a download under way are staged off the cache (`ResultRepo.add`) and published in one transaction."""

from __future__ import annotations

import json
import math
import random
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from batchdeck.core.errors import BatchdeckError
from batchdeck.core.results.ingest import IngestReport, LineIndexer, ingest
from batchdeck.core.spend.pricing import PriceBook, Usage
from batchdeck.core.store import db as db_module
from batchdeck.core.store.db import Database
from batchdeck.core.store.result_repo import STAGE_GROUP, ResultRepo

BATCH = "msgbatch_01stagingtest"


PRICES = PriceBook({"claude-ünïcode": {"input": 0.7, "output": 2.9, "cache_read": 0.03}})


def row(custom_id: str, outcome: str = "canceled", offset: int = 0) -> tuple[Any, ...]:
    """A staged row (`STAGE_COLUMNS`) of a result that is not billed."""
    return (custom_id, outcome, None, None, None, None, 0, 0, 0, 0, 0, offset, 10)


def test_staged_rows_show_only_once_published_in_custom_id_order(tmp_path: Path) -> None:
    index = ResultRepo(Database(tmp_path / "cache.db"), "p")
    index.begin(BATCH, "x", "now")
    rows = [row(f"r{i:04d}", offset=i) for i in reversed(range(2 * STAGE_GROUP + 7))]  # whole groups and a rest
    index.add(BATCH, rows[:150])
    index.add(BATCH, iter(rows[150:]))
    assert index.rows(BATCH) == []
    index.publish(BATCH, PRICES)
    found = index.rows(BATCH)
    assert [r.custom_id for r in found] == sorted(r[0] for r in rows) and len(found) == 2 * STAGE_GROUP + 7
    assert found[0].line_offset == 0 and found[-1].line_offset == 2 * STAGE_GROUP + 6


def test_a_repeated_custom_id_keeps_its_last_line(tmp_path: Path) -> None:
    index = ResultRepo(Database(tmp_path / "cache.db"), "p")
    index.begin(BATCH, "x", "now")
    index.add(BATCH, [row("a", "errored", 0), row("b", offset=10)])
    index.add(BATCH, [row("a", "expired", 20)])
    index.publish(BATCH, PRICES)
    assert [(r.custom_id, r.outcome, r.line_offset) for r in index.rows(BATCH)] == [
        ("a", "expired", 20),
        ("b", "canceled", 10),
    ]


def test_staging_needs_no_write_lock_on_the_cache(tmp_path: Path) -> None:
    """Another process may write the cache all through a download: only `publish` takes its write lock."""
    path = tmp_path / "cache.db"
    index = ResultRepo(Database(path), "p")
    index.db.conn.execute("PRAGMA busy_timeout=100")  # a regression fails fast, not after 10 s
    index.begin(BATCH, "x", "now")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # holds the cache's write lock
    other.execute("INSERT INTO sync_state (profile) VALUES ('someone else')")
    index.add(BATCH, [row(f"r{i}") for i in range(500)])
    other.execute("COMMIT")
    index.publish(BATCH, PRICES)
    assert len(index.rows(BATCH)) == 500


def test_a_failed_download_leaves_nothing_staged_for_the_next(tmp_path: Path) -> None:
    index = ResultRepo(Database(tmp_path / "cache.db"), "p")
    index.begin(BATCH, "x", "now")
    index.add(BATCH, [row("stale")])
    index.fail(BATCH, "cut off", "now")
    index.begin(BATCH, "x", "now")
    index.add(BATCH, [row("fresh")])
    index.publish(BATCH, PRICES)
    assert [r.custom_id for r in index.rows(BATCH)] == ["fresh"]


def test_a_failed_staging_leaves_no_transaction_open(tmp_path: Path) -> None:
    index = ResultRepo(Database(tmp_path / "cache.db"), "p")
    index.begin(BATCH, "x", "now")
    with pytest.raises(sqlite3.ProgrammingError):
        index.add(BATCH, [row("ok"), row("short")[:-1]])  # a row one value short: SQLite refuses it
    assert not index.db.conn.in_transaction
    index.fail(BATCH, "cannot stage", "now")
    assert index.result_set(BATCH).status == "failed"  # type: ignore[union-attr]


# What `totals` and `finish` ran before they shared one scan (`result_repo._GROUPS`): the reference.
OLD_TOTALS = (
    "SELECT outcome, COUNT(*), SUM(cost_usd), SUM(outcome = 'succeeded' AND cost_usd IS NULL) FROM results "
    "WHERE profile = ? AND batch_id = ? GROUP BY outcome"
)
OLD_USAGE = (
    "SELECT profile, batch_id, COALESCE(model, ''), SUM(outcome = 'succeeded'), "
    "SUM(input_tokens), SUM(output_tokens), SUM(cache_write_tokens), SUM(cache_read_tokens), "
    "COALESCE(SUM(cost_usd), 0.0), SUM(outcome = 'succeeded' AND cost_usd IS NULL), "
    "ROW_NUMBER() OVER (ORDER BY SUM(outcome = 'succeeded') DESC, COALESCE(model, '') = '', COALESCE(model, '')) = 1 "
    "FROM results WHERE profile = ? AND batch_id = ? GROUP BY COALESCE(model, '')"
)


def succeeded(custom_id: str, model: str | None, n: int, offset: int = 0) -> tuple[Any, ...]:
    return (custom_id, "succeeded", None, None, "end_turn", model, n, 2 * n, n % 7, n % 3, n % 5, offset, 10)


def mixed_rows(seed: int) -> list[tuple[Any, ...]]:
    """Several models (one unpriced, one empty, one missing), every outcome, a repeated custom_id."""
    rng = random.Random(seed)
    models = ["claude-opus-4-1", "claude-haiku-4-5-20251001", "claude-ünïcode", "claude-unheard-of", "", None]
    rows: list[tuple[Any, ...]] = []
    for i in range(3000):
        model = rng.choice(models)
        if rng.random() < 0.1:
            rows.append(row(f"r{i:05d}", rng.choice(["errored", "canceled", "expired"]), offset=i))
        else:
            rows.append(succeeded(f"r{i:05d}", model, rng.choice([rng.randrange(10**6), 1, 0]), offset=i))
    rows.append(succeeded("r00007", "claude-opus-4-1", 5, offset=9999))  # the last line wins
    rng.shuffle(rows[:-1])
    return rows


@pytest.mark.parametrize("seed", range(4))
def test_totals_and_usage_from_one_scan_equal_the_separate_queries(tmp_path: Path, seed: int) -> None:
    index = ResultRepo(Database(tmp_path / "cache.db"), "p")
    index.begin(BATCH, "x", "now")
    index.add(BATCH, mixed_rows(seed))
    index.publish(BATCH, PRICES)
    conn = index.db.conn
    old = conn.execute(OLD_TOTALS, ("p", BATCH)).fetchall()
    expected_usage = [tuple(r) for r in conn.execute(OLD_USAGE, ("p", BATCH))]
    totals = index.totals(BATCH)
    assert totals.outcomes == {r[0]: r[1] for r in old} and sum(totals.outcomes.values()) == 3000
    assert totals.unpriced == sum(r[3] for r in old) > 0
    assert totals.cost == pytest.approx(sum(r[2] or 0.0 for r in old), rel=1e-12)  # per model, then added
    assert totals.cost == sum(u.cost_usd for u in totals.usage)
    index.finish(
        BATCH, "now", size=1, rows=3001, malformed_lines=[], malformed=0, cost=1.0, standard=2.0,
        unpriced=totals.unpriced, usage=totals.usage,
    )  # fmt: skip
    written = [tuple(r) for r in conn.execute("SELECT * FROM result_usage ORDER BY model")]
    assert written == sorted(expected_usage, key=lambda r: r[2])  # exactly: the same sums, the same counted row
    assert sum(r[10] for r in written) == 1 and len(written) == 5  # four models and the rows without one


def test_a_batch_with_no_rows_has_zero_totals_and_no_usage(tmp_path: Path) -> None:
    index = ResultRepo(Database(tmp_path / "cache.db"), "p")
    index.begin(BATCH, "x", "now")
    index.publish(BATCH, PRICES)
    totals = index.totals(BATCH)
    assert (totals.outcomes, totals.cost, totals.unpriced, totals.usage) == ({}, 0, 0, ())


def test_publish_leaves_its_checkpoint_to_a_thread_and_restores_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cache.db"
    index = ResultRepo(Database(path), "p")
    index.begin(BATCH, "x", "now")
    long = "e" * 300
    index.add(BATCH, [(*row(f"r{i:05d}", "errored", i)[:3], long, *row("")[4:]) for i in range(20_000)])
    asked: list[Path] = []
    monkeypatch.setattr(db_module, "_checkpoint", asked.append)
    size = path.stat().st_size
    index.publish(BATCH, PRICES)
    for thread in threading.enumerate():
        if thread.name == "batchdeck-checkpoint":
            thread.join(10)
    assert path.stat().st_size == size  # the commit copied nothing into the file: the pages wait in the WAL
    assert asked == [path] and index.db.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    monkeypatch.undo()
    db_module._checkpoint(path)  # what the thread runs
    assert path.stat().st_size > size + 20_000 * 300
    other = sqlite3.connect(path)
    assert other.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 20_000
    other.close()


def test_a_refused_bulk_transaction_restores_the_checkpoint_setting(tmp_path: Path) -> None:
    db = Database(tmp_path / "cache.db")
    with pytest.raises(sqlite3.OperationalError), db.bulk_transaction() as conn:
        conn.execute("INSERT INTO no_such_table VALUES (1)")
    assert not db.conn.in_transaction
    assert db.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000


# Prices as a config may set them: an override of a default, a new model, a partial override, and
# values a config accepts that no price should have (SQLite, like the binding of a NaN, stores no NaN).
BOOK = PriceBook(
    {
        "claude-sonnet-4-5": {"input": 2.5, "output": 12.1, "cache_read": 0.33},
        "claude-custom-1": {"input": 0.3, "output": 1.7, "cache_read": 0.07},
        "claude-haiku-3-5": {"input": 0.1},
        "claude-inf": {"input": float("inf")},
        "claude-nan": {"output": float("nan")},
    }
)
MODELS = [
    "claude-opus-4-1",  # integer prices
    "claude-haiku-4-5-20251001",  # a dated id: its alias's price
    "claude-haiku-4-5-"
    + "\uff12\uff10\uff12\uff15\uff11\uff10\uff10\uff11",  # fullwidth: 8 digits to str.isdigit, the alias
    "claude-sonnet-4-5",
    "claude-sonnet-4-5-20250929",  # a dated id of an overridden model
    "claude-custom-1",
    "claude-haiku-3-5",
    "claude-inf",
    "claude-nan",
    "claude-unheard-of",
    "claude-unheard-of-20251001",
    "",
    None,
]
BIG = 2**63 - 1
USAGES: list[Any] = [
    None,
    {},
    {"input_tokens": 0, "output_tokens": 0},
    {"input_tokens": 1200, "output_tokens": 345},
    {"input_tokens": 3, "output_tokens": 7, "cache_creation_input_tokens": 1000, "cache_read_input_tokens": 77},
    {
        "input_tokens": 10,
        "output_tokens": 20,
        "cache_creation_input_tokens": 1000,
        "cache_read_input_tokens": 77,
        "cache_creation": {"ephemeral_5m_input_tokens": 700, "ephemeral_1h_input_tokens": 300},
    },
    {"cache_creation_input_tokens": 5, "cache_creation": {"ephemeral_1h_input_tokens": 9}},  # 1h above the total
    {"input_tokens": "12", "output_tokens": 3.9, "cache_read_input_tokens": True},  # int(value or 0)
    {"input_tokens": -5, "output_tokens": 1},
    {"input_tokens": 2**53 + 1, "output_tokens": 10**17 + 3, "cache_read_input_tokens": 123456789123456789},
    {"input_tokens": BIG, "output_tokens": BIG, "cache_creation_input_tokens": BIG, "cache_read_input_tokens": BIG},
    {"cache_creation_input_tokens": BIG, "cache_creation": {"ephemeral_1h_input_tokens": BIG - 1}},
    {"input_tokens": -BIG - 1, "cache_creation_input_tokens": 3, "cache_creation": {"ephemeral_1h_input_tokens": -7}},
]


def result_line(custom_id: str, model: str | None, usage: Any) -> bytes:
    message = {"model": model, "stop_reason": "end_turn", "content": [], "usage": usage}
    return json.dumps({"custom_id": custom_id, "result": {"type": "succeeded", "message": message}}).encode() + b"\n"


def test_publish_prices_each_row_exactly_as_batch_cost(tmp_path: Path) -> None:
    """The cost SQLite computes is `PriceBook.batch_cost`'s float, bit for bit, for every model and usage."""
    lines = {f"m{m:02d}u{u:02d}": (model, usage) for m, model in enumerate(MODELS) for u, usage in enumerate(USAGES)}
    body = b"".join(result_line(custom_id, model, usage) for custom_id, (model, usage) in lines.items())
    index = ResultRepo(Database(tmp_path / "cache.db"), "p")
    index.begin(BATCH, "x", "now")
    report = IngestReport(BATCH, Path("x"))
    ingest([body[i : i + 4096] for i in range(0, len(body), 4096)], LineIndexer(report), lambda r: index.add(BATCH, r))
    index.publish(BATCH, BOOK)
    rows = {r.custom_id: r for r in index.rows(BATCH)}
    assert len(rows) == len(lines) and report.malformed == 0
    priced = 0
    for custom_id, (model, usage) in lines.items():
        found, usage_ = rows[custom_id], Usage.from_api(usage or {})
        expected = BOOK.batch_cost(model, usage_)
        if expected is not None and math.isnan(expected):
            expected = None  # what storing the float gave: SQLite holds no NaN
        assert found.cost_usd == expected or (found.cost_usd, expected) == (None, None), (custom_id, model, usage)
        assert type(found.cost_usd) is type(expected)
        assert (found.input_tokens, found.output_tokens, found.cache_read_tokens) == (
            usage_.input,
            usage_.output,
            usage_.cache_read,
        )
        assert found.cache_write_tokens == usage_.cache_write_5m + usage_.cache_write_1h
        priced += expected is not None
    assert priced > len(USAGES) * 7  # most models priced: not a vacuous comparison


@pytest.mark.parametrize(
    "usage",
    [
        {"input_tokens": 2**63},  # beyond SQLite's integers
        {"cache_creation_input_tokens": 2**63 - 1, "cache_creation": {"ephemeral_1h_input_tokens": -1}},
        {"cache_creation_input_tokens": 2**62, "cache_creation": {"ephemeral_1h_input_tokens": -(2**62)}},  # 5m: 2**63
    ],
)
def test_a_count_the_cache_cannot_hold_fails_the_staging_clearly(tmp_path: Path, usage: dict[str, Any]) -> None:
    """Never stored rounded or as a REAL unseen: refused with one clear line, and nothing is left open."""
    index = ResultRepo(Database(tmp_path / "cache.db"), "p")
    index.begin(BATCH, "x", "now")
    indexer = LineIndexer(IngestReport(BATCH, Path("x")))
    staged = indexer.feed(result_line("huge", "claude-opus-4-1", usage))
    with pytest.raises(BatchdeckError, match="counts more tokens than the cache can hold"):
        index.add(BATCH, staged)
    assert not index.db.conn.in_transaction


def test_a_count_of_infinity_is_a_malformed_line() -> None:
    report = IngestReport(BATCH, Path("x"))
    indexer = LineIndexer(report)
    rows = indexer.feed(
        b'{"custom_id":"inf","result":{"type":"succeeded","message":{"usage":{"input_tokens":1e400}}}}\n'
    )
    assert rows == [] and (report.malformed, report.malformed_lines) == (1, [1])
