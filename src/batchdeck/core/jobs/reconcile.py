"""Settling interrupted creates: which batch, if any, an open intent made.

`reconcile` walks the batch list from the newest batch down to a part's anchor: a batch newer
than the anchor, with the same request count, that no other part has claimed, is that part's
batch and is adopted. The API cannot give back a batch's requests, so request count and the time
window after the anchor are all it can match on. One match is adopted; none means the create
never happened and the part goes back to pending (once it is old enough that the API would list
it); several stop with the candidates named, so a human decides (`adopt`): never a silent second
submission.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from batchdeck.core import timefmt
from batchdeck.core.errors import BatchdeckError
from batchdeck.core.store.job_repo import OPEN_STATES, JobRepo, Submission
from batchdeck.core.sync.walk import ListWalk
from batchdeck.core.workspace import Workspace

PAGE = 100


@dataclass
class Reconciled:
    adopted: list[tuple[int, str]] = field(default_factory=list)  # (part, batch id)
    lost: list[int] = field(default_factory=list)  # parts whose create never happened: pending again
    settling: list[tuple[int, float]] = field(default_factory=list)  # (part, seconds to wait): too recent to say

    def lines(self, job_id: str) -> list[str]:
        out = [f"{job_id} part {p}: adopted {b} (created by an earlier, interrupted run)" for p, b in self.adopted]
        out += [f"{job_id} part {p}: the interrupted create never reached the API; it will be sent" for p in self.lost]
        return out


def record_batch(ws: Workspace, store: JobRepo, sub: Submission, batch: dict[str, Any]) -> None:
    store.update(sub.job_id, sub.part, state="created", batch_id=batch["id"], error=None)
    now = ws.now()
    ws.batches.store([batch], now)
    job = store.job(sub.job_id)
    ws.batches.set_meta(
        batch["id"],
        now,
        source_file=job.source_file if job else None,
        created_by=f"batchdeck {sub.kind} ({sub.job_id} part {sub.part})",
        parent_batch_id=sub.parent_batch_id,
        label=_label(job.name if job else sub.job_id, sub),
    )


def _label(name: str, sub: Submission) -> str:
    """Batches carry no name: the job's name is the label (`nightly · part 2`, `nightly · retry 1`)."""
    parts = [name]
    if sub.kind == "retry":
        parts.append(f"retry {sub.round}")
    if sub.part > 1 and sub.kind != "retry":
        parts.append(f"part {sub.part}")
    return " · ".join(parts)


def reconcile(ws: Workspace, job_id: str, settle_lost: bool = True) -> Reconciled:
    """Settle every open intent of a job against the batches the API lists (see the module doc).

    `settle_lost=False` only adopts: right after a lost answer, a batch the API did make might not
    be listed yet, so "not found" is decided by a later run, not this one."""
    store = ws.jobs
    report = Reconciled()
    open_subs = [s for s in store.submissions(job_id) if s.state in OPEN_STATES]
    if not open_subs:
        return report
    claimed = store.claimed_batches()
    newer = _batches_newer_than(
        ws,
        min(open_subs, key=lambda s: s.anchor_created_at or "").anchor_id or "",
        min((s.anchor_created_at or "") for s in open_subs),
    )
    for sub in open_subs:
        matches = [
            b
            for b in newer
            if b["id"] not in claimed
            and _total(b) == sub.request_count
            and (not sub.anchor_created_at or _created_at(b) >= sub.anchor_created_at)
            and b["id"] != sub.anchor_id
        ]
        if len(matches) > 1:
            shown = ", ".join(b["id"] for b in matches[:5])
            raise BatchdeckError(
                f"{job_id} part {sub.part}: several batches could be the one an interrupted run "
                f"created ({shown}); check them, then adopt one with `batchdeck job reconcile "
                f"{job_id} --adopt {sub.part}=BATCH_ID`; nothing was sent"
            )
        if matches:
            record_batch(ws, store, sub, matches[0])
            claimed.add(matches[0]["id"])
            report.adopted.append((sub.part, matches[0]["id"]))
        elif settle_lost and (wait := _settle_wait(ws, sub)) > 0:
            report.settling.append((sub.part, wait))
        elif settle_lost:
            store.update(job_id, sub.part, state="pending", error="an interrupted create never reached the API")
            report.lost.append(sub.part)
    return report


def _settle_wait(ws: Workspace, sub: Submission) -> float:
    """Seconds until an unmatched intent may be called lost. A create cut short a moment ago may still
    be being made by the API (its upload arrived, the answer did not): deciding too early would send
    it twice."""
    if not sub.intent_at:
        return 0.0
    age = (ws.clock() - timefmt.parse(sub.intent_at)).total_seconds()
    return max(0.0, ws.settings.submit.settle_seconds - age)


def adopt(ws: Workspace, job_id: str, part: int, batch_id: str) -> None:
    """A human's decision: this open part's batch is `batch_id`."""
    store = ws.jobs
    sub = next((s for s in store.submissions(job_id) if s.part == part), None)
    if sub is None or sub.state not in OPEN_STATES:
        raise BatchdeckError(f"{job_id} has no interrupted part {part} to adopt a batch for")
    record_batch(ws, store, sub, ws.api.retrieve(batch_id))


def _created_at(batch: dict[str, Any]) -> str:
    """A listed batch's `created_at` in the stored form, so text order is time order."""
    return timefmt.iso(timefmt.parse(batch["created_at"]))


def _total(batch: dict[str, Any]) -> int:
    return sum(int(v or 0) for v in (batch.get("request_counts") or {}).values())


def _batches_newer_than(ws: Workspace, anchor_id: str, anchor_created_at: str) -> list[dict[str, Any]]:
    """Batches listed above the anchor (newest first); every batch when the workspace had none."""
    found: list[dict[str, Any]] = []
    after: str | None = None
    walk = ListWalk()  # a list that never ends stops with an error
    while True:
        page = ws.api.list_page(limit=PAGE, after_id=after)
        for batch in page.data:
            if (anchor_id and batch["id"] == anchor_id) or (
                anchor_created_at and _created_at(batch) < anchor_created_at
            ):
                return found
            found.append(batch)
        if not page.has_more:
            return found
        after = walk.next_cursor(page)
