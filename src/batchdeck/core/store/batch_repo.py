"""Reading and writing one profile's batches and local metadata in the cache.

Sync writes a page of batches and its progress marker in one transaction, so an interrupted
sync resumes where it stopped and never leaves a half-written page.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from batchdeck.core.batches.models import LIVE_STATUSES, CachedBatch
from batchdeck.core.errors import UsageError
from batchdeck.core.ids import is_batch_id
from batchdeck.core.store.batch_order import FAILED
from batchdeck.core.store.list_keys import LEFT_FROM, keep_left_key, keep_sort_keys
from batchdeck.core.store.repository import Repository
from batchdeck.core.terminal_text import visible
from batchdeck.core.timefmt import canonical

_SELECT = """
SELECT b.*, m.label, m.note, m.tags, m.source_file, m.created_by, m.parent_batch_id,
       r.status AS results_status, r.cost_usd, r.standard_cost_usd, r.unpriced_rows
FROM batches b LEFT JOIN batch_meta m ON m.profile = b.profile AND m.batch_id = b.id
LEFT JOIN result_sets r ON r.profile = b.profile AND r.batch_id = b.id
"""
BATCH_SELECT = _SELECT  # a batch with its metadata and results columns (core.store.batch_pages reads pages of it)
TIME_KEY = "CAST(round(86400000 * (julianday({ended}) - julianday({created}))) AS INTEGER)"
"""An ended batch's run time in whole milliseconds (the TIME sort's key, `time_key`, migration 10)."""
# LEFT's key from the values the upsert writes (a batch the API shows is not deleted; its results are as saved)
_LEFT_INSERTED = LEFT_FROM.format(deleted="NULL", archived="?13", done="0", status="?3", expires="?10", created="?9")
_LEFT_UPDATED = LEFT_FROM.format(
    deleted="NULL",
    archived="excluded.archived_at",
    done="batches.results_done",
    status="excluded.processing_status",
    expires="excluded.expires_at",
    created="batches.created_at",
)
_UPSERT = f"""
INSERT INTO batches (profile, id, processing_status, n_processing, n_succeeded, n_errored, n_canceled,
    n_expired, created_at, expires_at, ended_at, cancel_initiated_at, archived_at, results_url, raw_json,
    first_seen_at, refreshed_at, deleted_at, time_key, meta_text, left_key)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, NULL,
    CASE WHEN ?11 IS NULL THEN NULL ELSE {TIME_KEY.format(ended="?11", created="?9")} END, lower(?2) || char(31),
    {_LEFT_INSERTED})
ON CONFLICT (profile, id) DO UPDATE SET
    processing_status = excluded.processing_status, n_processing = excluded.n_processing,
    n_succeeded = excluded.n_succeeded, n_errored = excluded.n_errored, n_canceled = excluded.n_canceled,
    n_expired = excluded.n_expired, expires_at = excluded.expires_at, ended_at = excluded.ended_at,
    cancel_initiated_at = excluded.cancel_initiated_at, archived_at = excluded.archived_at,
    results_url = excluded.results_url, raw_json = excluded.raw_json, refreshed_at = excluded.refreshed_at,
    deleted_at = NULL, time_key = CASE WHEN excluded.ended_at IS NULL THEN NULL
        ELSE {TIME_KEY.format(ended="excluded.ended_at", created="batches.created_at")} END,
    left_key = {_LEFT_UPDATED}
WHERE batches.raw_json IS NOT excluded.raw_json OR batches.deleted_at IS NOT NULL
"""
"""A batch as the API last showed it. A row the API shows as before is left as it is: rewriting it would
rewrite its entries in every index of the list, for each of the 1,000 batches of the page each poll lists
(its `refreshed_at` is set apart, `_SEEN`)."""
_SEEN = "UPDATE batches SET refreshed_at = ?1 WHERE profile = ?2 AND id IN (SELECT value FROM json_each(?3))"
META_FIELDS = ("label", "note", "tags", "source_file", "created_by", "parent_batch_id")


@dataclass(frozen=True)
class SyncState:
    full_walk_done: bool = False
    walk_cursor: str | None = None
    last_attempt_at: str | None = None
    last_success_at: str | None = None
    last_error: str | None = None
    head_id: str | None = None  # newest batch seen by the last finished sync


def _row(profile: str, batch: dict[str, Any], now: str) -> tuple[Any, ...]:
    counts = batch.get("request_counts") or {}
    return (
        profile,
        batch["id"],
        batch["processing_status"],
        *(int(counts.get(k) or 0) for k in ("processing", "succeeded", "errored", "canceled", "expired")),
        canonical(batch["created_at"]),
        canonical(batch.get("expires_at")),
        canonical(batch.get("ended_at")),
        canonical(batch.get("cancel_initiated_at")),
        canonical(batch.get("archived_at")),
        batch.get("results_url"),
        json.dumps(batch, separators=(",", ":")),
        now,
        now,
    )


class BatchRepo(Repository):
    # -- batches ------------------------------------------------------------------------------
    def store(
        self,
        batches: Sequence[dict[str, Any]],
        now: str,
        *,
        cursor: str | None = None,
        walk_done: bool | None = None,
        head_id: str | None = None,
    ) -> None:
        """Upsert batches (and, for a sync walk, its progress) in one transaction."""
        with self.db.transaction() as conn:
            ids = json.dumps([b["id"] for b in batches])
            cached = conn.execute(
                "SELECT json_group_array(id) FROM batches WHERE profile = ? AND id IN (SELECT value FROM json_each(?))",
                (self.profile, ids),
            ).fetchone()[0]
            conn.executemany(_UPSERT, [_row(self.profile, b, now) for b in batches])
            conn.execute(_SEEN, (now, self.profile, ids))
            if not all(is_batch_id(b["id"]) for b in batches):  # the sync refuses them; check it all again
                self._ensure_state(conn)
                conn.execute("UPDATE sync_state SET ids_checked = 0 WHERE profile = ?", (self.profile,))
            new = json.dumps(sorted({b["id"] for b in batches}.difference(json.loads(cached))))
            known = conn.execute(  # a new batch labelled first (a submit) or a rebuild's: it sorts by what is known
                "SELECT batch_id FROM batch_meta WHERE profile = ?1 "
                "AND batch_id IN (SELECT value FROM json_each(?2)) "
                "UNION SELECT batch_id FROM result_sets WHERE profile = ?1 AND batch_id IN (SELECT value FROM json_each(?2))",
                (self.profile, new),
            ).fetchall()
            if known:
                keep_sort_keys(conn, self.profile, [str(r[0]) for r in known])
            if cursor is not None or walk_done is not None or head_id is not None:
                self._ensure_state(conn)
                if head_id is not None:
                    conn.execute("UPDATE sync_state SET head_id = ? WHERE profile = ?", (head_id, self.profile))
                if cursor is not None:
                    conn.execute("UPDATE sync_state SET walk_cursor = ? WHERE profile = ?", (cursor, self.profile))
                if walk_done:
                    conn.execute(
                        "UPDATE sync_state SET full_walk_done = 1, walk_cursor = NULL WHERE profile = ?",
                        (self.profile,),
                    )

    def forget_malformed_ids(self) -> list[str]:
        """Remove batches whose id is not well formed (stored before ids were checked at entry): such an
        id must never become a path or a URL. Local metadata stays. Returns the ids removed. The profile's
        batches are read once (`sync_state.ids_checked`, migration 10), not at every sync: a read of every id
        of a long history each poll (0.14 s at 100,000), while `store` says when an id it wrote needs one."""
        checked = "SELECT ids_checked FROM sync_state WHERE profile = ?"
        found = self.conn.execute(checked, (self.profile,)).fetchone()
        if found is not None and found[0]:
            return []
        with self.db.transaction() as conn:  # no store in between: the ids read are the ids marked checked
            rows = conn.execute(
                "SELECT id FROM batches WHERE profile = ? AND (substr(id, 1, 9) != 'msgbatch_' OR length(id) < 10 "
                "OR length(id) > 209 OR substr(id, 10) GLOB '*[^A-Za-z0-9_-]*')",
                (self.profile,),
            ).fetchall()
            bad = [str(r["id"]) for r in rows if not is_batch_id(r["id"])]
            conn.executemany("DELETE FROM batches WHERE profile = ? AND id = ?", [(self.profile, i) for i in bad])
            self._ensure_state(conn)
            conn.execute("UPDATE sync_state SET ids_checked = 1 WHERE profile = ?", (self.profile,))
        return bad

    def mark_deleted(self, ids: Iterable[str], now: str) -> int:
        ids = list(ids)
        with self.db.transaction() as conn:
            conn.executemany(
                "UPDATE batches SET deleted_at = ? WHERE profile = ? AND id = ? AND deleted_at IS NULL",
                [(now, self.profile, i) for i in ids],
            )
            keep_left_key(conn, self.profile, json.dumps(ids))
        return len(ids)

    def get(self, batch_id: str) -> CachedBatch | None:
        row = self.conn.execute(_SELECT + " WHERE b.profile = ? AND b.id = ?", (self.profile, batch_id)).fetchone()
        return CachedBatch.from_row(row) if row else None

    def resolve(self, text: str) -> str:
        """A full batch id from an id, a unique prefix, or the part after `msgbatch_`.

        Only a well-formed id comes back (it becomes a URL path and a file name), even when a cache
        written by an older version holds a malformed one."""
        text = text.strip()
        if not text:
            raise UsageError("empty batch id")
        pattern = text if text.startswith("msgbatch_") else f"msgbatch_{text}"
        if not is_batch_id(pattern):
            raise UsageError(
                f"{visible(text)[:80]!r} is not a batch id: ids are msgbatch_ followed by letters, digits, _ and -"
            )
        if self.get(pattern):
            return pattern
        rows = self.conn.execute(
            "SELECT id FROM batches WHERE profile = ? AND id >= ? AND id < ? LIMIT 6",
            (self.profile, pattern, pattern + "\uffff"),
        ).fetchall()
        ids = [str(r["id"]) for r in rows if is_batch_id(r["id"])]
        if len(ids) == 1:
            return ids[0]
        if len(ids) > 1:
            shown = ", ".join(ids[:5])
            raise UsageError(
                f"{text!r} matches several batches ({shown}{', …' if len(ids) > 5 else ''}); give more of the id"
            )
        return pattern  # not cached: let the API say whether it exists (`01Hz…` means `msgbatch_01Hz…`)

    def query(
        self,
        statuses: set[str] | None = None,
        since: str | None = None,
        limit: int | None = None,
        include_deleted: bool = False,
    ) -> list[CachedBatch]:
        sql = _SELECT + " WHERE b.profile = ?"
        args: list[Any] = [self.profile]
        if not include_deleted:
            sql += " AND b.deleted_at IS NULL"
        if since:
            sql += " AND b.created_at >= ?"
            args.append(since)
        if statuses:  # in SQL: a long history is never read whole for its few live batches
            tests, named = _status_tests(statuses)
            sql += f" AND ({tests})"
            args += named
        sql += " ORDER BY b.created_at DESC, b.id DESC"
        if limit:
            sql += " LIMIT ?"
            args.append(limit)
        return [CachedBatch.from_row(r) for r in self.conn.execute(sql, args)]

    def unended(self) -> list[tuple[str, str]]:
        """(id, created_at) of batches not yet ended and not deleted, least recently refreshed first
        (so refreshes that keep failing part-way still reach every batch over a few syncs)."""
        rows = self.conn.execute(
            "SELECT id, created_at FROM batches WHERE profile = ? AND processing_status != 'ended' "
            "AND deleted_at IS NULL ORDER BY refreshed_at ASC, created_at DESC",
            (self.profile,),
        )
        return [(r["id"], r["created_at"]) for r in rows]

    def known(self, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        marks = ",".join("?" * len(ids))
        rows = self.conn.execute(f"SELECT id FROM batches WHERE profile = ? AND id IN ({marks})", (self.profile, *ids))
        return {r["id"] for r in rows}

    def live_ids_not_after(self, newest: str) -> set[str]:
        """Non-deleted ids created at or before `newest`."""
        rows = self.conn.execute(
            "SELECT id FROM batches WHERE profile = ? AND deleted_at IS NULL AND created_at <= ?",
            (self.profile, newest),
        )
        return {r["id"] for r in rows}

    def ids_created_between(self, oldest: str | None, newest: str | None) -> set[str]:
        """Non-deleted ids created strictly inside (oldest, newest); None leaves that side open."""
        sql = "SELECT id FROM batches WHERE profile = ? AND deleted_at IS NULL"
        args: list[Any] = [self.profile]
        if newest is not None:
            sql += " AND created_at < ?"
            args.append(newest)
        if oldest is not None:
            sql += " AND created_at > ?"
            args.append(oldest)
        return {r["id"] for r in self.conn.execute(sql, args)}

    def count_created_between(self, oldest: str, newest: str) -> int:
        """Non-deleted batches created in [oldest, newest): how many a list walk passes between the two."""
        row = self.conn.execute(
            "SELECT count(*) AS n FROM batches WHERE profile = ? AND deleted_at IS NULL "
            "AND created_at >= ? AND created_at < ?",
            (self.profile, oldest, newest),
        ).fetchone()
        return int(row["n"])

    def ended_durations(self) -> list[tuple[int, float]]:
        """(request total, seconds from created to ended) of batches that ended by themselves."""
        rows = self.conn.execute(
            "SELECT n_succeeded + n_errored + n_canceled + n_expired AS total, "
            "(julianday(ended_at) - julianday(created_at)) * 86400.0 AS seconds FROM batches "
            "WHERE profile = ? AND processing_status = 'ended' AND ended_at IS NOT NULL "
            "AND cancel_initiated_at IS NULL AND n_expired = 0",
            (self.profile,),
        )
        return [(r["total"], r["seconds"]) for r in rows]

    def clear_batches(self) -> None:
        """Forget the API's data for this profile (local metadata stays)."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM batches WHERE profile = ?", (self.profile,))
            conn.execute("DELETE FROM sync_state WHERE profile = ?", (self.profile,))

    # -- sync state ---------------------------------------------------------------------------
    def _ensure_state(self, conn: sqlite3.Connection) -> None:
        conn.execute("INSERT OR IGNORE INTO sync_state (profile) VALUES (?)", (self.profile,))

    def sync_state(self) -> SyncState:
        row = self.conn.execute("SELECT * FROM sync_state WHERE profile = ?", (self.profile,)).fetchone()
        if row is None:
            return SyncState()
        return SyncState(
            bool(row["full_walk_done"]),
            row["walk_cursor"],
            row["last_attempt_at"],
            row["last_success_at"],
            row["last_error"],
            row["head_id"],
        )

    def restart_walk(self) -> None:
        """Make the next sync a full walk from the top (`sync --full`)."""
        with self.db.transaction() as conn:
            self._ensure_state(conn)
            conn.execute(
                "UPDATE sync_state SET full_walk_done = 0, walk_cursor = NULL WHERE profile = ?", (self.profile,)
            )

    def record_sync(self, attempt_at: str, error: str | None, head_id: str | None = None) -> None:
        with self.db.transaction() as conn:
            self._ensure_state(conn)
            if error is None:
                conn.execute(
                    "UPDATE sync_state SET last_attempt_at = ?, last_success_at = ?, last_error = NULL, "
                    "head_id = COALESCE(?, head_id) WHERE profile = ?",
                    (attempt_at, attempt_at, head_id, self.profile),
                )
            else:
                conn.execute(
                    "UPDATE sync_state SET last_attempt_at = ?, last_error = ? WHERE profile = ?",
                    (attempt_at, error, self.profile),
                )

    def clock_skew(self) -> float | None:
        """The API's clock minus ours in seconds, as last measured (None: never measured)."""
        row = self.conn.execute("SELECT clock_skew FROM sync_state WHERE profile = ?", (self.profile,)).fetchone()
        return None if row is None or row["clock_skew"] is None else float(row["clock_skew"])

    def record_clock_skew(self, seconds: float) -> None:
        with self.db.transaction() as conn:
            self._ensure_state(conn)
            conn.execute("UPDATE sync_state SET clock_skew = ? WHERE profile = ?", (seconds, self.profile))

    # -- local metadata -----------------------------------------------------------------------
    def set_meta(self, batch_id: str, now: str, **fields: Any) -> None:
        unknown = set(fields) - set(META_FIELDS)
        if unknown:
            raise ValueError(f"unknown metadata field {sorted(unknown)[0]!r}")
        if "tags" in fields:
            fields["tags"] = json.dumps(list(fields["tags"]))
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO batch_meta (profile, batch_id, updated_at) VALUES (?, ?, ?)",
                (self.profile, batch_id, now),
            )
            assignments = ", ".join(f"{k} = ?" for k in fields)
            conn.execute(
                f"UPDATE batch_meta SET {assignments}, updated_at = ? WHERE profile = ? AND batch_id = ?",
                (*fields.values(), now, self.profile, batch_id),
            )
            if "label" in fields or "note" in fields:
                keep_sort_keys(conn, self.profile, [batch_id])


def _status_tests(statuses: set[str]) -> tuple[str, list[Any]]:
    """Status filters as SQL and their arguments: the API's statuses, plus `live` (in progress or canceling, not
    deleted: `CachedBatch.is_live`) and `failed` (ended with rows not succeeded)."""
    api = sorted(statuses - {"live", "failed"})
    tests, args = [f"b.processing_status IN ({', '.join('?' * len(api))})"] if api else [], list(api)
    if "live" in statuses:
        tests.append(f"(b.deleted_at IS NULL AND b.processing_status IN ({', '.join('?' * len(LIVE_STATUSES))}))")
        args += LIVE_STATUSES
    if "failed" in statuses:
        tests.append(f"(b.processing_status = 'ended' AND {FAILED} > 0)")
    return " OR ".join(tests), args


STATUS_FILTERS = ("in_progress", "canceling", "ended", "live", "failed")
