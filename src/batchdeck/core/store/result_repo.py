"""The SQLite side of downloaded results: one `result_sets` row per download, one `results` row per line.

A set is trusted only when its status is `complete`: a download that was cut off or killed
leaves `downloading` or `failed`, which reads as "not downloaded", and the next download
starts afresh (its rows are replaced in the same transaction that marks it started).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from batchdeck.core.store.repository import Repository

ROW_COLUMNS = (
    "custom_id",
    "outcome",
    "error_type",
    "error_message",
    "stop_reason",
    "model",
    "input_tokens",
    "output_tokens",
    "cache_write_tokens",
    "cache_read_tokens",
    "cost_usd",
    "line_offset",
    "line_length",
)

# Usage per model of one batch (migration 8), written with its set's `complete` mark: the table spend
# reports read (`spend_repo`), a few rows per batch. `begin` and `fail` empty it with the rows.
_USAGE = (
    "INSERT OR REPLACE INTO result_usage SELECT profile, batch_id, COALESCE(model, ''), SUM(outcome = 'succeeded'), "
    "SUM(input_tokens), SUM(output_tokens), SUM(cache_write_tokens), SUM(cache_read_tokens), "
    "COALESCE(SUM(cost_usd), 0.0), SUM(outcome = 'succeeded' AND cost_usd IS NULL), "
    "ROW_NUMBER() OVER (ORDER BY SUM(outcome = 'succeeded') DESC, COALESCE(model, '') = '', COALESCE(model, '')) = 1 "
    "FROM results WHERE profile = ? AND batch_id = ? GROUP BY COALESCE(model, '')"
)


@dataclass(frozen=True)
class ResultSet:
    batch_id: str
    status: str
    path: str | None
    bytes: int
    rows: int
    malformed: int
    malformed_lines: tuple[int, ...]
    cost_usd: float | None
    standard_cost_usd: float | None
    unpriced_rows: int
    started_at: str
    finished_at: str | None
    error: str | None

    @property
    def complete(self) -> bool:
        return self.status == "complete"


@dataclass(frozen=True)
class ResultRow:
    custom_id: str
    outcome: str
    error_type: str | None
    error_message: str | None
    stop_reason: str | None
    model: str | None
    input_tokens: int
    output_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    cost_usd: float | None
    line_offset: int
    line_length: int

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ROW_COLUMNS}


@dataclass(frozen=True)
class Totals:
    outcomes: dict[str, int]
    cost: float  # at batch prices, over rows with a known price
    unpriced: int  # succeeded rows whose model has no price


class ResultRepo(Repository):
    def begin(self, batch_id: str, path: str, now: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM results WHERE profile = ? AND batch_id = ?", (self.profile, batch_id))
            conn.execute("DELETE FROM result_usage WHERE profile = ? AND batch_id = ?", (self.profile, batch_id))
            conn.execute(
                "INSERT OR REPLACE INTO result_sets (profile, batch_id, status, path, started_at) "
                "VALUES (?, ?, 'downloading', ?, ?)",
                (self.profile, batch_id, path, now),
            )

    def add(self, batch_id: str, rows: Sequence[tuple[Any, ...]]) -> None:
        marks = ", ".join("?" * (len(ROW_COLUMNS) + 2))
        with self.db.transaction() as conn:
            conn.executemany(
                f"INSERT OR REPLACE INTO results (profile, batch_id, {', '.join(ROW_COLUMNS)}) VALUES ({marks})",
                [(self.profile, batch_id, *row) for row in rows],
            )

    def finish(
        self,
        batch_id: str,
        now: str,
        *,
        size: int,
        rows: int,
        malformed_lines: list[int],
        malformed: int,
        cost: float | None,
        standard: float | None,
        unpriced: int,
    ) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE result_sets SET status = 'complete', bytes = ?, rows = ?, malformed = ?, malformed_lines = ?, "
                "cost_usd = ?, standard_cost_usd = ?, unpriced_rows = ?, finished_at = ?, error = NULL "
                "WHERE profile = ? AND batch_id = ?",
                (
                    size,
                    rows,
                    malformed,
                    json.dumps(malformed_lines),
                    cost,
                    standard,
                    unpriced,
                    now,
                    self.profile,
                    batch_id,
                ),
            )
            conn.execute(_USAGE, (self.profile, batch_id))

    def fail(self, batch_id: str, error: str, now: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM results WHERE profile = ? AND batch_id = ?", (self.profile, batch_id))
            conn.execute("DELETE FROM result_usage WHERE profile = ? AND batch_id = ?", (self.profile, batch_id))
            conn.execute(
                "UPDATE result_sets SET status = 'failed', error = ?, finished_at = ? "
                "WHERE profile = ? AND batch_id = ?",
                (error, now, self.profile, batch_id),
            )

    def result_set(self, batch_id: str) -> ResultSet | None:
        row = self.db.conn.execute(
            "SELECT * FROM result_sets WHERE profile = ? AND batch_id = ?", (self.profile, batch_id)
        ).fetchone()
        if row is None:
            return None
        return ResultSet(
            row["batch_id"],
            row["status"],
            row["path"],
            row["bytes"],
            row["rows"],
            row["malformed"],
            tuple(json.loads(row["malformed_lines"])),
            row["cost_usd"],
            row["standard_cost_usd"],
            row["unpriced_rows"],
            row["started_at"],
            row["finished_at"],
            row["error"],
        )

    def rows(
        self, batch_id: str, where: tuple[str, Sequence[Any]] = ("", ()), limit: int | None = None
    ) -> list[ResultRow]:
        """Rows in custom_id order that the conditions `where` keep (at most `limit`); all rows by default.

        `where` is `ResultFilter.where()` (core.results.filter), the one filter language of the CLI and the TUI."""
        conditions, params = where
        sql = f"SELECT {', '.join(ROW_COLUMNS)} FROM results WHERE profile = ? AND batch_id = ?{conditions} ORDER BY custom_id"
        args: list[Any] = [self.profile, batch_id, *params]
        if limit:
            sql += " LIMIT ?"
            args.append(limit)
        return [ResultRow(*r) for r in self.db.conn.execute(sql, args)]

    def totals(self, batch_id: str) -> Totals:
        rows = self.db.conn.execute(
            "SELECT outcome, COUNT(*), SUM(cost_usd), SUM(outcome = 'succeeded' AND cost_usd IS NULL) FROM results "
            "WHERE profile = ? AND batch_id = ? GROUP BY outcome",
            (self.profile, batch_id),
        ).fetchall()
        return Totals({r[0]: r[1] for r in rows}, sum(r[2] or 0.0 for r in rows), sum(r[3] or 0 for r in rows))

    def outcome_counts(self, batch_id: str) -> dict[str, int]:
        rows = self.db.conn.execute(
            "SELECT outcome, COUNT(*) FROM results WHERE profile = ? AND batch_id = ? GROUP BY outcome",
            (self.profile, batch_id),
        )
        return {outcome: n for outcome, n in rows}
