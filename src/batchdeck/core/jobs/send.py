"""Sending a job's parts as batches, crash-safe: an intent before each create, reconciled after.

For each pending part: note the newest batch of the workspace (the *anchor*), commit the
intent (`state = intent`, anchor, time), call create once (no SDK retries: see
`BatchesApi.create`), then record the batch id. A crash between intent and record, an
answer lost on the way back (timeout, dropped connection), or an answer that is not a batch
(the API may have made one all the same) leaves the intent open (`uncertain`). Before
anything is sent again, `reconcile` walks the batch list from the newest batch down to the
anchor: a batch newer than the anchor, with the same request count, that no
other part has claimed, is that part's batch and is adopted. The API cannot give back a
batch's requests, so request count and the time window after the anchor are all it can
match on. One match is adopted; none means the create never happened and the part goes
back to pending; several stop with the candidates named, so a human decides (never a
silent second submission). A lock file keeps two batchdeck processes from sending at once, and
before anything is sent every open intent of the profile (of any job) is settled, so at most one
create is ever unsettled: a later batch of the same size can never be taken for an earlier one.
"""

from __future__ import annotations

import fcntl
import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from batchdeck.core import timefmt
from batchdeck.core.errors import ApiFailure, BatchdeckError
from batchdeck.core.jobs.attach import attached_lines
from batchdeck.core.store.job_repo import OPEN_STATES, JobStore, Submission
from batchdeck.core.sync.walk import ListWalk
from batchdeck.core.timefmt import canonical
from batchdeck.core.workspace import Workspace

RETRYABLE = (429, 503, 529)  # the API answered and did not create: safe to send again
PAGE = 100


@dataclass
class Hooks:
    """Test seams: called right after the intent is committed / right after create returns."""

    after_intent: Callable[[], None] | None = None
    after_create: Callable[[], None] | None = None


HOOKS = Hooks()


@dataclass
class Reconciled:
    adopted: list[tuple[int, str]] = field(default_factory=list)  # (part, batch id)
    lost: list[int] = field(default_factory=list)  # parts whose create never happened: pending again
    settling: list[tuple[int, float]] = field(default_factory=list)  # (part, seconds to wait): too recent to say

    def lines(self, job_id: str) -> list[str]:
        out = [f"{job_id} part {p}: adopted {b} (created by an earlier, interrupted run)" for p, b in self.adopted]
        out += [f"{job_id} part {p}: the interrupted create never reached the API; it will be sent" for p in self.lost]
        return out


class Busy(BatchdeckError):
    """Another batchdeck process holds the sending lock of the profile."""


class Uncertain(BatchdeckError):
    """A create whose answer was lost and whose batch could not be found yet."""


@contextmanager
def sending_lock(ws: Workspace) -> Iterator[None]:
    path = ws.db.path.parent / f"send-{ws.profile.name}.lock"
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise Busy(
                "another batchdeck process is submitting in this profile; try again when it has finished"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def load_lines(ws: Workspace, store: JobStore, job_id: str, custom_ids: Sequence[str]) -> dict[str, bytes]:
    """Original request lines: the job's own store first, then any attached request file."""
    found = store.request_lines(job_id, custom_ids)
    missing = [c for c in custom_ids if c not in found]
    for sub in store.submissions(job_id):
        if not missing:
            break
        if sub.kind == "attached" and sub.batch_id:
            found.update(attached_lines(ws, sub.batch_id, missing))
            missing = [c for c in missing if c not in found]
    return found


def _requests(ws: Workspace, store: JobStore, sub: Submission) -> list[dict[str, Any]]:
    ids = store.custom_ids(sub.job_id, sub.part)
    lines = load_lines(ws, store, sub.job_id, ids)
    missing = [c for c in ids if c not in lines]
    if missing:
        raise BatchdeckError(
            f"{sub.job_id} part {sub.part}: the original requests of {len(missing)} custom_id(s) "
            f"are no longer available (first: {missing[0]}); nothing was sent"
        )
    return [json.loads(lines[c]) for c in ids]


def _record(ws: Workspace, store: JobStore, sub: Submission, batch: dict[str, Any]) -> None:
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


def _create(ws: Workspace, requests: list[dict[str, Any]]) -> dict[str, Any]:
    """One create; API answers that certainly created nothing (429/503/529) are retried a few times."""
    retries = ws.settings.sync.max_retries
    for attempt in range(retries + 1):
        try:
            return ws.api.create(requests)
        except ApiFailure as failure:
            if failure.status not in RETRYABLE or attempt == retries:
                raise
            time.sleep(min(failure.retry_after or 0.5 * 2**attempt, 30.0))
    raise AssertionError("unreachable")


def is_uncertain(failure: ApiFailure) -> bool:
    """The create may have happened: no answer (timeout, dropped connection), a 500/502/504, or an answer
    that is not a batch (`malformed`: whatever the API did, its answer cannot say which batch it made)."""
    return failure.kind in ("network", "malformed") or failure.status in (500, 502, 504)


def _send_one(ws: Workspace, store: JobStore, sub: Submission) -> str:
    requests = _requests(ws, store, sub)
    page = ws.api.list_page(limit=1)
    anchor = page.data[0] if page.data else None
    store.update(
        sub.job_id,
        sub.part,
        state="intent",
        anchor_id=anchor["id"] if anchor else "",
        anchor_created_at=canonical(anchor["created_at"]) if anchor else None,
        intent_at=ws.now(),
        error=None,
    )
    if HOOKS.after_intent:
        HOOKS.after_intent()
    try:
        batch = _create(ws, requests)
    except ApiFailure as failure:
        if not is_uncertain(failure):
            store.update(sub.job_id, sub.part, state="pending", error=str(failure))
            raise
        store.update(sub.job_id, sub.part, state="uncertain", error=str(failure))
        adopted = reconcile(ws, sub.job_id, settle_lost=False).adopted
        if adopted:
            return adopted[0][1]
        raise Uncertain(
            f"{sub.job_id} part {sub.part}: the create call got no clear answer ({failure}) and no "
            f"matching batch is listed yet; run `batchdeck job reconcile {sub.job_id}` in a while (it "
            "adopts the batch if the API made it; otherwise the next submit or retry sends it)"
        ) from None
    if HOOKS.after_create:
        HOOKS.after_create()
    _record(ws, store, sub, batch)
    return str(batch["id"])


def send_pending(ws: Workspace, job_id: str, progress: Callable[[str], None] | None = None) -> list[str]:
    """Reconcile, then send every pending part in order; returns the ids of the batches made now."""
    with sending_lock(ws):
        return send_pending_locked(ws, job_id, progress)


def send_pending_locked(ws: Workspace, job_id: str, progress: Callable[[str], None] | None = None) -> list[str]:
    """`send_pending` for a caller that already holds `sending_lock`.

    Every interrupted create of the profile is settled first, not only this job's: a batch sent now
    with the same request count would otherwise be listed above that create's anchor too, and be
    adopted by it (its own rows lost, and ours sent again when this job is reconciled)."""
    store = ws.jobs
    made: list[str] = []
    for open_job in [*(j for j in store.open_jobs() if j != job_id), job_id]:
        _settle(ws, open_job, progress)
    for sub in store.submissions(job_id):
        if sub.state != "pending":
            continue
        batch_id = _send_one(ws, store, sub)
        made.append(batch_id)
        if progress:
            progress(f"{job_id} part {sub.part}: {batch_id} ({sub.request_count:,} requests)")
    return made


def _settle(ws: Workspace, job_id: str, progress: Callable[[str], None] | None) -> None:
    """Reconcile one job's interrupted creates; one too recent to decide stops everything (nothing sent)."""
    settled = reconcile(ws, job_id)
    for line in settled.lines(job_id):
        if progress:
            progress(line)
    if settled.settling:
        part, wait = settled.settling[0]
        raise Uncertain(
            f"{job_id} part {part}: a create interrupted moments ago may still be being made by the "
            f"API and is not listed yet; run again in {wait:.0f}s (nothing was sent)"
        )


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
            and (not sub.anchor_created_at or canonical(b["created_at"]) >= sub.anchor_created_at)
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
            _record(ws, store, sub, matches[0])
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
    _record(ws, store, sub, ws.api.retrieve(batch_id))


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
                anchor_created_at and canonical(batch["created_at"]) < anchor_created_at
            ):
                return found
            found.append(batch)
        if not page.has_more:
            return found
        after = walk.next_cursor(page)
