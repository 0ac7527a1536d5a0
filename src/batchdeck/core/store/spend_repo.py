"""Spend aggregates: one SQL query per report over the batches ended in a range, never a file read.

The figures come from `result_usage` (migration 8): a few rows per batch, written from its saved
results in the transaction that marks its result set complete and writes the set's cost (the
`cost_usd` that `list --json` shows), so a batch has usage rows exactly when its cost is known,
and their costs add up to it. Ended batches without them are listed apart (`unknown`). Read-only:
every table read here is written by its own repository.
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
    "model": "CASE u.model WHEN '' THEN '(no model)' ELSE u.model END",
    "label": "COALESCE(NULLIF(m.label, ''), '(no label)')",
    "job": (
        "COALESCE((SELECT j.name FROM submissions s JOIN jobs j ON j.profile = s.profile AND j.id = s.job_id "
        "WHERE s.profile = b.profile AND s.batch_id = b.id ORDER BY s.job_id LIMIT 1), '(no job)')"
    ),
    "profile": "b.profile",
}
BREAKDOWNS = (*TIME_KEYS, *OTHER_KEYS)

# The usage rows of the batches ended in [start, end); {meta} joins the labels when the key needs them.
_USAGE = """
FROM batches b JOIN result_usage u ON u.profile = b.profile AND u.batch_id = b.id{meta}
WHERE b.ended_at >= ? AND b.ended_at < ?{only}
"""
# Per group: key, cost, standard cost, batches, requests, the four token counts, unpriced rows. A batch
# is counted once, on its `counted` row (by model: under the model of most of its succeeded requests).
_GROUPS = """
SELECT {key} AS key, SUM(u.cost_usd), SUM(u.cost_usd) / ?, SUM(u.counted), SUM(u.requests), SUM(u.input_tokens),
    SUM(u.output_tokens), SUM(u.cache_write_tokens), SUM(u.cache_read_tokens), SUM(u.unpriced_rows)
"""
_IDS = (
    "SELECT b.id FROM (SELECT b.id, MAX(b.ended_at) AS ended_at, {key} AS key, MAX(u.requests > 0 OR u.counted) AS used"
)
_UNKNOWN = """
WITH gone AS MATERIALIZED (
    SELECT b.profile, b.id FROM batches b WHERE b.ended_at >= ? AND b.ended_at < ?{only}
    AND NOT EXISTS (SELECT 1 FROM result_usage u WHERE u.profile = b.profile AND u.batch_id = b.id))
SELECT b.profile, b.id, b.ended_at, b.archived_at, b.deleted_at, b.n_succeeded, m.label, r.status
FROM gone g JOIN batches b ON b.profile = g.profile AND b.id = g.id
LEFT JOIN result_sets r ON r.profile = b.profile AND r.batch_id = b.id
LEFT JOIN batch_meta m ON m.profile = b.profile AND m.batch_id = b.id
WHERE r.status IS NULL OR r.status != 'complete'
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
        key = self._key(by, utc)
        sql, args = self._usage(_GROUPS.format(key=key) + _USAGE + " GROUP BY 1", by, start, end)
        return [tuple(r) for r in self.conn.execute(sql, (discount, *args))]

    def group_ids(self, start: str, end: str, by: str, key: str, *, utc: bool) -> list[str]:
        """Ids of the batches in one group, newest ended first; by model, every batch with requests of it
        (or counted under it)."""
        body = _IDS.format(key=self._key(by, utc)) + _USAGE + " GROUP BY b.id, 3) b WHERE key = ? AND used"
        sql, args = self._usage(body + " ORDER BY ended_at DESC, id DESC", by, start, end)
        return [r[0] for r in self.conn.execute(sql, (*args, key))]

    def unknown(self, start: str, end: str, *, every_profile: bool) -> list[UnknownRow]:
        """Ended batches in [start, end) without usage rows (no complete saved results), newest first."""
        sql = _UNKNOWN.format(only="" if every_profile else " AND b.profile = ?")
        args: Sequence[str] = (start, end) if every_profile else (start, end, self.profile)
        return [UnknownRow(*r) for r in self.conn.execute(sql, args)]

    def _key(self, by: str, utc: bool) -> str:
        if by in TIME_KEYS:
            return TIME_KEYS[by].format(tz="" if utc else ", 'localtime'")
        if by in OTHER_KEYS:
            return OTHER_KEYS[by]
        raise ValueError(f"unknown breakdown {by!r}")

    def _usage(self, template: str, by: str, start: str, end: str) -> tuple[str, tuple[str, ...]]:
        every_profile = by == "profile"
        meta = " LEFT JOIN batch_meta m ON m.profile = b.profile AND m.batch_id = b.id" if by == "label" else ""
        sql = template.replace("{meta}", meta).replace("{only}", "" if every_profile else " AND b.profile = ?")
        return sql, (start, end) if every_profile else (start, end, self.profile)
