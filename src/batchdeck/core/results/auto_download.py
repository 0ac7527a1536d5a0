"""Which ended batches still need their results saved locally, most urgent first.

Anthropic keeps results 29 days after a batch was created; a batch whose copy is missing is
downloaded while it still can be, oldest (nearest to the archive) first. A download that
failed is tried again after a pause rather than on every poll. An id not of the API's shape
is never offered (it could never name a file; the sync reports such ids).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from batchdeck.core.batches.phrases import ARCHIVE_DAYS
from batchdeck.core.ids import is_batch_id
from batchdeck.core.timefmt import iso
from batchdeck.core.workspace import Workspace

RETRY_FAILED_AFTER = timedelta(minutes=15)


def pending_downloads(ws: Workspace, now: datetime, limit: int = 50) -> list[str]:
    """Ids of ended, undeleted, unarchived batches with no complete local copy (and no recent failure)."""
    rows = ws.db.conn.execute(
        "SELECT b.id FROM batches b LEFT JOIN result_sets r ON r.profile = b.profile AND r.batch_id = b.id "
        "WHERE b.profile = ? AND b.processing_status = 'ended' AND b.deleted_at IS NULL AND b.archived_at IS NULL "
        "AND b.created_at > ? AND (r.status IS NULL OR r.status = 'downloading' "
        "OR (r.status = 'failed' AND r.finished_at < ?)) "
        "ORDER BY b.created_at ASC LIMIT ?",
        (ws.profile.name, iso(now - timedelta(days=ARCHIVE_DAYS)), iso(now - RETRY_FAILED_AFTER), limit),
    )
    return [r["id"] for r in rows if is_batch_id(r["id"])]
