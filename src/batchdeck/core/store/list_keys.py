"""The copies of a batch's keys its row keeps for the batch list (migrations 9 and 10): what the LABEL, COST and
LEFT sorts order by and the `/` filter tests, each written in the transaction that changes what it is made of,
so the list's indexes hold them (`core.store.batch_order`) and no sort or count joins another table or computes
them for every row.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from batchdeck.core.batches.phrases import ARCHIVE_DAYS

LEFT_FROM = (
    "(CASE WHEN {deleted} IS NOT NULL OR {archived} IS NOT NULL OR {done} THEN 9e18 "
    "WHEN {status} IN ('in_progress', 'canceling') AND {expires} IS NOT NULL "
    "THEN CAST(round(86400000 * julianday({expires})) AS INTEGER) "
    f"ELSE CAST(round(86400000 * (julianday({{created}}) + {ARCHIVE_DAYS})) AS INTEGER) END)"
)
"""When the LEFT column counts down to, in whole milliseconds: expiry while live, archival after (saved results,
deleted, archived: last), from the values named. Kept on the row (`left_key`, migration 10) by every write of
what it reads: the sync's upsert computes it from the values it writes, the others call `keep_left_key`."""
LEFT_KEY = LEFT_FROM.format(
    deleted="deleted_at",
    archived="archived_at",
    done="results_done",
    status="processing_status",
    expires="expires_at",
    created="created_at",
)
_KEEP_LEFT = (
    f"UPDATE batches SET left_key = {LEFT_KEY} WHERE profile = ?1 AND id IN (SELECT value FROM json_each(?2)) "
    f"AND left_key IS NOT {LEFT_KEY}"
)


def keep_left_key(conn: sqlite3.Connection, profile: str, ids: str) -> None:
    """Bring these batches' `left_key` (`ids` a JSON array) in step with their rows; rows already in step are
    not written."""
    conn.execute(_KEEP_LEFT, (profile, ids))


LABEL_KEY = (
    "(CASE WHEN m.label IS NULL THEN '' WHEN m.label GLOB '*[^ -~]*' THEN bd_lower(m.label) ELSE lower(m.label) END)"
)
"""A label as the list sorts it: lowercased, '' for none (`bd_lower` is Python's lower, for other than ASCII)."""
_SORT_KEYS = f"""
UPDATE batches SET
    label_key = COALESCE((SELECT {LABEL_KEY} FROM batch_meta m WHERE m.profile = batches.profile AND m.batch_id = batches.id), ''),
    cost_key = COALESCE((SELECT r.cost_usd FROM result_sets r WHERE r.profile = batches.profile AND r.batch_id = batches.id), -1.0),
    results_done = COALESCE((SELECT r.status = 'complete' FROM result_sets r
        WHERE r.profile = batches.profile AND r.batch_id = batches.id), 0),
    meta_text = lower(batches.id) || char(31) || COALESCE((SELECT lower(COALESCE(m.label, '') || char(31)
        || COALESCE(m.note, '')) FROM batch_meta m WHERE m.profile = batches.profile AND m.batch_id = batches.id), '')
WHERE profile = ? AND id IN (SELECT value FROM json_each(?))
"""


def keep_sort_keys(conn: sqlite3.Connection, profile: str, ids: Sequence[str]) -> None:
    """Copy these batches' label, cost and whether their results are complete onto their rows, as the list sorts
    them (`label_key`, `cost_key`, `results_done`, migration 9: the LABEL, COST and LEFT sorts' indexes), and their
    id, label and note as the `/` filter tests them (`meta_text`, ASCII-lowercased, joined by char(31)). Call it
    in the transaction that changes a label, a note or a result set."""
    listed = json.dumps(list(ids))
    conn.execute(_SORT_KEYS, (profile, listed))
    keep_left_key(conn, profile, listed)  # a complete result set moves LEFT to the end
