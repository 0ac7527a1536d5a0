"""Sending a job's parts as batches, crash-safe: an intent before each create, reconciled after.

For each pending part: note the newest batch of the workspace (the *anchor*), commit the
intent (`state = intent`, anchor, time), call create once (never retried: see
`BatchesApi.create`), then record the batch id. A crash between intent and record, an
answer lost on the way back (timeout, dropped connection), or an answer that is not a batch
(the API may have made one all the same) leaves the intent open (`uncertain`), and `reconcile`
settles it before anything is sent again. A lock file keeps two batchdeck processes from sending
at once, and before anything is sent every open intent of the profile (of any job) is settled, so
at most one create is ever unsettled: a later batch of the same size can never be taken for an
earlier one.
"""

from __future__ import annotations

import fcntl
import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from batchdeck.core.errors import ApiFailure, BatchdeckError
from batchdeck.core.jobs.attach import attached_lines
from batchdeck.core.jobs.reconcile import reconcile, record_batch
from batchdeck.core.store.job_repo import JobRepo, Submission
from batchdeck.core.timefmt import canonical
from batchdeck.core.workspace import Workspace

RETRYABLE = (429, 503, 529)  # the API answered and did not create: safe to send again


@dataclass(frozen=True)
class SendCheckpoints:
    """Where a caller may step in while a part is sent: right after its intent is committed, and right after
    create returns (before the batch id is recorded). Crash tests pass these to die at those two points."""

    after_intent: Callable[[], None] | None = None
    after_create: Callable[[], None] | None = None


NO_CHECKPOINTS = SendCheckpoints()


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


def load_lines(ws: Workspace, store: JobRepo, job_id: str, custom_ids: Sequence[str]) -> dict[str, bytes]:
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


def _requests(ws: Workspace, store: JobRepo, sub: Submission) -> list[dict[str, Any]]:
    ids = store.custom_ids(sub.job_id, sub.part)
    lines = load_lines(ws, store, sub.job_id, ids)
    missing = [c for c in ids if c not in lines]
    if missing:
        raise BatchdeckError(
            f"{sub.job_id} part {sub.part}: the original requests of {len(missing)} custom_id(s) "
            f"are no longer available (first: {missing[0]}); nothing was sent"
        )
    return [json.loads(lines[c]) for c in ids]


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


def _send_one(ws: Workspace, store: JobRepo, sub: Submission, checkpoints: SendCheckpoints) -> str:
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
    if checkpoints.after_intent:
        checkpoints.after_intent()
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
    if checkpoints.after_create:
        checkpoints.after_create()
    record_batch(ws, store, sub, batch)
    return str(batch["id"])


def send_pending_locked(
    ws: Workspace,
    job_id: str,
    progress: Callable[[str], None] | None = None,
    checkpoints: SendCheckpoints = NO_CHECKPOINTS,
) -> list[str]:
    """Reconcile, then send every pending part of a job in order; the ids of the batches made now.
    The caller holds `sending_lock`.

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
        batch_id = _send_one(ws, store, sub, checkpoints)
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
