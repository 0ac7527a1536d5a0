"""`batchdeck attach ID FILE`: index a batch's original request file by custom_id, without copying it.

For batches not submitted through batchdeck. The index keeps (offset, length) of each line,
plus the file's size and modification time: a file changed since it was attached is refused
rather than read at the wrong offsets. Attaching makes the batch the first part of a job
(when it is in none yet), so resubmission and the merged view work as for submitted jobs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from batchdeck.core.errors import BatchdeckError
from batchdeck.core.jobs.input_check import (
    check_all,
    check_request,
    jsonl_lines,
    jsonl_lines_with_offsets,
    require_file,
)
from batchdeck.core.workspace import Workspace

SHOWN_MISSING = 10


@dataclass(frozen=True)
class AttachReport:
    batch_id: str
    path: Path
    requests: int
    job_id: str
    missing: tuple[str, ...]  # custom_ids in the batch's results but not in the file
    checked_against_results: bool

    def summary_lines(self) -> list[str]:
        lines = [f"attached {self.path} to {self.batch_id}: {self.requests:,} requests indexed ({self.job_id})"]
        if self.missing:
            shown = ", ".join(self.missing[:SHOWN_MISSING])
            more = f" and {len(self.missing) - SHOWN_MISSING} more" if len(self.missing) > SHOWN_MISSING else ""
            lines.append(f"{len(self.missing):,} custom_id(s) of the batch are not in the file: {shown}{more}")
        elif not self.checked_against_results:
            lines.append("the batch has not ended: its custom_ids will be checked against the file when it has")
        return lines


def attach(ws: Workspace, batch_id: str, path: Path) -> AttachReport:
    from batchdeck.core.batches.changes import refresh_batch
    from batchdeck.core.results.download import ensure_downloaded

    path = path.resolve()
    require_file(path)
    check_all(jsonl_lines(str(path))).raise_if_bad(str(path))
    batch = refresh_batch(ws, batch_id)  # the batch must exist, and whether it has ended decides the check below
    rows: list[tuple[str, int, int]] = []
    for offset, length, raw in jsonl_lines_with_offsets(str(path)):
        entry, _ = check_request("", raw)
        assert entry is not None
        rows.append((entry.custom_id, offset, length))
    stat = path.stat()
    with ws.db.transaction() as conn:
        conn.execute("DELETE FROM attached_requests WHERE profile = ? AND batch_id = ?", (ws.profile.name, batch_id))
        conn.execute(
            "INSERT OR REPLACE INTO attachments (profile, batch_id, path, size, mtime_ns, request_count, "
            "attached_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (ws.profile.name, batch_id, str(path), stat.st_size, stat.st_mtime_ns, len(rows), ws.now()),
        )
        conn.executemany(
            "INSERT OR REPLACE INTO attached_requests (profile, batch_id, custom_id, line_offset, "
            "line_length) VALUES (?, ?, ?, ?, ?)",
            [(ws.profile.name, batch_id, *r) for r in rows],
        )
    in_file = {r[0] for r in rows}
    batch_ids: list[str] = sorted(in_file)
    checked = batch.processing_status == "ended"
    missing: list[str] = []
    if checked:
        ensure_downloaded(ws, batch_id)
        batch_ids = [r.custom_id for r in ws.results.rows(batch_id)]
        missing = [c for c in batch_ids if c not in in_file]
    store = ws.jobs
    job_id = store.job_of_batch(batch_id)
    if job_id is None:
        job = store.new_job(f"attached {path.name}", str(path), None, len(batch_ids), ws.now())
        store.add_submissions(
            job.id, [("attached", 0, None, batch_ids, 0)], ws.now(), state="created", batch_id=batch_id
        )
        job_id = job.id
    ws.batches.set_meta(batch_id, ws.now(), source_file=str(path))
    return AttachReport(batch_id, path, len(rows), job_id, tuple(missing), checked)


def attached_lines(ws: Workspace, batch_id: str, custom_ids: Sequence[str]) -> dict[str, bytes]:
    """The lines of the attached file for these custom_ids (absent when not in the file)."""
    row = ws.db.conn.execute(
        "SELECT path, size, mtime_ns FROM attachments WHERE profile = ? AND batch_id = ?", (ws.profile.name, batch_id)
    ).fetchone()
    if row is None:
        return {}
    path = Path(row[0])
    try:
        stat = path.stat()
    except OSError:
        raise BatchdeckError(
            f"the request file attached to {batch_id} ({path}) is gone; attach it again with "
            f"`batchdeck attach {batch_id} FILE`"
        ) from None
    if (stat.st_size, stat.st_mtime_ns) != (row[1], row[2]):
        raise BatchdeckError(
            f"{path} changed since it was attached to {batch_id}; attach it again with "
            f"`batchdeck attach {batch_id} {path}`"
        )
    wanted = set(custom_ids)
    spots = [
        (cid, off, n)
        for cid, off, n in ws.db.conn.execute(
            "SELECT custom_id, line_offset, line_length FROM attached_requests WHERE profile = ? AND batch_id = ?",
            (ws.profile.name, batch_id),
        )
        if cid in wanted
    ]
    found: dict[str, bytes] = {}
    with open(path, "rb") as fh:
        for cid, offset, length in sorted(spots, key=lambda s: s[1]):
            fh.seek(offset)
            found[cid] = fh.read(length)
    return found


def attachment_path(ws: Workspace, batch_id: str) -> str | None:
    row = ws.db.conn.execute(
        "SELECT path FROM attachments WHERE profile = ? AND batch_id = ?", (ws.profile.name, batch_id)
    ).fetchone()
    return row[0] if row else None
