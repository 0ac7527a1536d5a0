"""Spend aggregates: one SQL query per report over the batches ended in a range, never a file read.

A batch's cost is its result set's (`result_sets.cost_usd`, written when its results were saved:
the figure `list --json` shows); its tokens and its split by model come from `result_usage`
(filled by `ResultRepo.finish`). Only complete result sets count; ended batches without one are
listed apart (`unknown`). Read-only: the tables it reads are written by their own repositories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from batchdeck.core.store.repository import Repository

TIME_KEYS = {
    "day": "date(b.ended_at{tz})",
    "week": "date(b.ended_at{tz}, '-6 days', 'weekday 1')",  # the Monday that starts its week
    "month": "strftime('%Y-%m', b.ended_at{tz})",
}
OTHER_KEYS = {
    "label": "COALESCE(NULLIF(m.label, ''), '(no label)')",
    "job": (
        "COALESCE((SELECT j.name FROM submissions s JOIN jobs j ON j.profile = s.profile AND j.id = s.job_id "
        "WHERE s.profile = b.profile AND s.batch_id = b.id ORDER BY s.job_id LIMIT 1), '(no job)')"
    ),
    "profile": "b.profile",
}
MODEL_KEY = "CASE WHEN u.model IS NULL OR u.model = '' THEN '(no model)' ELSE u.model END"
BREAKDOWNS = (*TIME_KEYS, "model", *OTHER_KEYS)

_KNOWN = """
SELECT b.profile, b.id, b.ended_at, {key} AS key, r.cost_usd, r.standard_cost_usd, r.unpriced_rows
FROM batches b
JOIN result_sets r ON r.profile = b.profile AND r.batch_id = b.id AND r.status = 'complete'
LEFT JOIN batch_meta m ON m.profile = b.profile AND m.batch_id = b.id
WHERE b.ended_at >= ? AND b.ended_at < ?{only}
"""
_USED = (
    "SUM(u.requests) AS requests, SUM(u.input_tokens) AS input, SUM(u.output_tokens) AS output, "
    "SUM(u.cache_write_tokens) AS cache_write, SUM(u.cache_read_tokens) AS cache_read"
)
# Per group: key, cost, standard cost, batches, requests, the four token counts, unpriced rows.
_BY_BATCH = f"""
WITH known AS MATERIALIZED ({_KNOWN}),
money AS (SELECT key, SUM(cost_usd) AS cost, SUM(standard_cost_usd) AS standard, COUNT(*) AS n,
          SUM(unpriced_rows) AS unpriced FROM known GROUP BY key),
used AS (SELECT k.key, {_USED} FROM known k JOIN result_usage u ON u.profile = k.profile AND u.batch_id = k.id
         GROUP BY k.key)
SELECT money.key, cost, standard, n, requests, input, output, cache_write, cache_read, unpriced FROM money LEFT JOIN used ON used.key = money.key
"""
# By model, a batch's figures split exactly per model; the batch itself is counted once, under the
# model with most of its succeeded requests (ties: the first model by name).
_BY_MODEL = f"""
WITH known AS MATERIALIZED ({_KNOWN}),
per AS (SELECT {MODEL_KEY} AS model_key, u.*, ROW_NUMBER() OVER (PARTITION BY k.profile, k.id
        ORDER BY u.requests DESC, u.model) = 1 AS counted
        FROM known k LEFT JOIN result_usage u ON u.profile = k.profile AND u.batch_id = k.id)
SELECT model_key, SUM(u.cost_usd), SUM(u.cost_usd) / ?, SUM(counted), {_USED}, SUM(u.unpriced_rows)
FROM per u GROUP BY model_key
"""
_UNKNOWN = """
SELECT b.profile, b.id, b.ended_at, b.archived_at, b.deleted_at, b.n_succeeded, m.label, r.status
FROM batches b LEFT JOIN result_sets r ON r.profile = b.profile AND r.batch_id = b.id
LEFT JOIN batch_meta m ON m.profile = b.profile AND m.batch_id = b.id
WHERE b.ended_at >= ? AND b.ended_at < ?{only} AND (r.status IS NULL OR r.status != 'complete')
ORDER BY b.ended_at DESC, b.id DESC
"""


@dataclass(frozen=True)
class UnknownRow:
    """An ended batch whose cost is not known: its result set is missing or not complete."""

    profile: str
    batch_id: str
    ended_at: str
    archived_at: str | None
    deleted_at: str | None
    succeeded: int
    label: str | None
    results_status: str | None  # downloading, failed, or None (never saved)


class SpendRepo(Repository):
    """Reads for spend reports. `by=profile` reads every profile in the cache; the others this profile's."""

    def groups(self, start: str, end: str, by: str, *, utc: bool, discount: float) -> list[tuple[Any, ...]]:
        """(key, cost, standard cost, batches, requests, input, output, cache-write, cache-read tokens,
        unpriced rows) per group of the batches with saved results that ended in [start, end)."""
        if by == "model":
            sql, args = self._known(_BY_MODEL, by, utc, start, end)
            return [tuple(r) for r in self.conn.execute(sql, (*args, discount))]
        sql, args = self._known(_BY_BATCH, by, utc, start, end)
        return [tuple(r) for r in self.conn.execute(sql, args)]

    def group_ids(self, start: str, end: str, by: str, key: str, *, utc: bool) -> list[str]:
        """Ids of the batches in one group, newest ended first; by model, every batch with requests of it."""
        if by == "model":
            body = (
                f"SELECT DISTINCT k.id, k.ended_at FROM known k LEFT JOIN result_usage u "
                f"ON u.profile = k.profile AND u.batch_id = k.id WHERE {MODEL_KEY} = ?"
            )
        else:
            body = "SELECT id, ended_at FROM known WHERE key = ?"
        sql, args = self._known(f"WITH known AS ({_KNOWN}) {body} ORDER BY 2 DESC, 1 DESC", by, utc, start, end)
        return [r[0] for r in self.conn.execute(sql, (*args, key))]

    def unknown(self, start: str, end: str, *, every_profile: bool) -> list[UnknownRow]:
        sql = _UNKNOWN.format(only="" if every_profile else " AND b.profile = ?")
        args: Sequence[str] = (start, end) if every_profile else (start, end, self.profile)
        return [UnknownRow(*r) for r in self.conn.execute(sql, args)]

    def _known(self, template: str, by: str, utc: bool, start: str, end: str) -> tuple[str, tuple[str, ...]]:
        if by not in BREAKDOWNS:
            raise ValueError(f"unknown breakdown {by!r}")
        tz = "" if utc else ", 'localtime'"
        key = TIME_KEYS[by].format(tz=tz) if by in TIME_KEYS else OTHER_KEYS.get(by, "NULL")
        every_profile = by == "profile"
        sql = template.replace("{key}", key).replace("{only}", "" if every_profile else " AND b.profile = ?")
        return sql, (start, end) if every_profile else (start, end, self.profile)
