"""Rows of a download under way are staged off the cache (`ResultRepo.add`) and published in one transaction."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from batchdeck.core.store.db import Database
from batchdeck.core.store.result_repo import STAGE_GROUP, ResultRepo

BATCH = "msgbatch_01stagingtest"


def row(custom_id: str, outcome: str = "canceled", offset: int = 0) -> tuple[Any, ...]:
    return (custom_id, outcome, None, None, None, None, 0, 0, 0, 0, None, offset, 10)


def test_staged_rows_show_only_once_published_in_custom_id_order(tmp_path: Path) -> None:
    index = ResultRepo(Database(tmp_path / "cache.db"), "p")
    index.begin(BATCH, "x", "now")
    rows = [row(f"r{i:04d}", offset=i) for i in reversed(range(2 * STAGE_GROUP + 7))]  # whole groups and a rest
    index.add(BATCH, rows[:150])
    index.add(BATCH, iter(rows[150:]))
    assert index.rows(BATCH) == []
    index.publish(BATCH)
    found = index.rows(BATCH)
    assert [r.custom_id for r in found] == sorted(r[0] for r in rows) and len(found) == 2 * STAGE_GROUP + 7
    assert found[0].line_offset == 0 and found[-1].line_offset == 2 * STAGE_GROUP + 6


def test_a_repeated_custom_id_keeps_its_last_line(tmp_path: Path) -> None:
    index = ResultRepo(Database(tmp_path / "cache.db"), "p")
    index.begin(BATCH, "x", "now")
    index.add(BATCH, [row("a", "errored", 0), row("b", offset=10)])
    index.add(BATCH, [row("a", "expired", 20)])
    index.publish(BATCH)
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
    index.publish(BATCH)
    assert len(index.rows(BATCH)) == 500


def test_a_failed_download_leaves_nothing_staged_for_the_next(tmp_path: Path) -> None:
    index = ResultRepo(Database(tmp_path / "cache.db"), "p")
    index.begin(BATCH, "x", "now")
    index.add(BATCH, [row("stale")])
    index.fail(BATCH, "cut off", "now")
    index.begin(BATCH, "x", "now")
    index.add(BATCH, [row("fresh")])
    index.publish(BATCH)
    assert [r.custom_id for r in index.rows(BATCH)] == ["fresh"]


def test_a_failed_staging_leaves_no_transaction_open(tmp_path: Path) -> None:
    index = ResultRepo(Database(tmp_path / "cache.db"), "p")
    index.begin(BATCH, "x", "now")
    with pytest.raises(sqlite3.ProgrammingError):
        index.add(BATCH, [row("ok"), row("short")[:-1]])  # a row one value short: SQLite refuses it
    assert not index.db.conn.in_transaction
    index.fail(BATCH, "cannot stage", "now")
    assert index.result_set(BATCH).status == "failed"  # type: ignore[union-attr]
