"""The SQLite side of downloaded results: one `result_sets` row per download, one `results` row per line.

A set is trusted only when its status is `complete`: a download that was cut off or killed
leaves `downloading` or `failed`, which reads as "not downloaded", and the next download
starts afresh (its rows are replaced in the same transaction that marks it started).

Rows of a download under way go to a staging table private to the connection (a TEMP table:
no lock on the cache, no WAL traffic, gone if the process dies) in the order they arrive, and
`publish` moves them into `results` in one transaction in custom_id order. Results arrive in no
order, and inserting them as they come into `results` (clustered on custom_id) touched pages
all over the table in every transaction: three times the cost of the sort and the ordered insert.
A staged row carries its token counts (cache writes split by lifetime, `STAGE_COLUMNS`) but no cost:
`publish` prices every row in the same statement, from a TEMP table of the models the rows name (each
priced once by the `PriceBook`), with `pricing._standard`'s formula in the same order on the same doubles,
so the figure is the `PriceBook.batch_cost` one exactly; that arithmetic runs inside SQLite, not per row
in Python. One download at a time per connection (each thread has its own).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from itertools import chain
from operator import itemgetter
from typing import Any

from batchdeck.core.errors import BatchdeckError
from batchdeck.core.spend.pricing import BATCH_DISCOUNT, PriceBook
from batchdeck.core.store.list_keys import keep_sort_keys
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
# A staged row (`ResultRepo.add`, `ingest.index_row`): a row's columns but its cost, its cache writes by lifetime.
STAGE_COLUMNS = (
    "custom_id",
    "outcome",
    "error_type",
    "error_message",
    "stop_reason",
    "model",
    "input_tokens",
    "output_tokens",
    "cache_write_5m",
    "cache_write_1h",
    "cache_read_tokens",
    "line_offset",
    "line_length",
)
STAGE = "temp.results_stage"  # rows of the download under way, private to the connection
STAGE_MODELS = "temp.results_stage_models"  # the models they name, for `publish` to price
STAGE_PRICES = "temp.results_stage_prices"  # those models' rates per token (`Price.rates`), by `publish`
# Rows a statement stages: a third less time than one row a statement, and within the 999
# parameters a statement that SQLite before 3.32 allows.
STAGE_GROUP = 999 // len(STAGE_COLUMNS)
_COLUMNS = ", ".join(ROW_COLUMNS)
_ONE = f"({', '.join('?' * len(STAGE_COLUMNS))})"
_STAGE_ONE = f"INSERT INTO {STAGE} VALUES {_ONE}"
_STAGE_MANY = f"INSERT INTO {STAGE} VALUES {', '.join([_ONE] * STAGE_GROUP)}"
# Every count is an INTEGER (a Python int beyond 64 bits is refused when bound), and so is the
# cache writes' sum that `publish` stores: SQLite would turn a sum past 2**63 into a REAL unseen, so
# a row with one is refused here instead (the 5-minute writes are never below 0: no sum under -2**63).
_WRITES_FIT = "CHECK (cache_write_5m + cache_write_1h <= 9223372036854775807)"
_MODEL = itemgetter(STAGE_COLUMNS.index("model"))
# `pricing._standard` times BATCH_DISCOUNT, term by term in its order: each count (an INTEGER) times a
# REAL rate is a REAL, as Python's int times float is a float, so both compute on the same doubles.
# A row whose model has no price (or none: not succeeded) joins no rates, and its cost is NULL.
_COST = (
    "(s.input_tokens * p.input + s.output_tokens * p.output + s.cache_write_5m * p.write_5m "
    "+ s.cache_write_1h * p.write_1h + s.cache_read_tokens * p.read) / ? * ?"
)
_PUBLISH = (
    f"INSERT OR REPLACE INTO results (profile, batch_id, {_COLUMNS}) "
    "SELECT ?, ?, s.custom_id, s.outcome, s.error_type, s.error_message, s.stop_reason, s.model, s.input_tokens, "
    f"s.output_tokens, s.cache_write_5m + s.cache_write_1h, s.cache_read_tokens, {_COST}, s.line_offset, "
    f"s.line_length FROM {STAGE} AS s LEFT JOIN {STAGE_PRICES} AS p ON p.model = s.model ORDER BY s.custom_id, s.rowid"
)

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
        self.conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} ({', '.join(STAGE_COLUMNS)}, {_WRITES_FIT})")
        self.conn.execute(f"DELETE FROM {STAGE}")
        # No column affinity: a model matches its price only when the values are equal, as in a dict.
        self.conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE_MODELS} (model PRIMARY KEY)")
        self.conn.execute(f"DELETE FROM {STAGE_MODELS}")
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
        """Stage rows (`STAGE_COLUMNS`) of the download `begin` started (`batch_id` says which; `publish`
        makes them rows)."""
        rows = rows if isinstance(rows, Sequence) else list(rows)
        whole = len(rows) - len(rows) % STAGE_GROUP
        models = [(m,) for m in set(map(_MODEL, rows)) if m is not None]
        self.conn.execute("BEGIN")  # a write to the TEMP tables alone: the cache itself stays unlocked
        try:
            self.conn.executemany(_STAGE_MANY, (_flat(rows[i : i + STAGE_GROUP]) for i in range(0, whole, STAGE_GROUP)))
            self.conn.executemany(_STAGE_ONE, rows[whole:])
            self.conn.executemany(f"INSERT OR IGNORE INTO {STAGE_MODELS} VALUES (?)", models)
            self.conn.execute("COMMIT")
        except BaseException as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(exc, OverflowError | sqlite3.IntegrityError):
                raise BatchdeckError(f"a result of {batch_id} counts more tokens than the cache can hold") from exc
            raise

    def publish(self, batch_id: str, prices: PriceBook) -> None:
        """The staged rows into `results`, priced by `prices`, in custom_id order, in one transaction; a
        repeated custom_id keeps its last line (as inserting line by line did). Its WAL checkpoint runs
        beside what follows."""
        self.conn.execute(f"DROP TABLE IF EXISTS {STAGE_PRICES}")
        self.conn.execute(
            f"CREATE TEMP TABLE {STAGE_PRICES} (model PRIMARY KEY, input, output, write_5m, write_1h, read) WITHOUT ROWID"
        )
        known = ((model, prices.price(model)) for (model,) in self.conn.execute(f"SELECT model FROM {STAGE_MODELS}"))
        self.conn.executemany(
            f"INSERT INTO {STAGE_PRICES} VALUES (?, ?, ?, ?, ?, ?)",
            [(model, *price.rates) for model, price in list(known) if price is not None],
        )
        with self.db.bulk_transaction() as conn:
            conn.execute(_PUBLISH, (self.profile, batch_id, 1e6, BATCH_DISCOUNT))
        self._drop_stage()

    def _drop_stage(self) -> None:
        for table in (STAGE, STAGE_MODELS, STAGE_PRICES):
            self.conn.execute(f"DROP TABLE IF EXISTS {table}")

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
        self._drop_stage()
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
