"""The SQLite side of downloaded results: one `result_sets` row per download, one `results` row per line.

A set is trusted only when its status is `complete`: a download that was cut off or killed
leaves `downloading` or `failed`, which reads as "not downloaded", and the next download
starts afresh (its rows are replaced in the same transaction that marks it started).

Rows of a download under way go to a staging table private to the connection (a TEMP table:
no lock on the cache, no WAL traffic, gone if the process dies) in the order they arrive, and
`publish` moves them into `results` in one transaction in custom_id order. Results arrive in no
order, and inserting them as they come into `results` (clustered on custom_id) touched pages
all over the table in every transaction: three times the cost of the sort and the ordered insert.
One download at a time per connection (each thread has its own).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from itertools import chain
from typing import Any

from batchdeck.core.store.batch_repo import keep_sort_keys
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
STAGE = "temp.results_stage"  # rows of the download under way, private to the connection
# Rows a statement stages: a third less time than one row a statement, and within the 999
# parameters a statement that SQLite before 3.32 allows.
STAGE_GROUP = 999 // len(ROW_COLUMNS)
_COLUMNS = ", ".join(ROW_COLUMNS)
_ONE = f"({', '.join('?' * len(ROW_COLUMNS))})"
_STAGE_ONE = f"INSERT INTO {STAGE} VALUES {_ONE}"
_STAGE_MANY = f"INSERT INTO {STAGE} VALUES {', '.join([_ONE] * STAGE_GROUP)}"

# A batch's rows summed per (outcome, model) in one scan: its totals (`Totals`) and its usage per model
# (migration 8's `result_usage`: the table spend reports read, written with the set's `complete` mark;
# `begin` and `fail` empty it with the rows) both come from these few groups.
_GROUPS = (
    "SELECT outcome, COALESCE(model, ''), COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(cache_write_tokens), "
    "SUM(cache_read_tokens), SUM(cost_usd), SUM(cost_usd IS NULL) FROM results "
    "WHERE profile = ? AND batch_id = ? GROUP BY 1, 2"
)
_USAGE = "INSERT OR REPLACE INTO result_usage VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


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
class ModelUsage:
    """A batch's `result_usage` row for one model ('' for rows without one): tokens and cost of its succeeded rows."""

    model: str
    requests: int  # succeeded rows
    input_tokens: int
    output_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    cost_usd: float  # at batch prices, over rows with a known price
    unpriced_rows: int  # succeeded rows without a price
    counted: bool  # the model with most succeeded rows: a spend report by model counts the batch under it


@dataclass(frozen=True)
class Totals:
    outcomes: dict[str, int]
    cost: float  # at batch prices, over rows with a known price
    unpriced: int  # succeeded rows whose model has no price
    usage: tuple[ModelUsage, ...]  # per model, what `finish` writes to `result_usage`


class ResultRepo(Repository):
    def begin(self, batch_id: str, path: str, now: str) -> None:
        """Mark a download started, with no rows yet (nor any staged from an earlier one on this connection)."""
        self.conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} ({_COLUMNS})")
        self.conn.execute(f"DELETE FROM {STAGE}")
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM results WHERE profile = ? AND batch_id = ?", (self.profile, batch_id))
            conn.execute("DELETE FROM result_usage WHERE profile = ? AND batch_id = ?", (self.profile, batch_id))
            conn.execute(
                "INSERT OR REPLACE INTO result_sets (profile, batch_id, status, path, started_at) "
                "VALUES (?, ?, 'downloading', ?, ?)",
                (self.profile, batch_id, path, now),
            )
            keep_sort_keys(conn, self.profile, [batch_id])

    def add(self, batch_id: str, rows: Iterable[tuple[Any, ...]]) -> None:
        """Stage rows of the download `begin` started (`batch_id` says which; `publish` makes them rows)."""
        rows = rows if isinstance(rows, Sequence) else list(rows)
        whole = len(rows) - len(rows) % STAGE_GROUP
        self.conn.execute("BEGIN")  # a write to the TEMP table alone: the cache itself stays unlocked
        try:
            self.conn.executemany(_STAGE_MANY, (_flat(rows[i : i + STAGE_GROUP]) for i in range(0, whole, STAGE_GROUP)))
            self.conn.executemany(_STAGE_ONE, rows[whole:])
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def publish(self, batch_id: str) -> None:
        """The staged rows into `results`, in custom_id order, in one transaction; a repeated custom_id
        keeps its last line (as inserting line by line did). Its WAL checkpoint runs beside what follows."""
        with self.db.bulk_transaction() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO results (profile, batch_id, {_COLUMNS}) "
                f"SELECT ?, ?, {_COLUMNS} FROM {STAGE} ORDER BY custom_id, rowid",
                (self.profile, batch_id),
            )
        self.conn.execute(f"DROP TABLE {STAGE}")

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
        usage: Iterable[ModelUsage],
    ) -> None:
        """Mark the set complete with its figures, and write its `usage` per model (`Totals.usage`)."""
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
            conn.executemany(_USAGE, [(self.profile, batch_id, *astuple(u)[:-1], int(u.counted)) for u in usage])
            keep_sort_keys(conn, self.profile, [batch_id])

    def fail(self, batch_id: str, error: str, now: str) -> None:
        self.conn.execute(f"DROP TABLE IF EXISTS {STAGE}")
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM results WHERE profile = ? AND batch_id = ?", (self.profile, batch_id))
            conn.execute("DELETE FROM result_usage WHERE profile = ? AND batch_id = ?", (self.profile, batch_id))
            conn.execute(
                "UPDATE result_sets SET status = 'failed', error = ?, finished_at = ? "
                "WHERE profile = ? AND batch_id = ?",
                (error, now, self.profile, batch_id),
            )
            keep_sort_keys(conn, self.profile, [batch_id])

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
        """Outcome counts, cost and usage per model of a batch's rows, from one scan of them."""
        return totals_of(self.db.conn.execute(_GROUPS, (self.profile, batch_id)).fetchall())

    def outcome_counts(self, batch_id: str) -> dict[str, int]:
        rows = self.db.conn.execute(
            "SELECT outcome, COUNT(*) FROM results WHERE profile = ? AND batch_id = ? GROUP BY outcome",
            (self.profile, batch_id),
        )
        return {outcome: n for outcome, n in rows}


def totals_of(groups: Iterable[Sequence[Any]]) -> Totals:
    """`Totals` from a batch's rows summed per (outcome, model) (`_GROUPS`).

    Only succeeded rows have a model or a cost, so a model's cost is one group's sum (as summing per
    model would give it); the batch's cost is the sum of its models' costs, as a spend report adds them."""
    outcomes: dict[str, int] = {}
    models: dict[str, list[Any]] = {}
    for outcome, model, count, input_, output, write, read, cost, no_cost in groups:
        outcomes[outcome] = outcomes.get(outcome, 0) + count
        succeeded = outcome == "succeeded"
        figures = [int(succeeded) * count, input_, output, write, read, cost, int(succeeded) * no_cost]
        known = models.get(model)
        if known is None:
            models[model] = figures
            continue
        for i, value in enumerate(figures):
            if value is not None:
                known[i] = value if known[i] is None else known[i] + value
    ranked = sorted(models.items(), key=lambda item: (-item[1][0], item[0] == "", item[0]))
    usage = tuple(
        ModelUsage(model, requests, input_, output, write, read, 0.0 if cost is None else cost, unpriced, rank == 0)
        for rank, (model, (requests, input_, output, write, read, cost, unpriced)) in enumerate(ranked)
    )
    return Totals(outcomes, sum(u.cost_usd for u in usage), sum(u.unpriced_rows for u in usage), usage)


def _flat(rows: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
    return tuple(chain.from_iterable(rows))
