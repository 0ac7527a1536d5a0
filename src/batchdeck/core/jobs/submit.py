"""`batchdeck submit`: check a request file, plan its parts, keep its requests in a job, send them.

    plan = plan_submit(ws, SubmitSource(Path("requests.jsonl")), name="nightly")   # raises InputError
    print("\\n".join(plan.summary_lines()))
    result = submit(ws, plan)                                                     # job id, batch ids

Nothing touches the network before every line has passed (`submit_input`). The same content
submitted again is noticed by its hash: an unfinished job of that content is resumed
(reconciled, then its remaining parts sent); a finished one is refused unless `again`. The plan's
answer is only for the prompt: `submit` asks the store again under the sending lock, because
another process may have submitted the same content while this one waited for a "y", and the
store's one-job-per-content index refuses a second ordinary job of it in any case.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchdeck.core.errors import UsageError
from batchdeck.core.jobs.input_check import Entry, check_all, jsonl_lines, require_file
from batchdeck.core.jobs.send import NO_CHECKPOINTS, SendCheckpoints, send_pending_locked, sending_lock
from batchdeck.core.jobs.split import Part, split
from batchdeck.core.jobs.template import TemplateSpec, template_lines
from batchdeck.core.spend.estimate import CostEstimate, estimate
from batchdeck.core.store.job_repo import ContentClaimed, Job, JobRepo
from batchdeck.core.workspace import Workspace


@dataclass(frozen=True)
class SubmitSource:
    path: Path
    template: TemplateSpec | None = None  # the simple form: records + template

    def lines(self, problems: list[str]) -> Iterator[tuple[str, bytes]]:
        require_file(self.path)
        if self.template is None:
            return jsonl_lines(str(self.path), problems)
        return template_lines(self.path, self.template, problems)


@dataclass(frozen=True)
class SubmitPlan:
    source: SubmitSource
    name: str
    entries: list[Entry] = field(repr=False)
    parts: tuple[Part, ...]
    estimate: CostEstimate
    content_hash: str
    existing_job: str | None  # a job of the same content
    existing_finished: bool

    @property
    def requests(self) -> int:
        return len(self.entries)

    @property
    def bytes(self) -> int:
        return sum(p.bytes for p in self.parts)

    def summary_lines(self) -> list[str]:
        lines = [
            f"{self.source.path}: {self.requests:,} requests in {len(self.parts)} batch"
            f"{'es' if len(self.parts) != 1 else ''}, {self.bytes:,} bytes",
            *(f"  part {i}: {p.count:,} requests, {p.bytes:,} bytes" for i, p in enumerate(self.parts, 1)),
            f"estimated cost: {self.estimate.text()} (input ≈ 4 characters a token; output from none up to max_tokens)",
        ]
        if self.existing_job:
            state = "already submitted" if self.existing_finished else "submitted before but not finished (resumed)"
            lines.append(f"the same content was {state} as {self.existing_job}")
        return lines

    def duplicate_error(self) -> UsageError | None:
        """The refusal for content already submitted in full (None when it may go ahead)."""
        if not (self.existing_job and self.existing_finished):
            return None
        return already_submitted(self.source.path, self.existing_job)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": str(self.source.path),
            "name": self.name,
            "requests": self.requests,
            "bytes": self.bytes,
            "parts": [{"part": i, "requests": p.count, "bytes": p.bytes} for i, p in enumerate(self.parts, 1)],
            "estimate": self.estimate.to_json(),
            "content_hash": self.content_hash,
            "existing_job": self.existing_job,
        }


@dataclass(frozen=True)
class SubmitResult:
    job_id: str
    batch_ids: list[str]
    resumed: bool


def already_submitted(path: Path, job_id: str) -> UsageError:
    return UsageError(
        f"{path} was already submitted as {job_id} (`batchdeck job show {job_id}`); "
        "pass --again to submit it a second time"
    )


def plan_submit(
    ws: Workspace,
    source: SubmitSource,
    name: str | None = None,
    max_requests: int | None = None,
    max_bytes: int | None = None,
) -> SubmitPlan:
    """Check every request (raises InputError listing bad lines) and plan the parts. No network."""
    problems: list[str] = []
    checked = check_all(source.lines(problems), problems)
    checked.raise_if_bad(str(source.path))
    digest = hashlib.sha256(checked.content_hash.encode())
    if source.template is not None:
        digest.update(source.template.fingerprint().encode())
    content_hash = digest.hexdigest()
    parts = split([e.wire_bytes for e in checked.entries], max_requests, max_bytes)
    prices = ws.prices()
    cost = estimate(((e.model, e.max_tokens, e.input_tokens) for e in checked.entries), prices)
    store = ws.jobs
    existing = _same_content(store, content_hash)
    finished = existing is not None and _finished(store, existing.id)
    return SubmitPlan(
        source,
        name or source.path.stem,
        checked.entries,
        tuple(parts),
        cost,
        content_hash,
        existing.id if existing else None,
        finished,
    )


def _same_content(store: JobRepo, content_hash: str) -> Job | None:
    """The newest job of this content, if any."""
    return next(iter(store.by_hash(content_hash)), None)


def _finished(store: JobRepo, job_id: str) -> bool:
    subs = store.submissions(job_id)
    return bool(subs) and all(s.state == "created" for s in subs if s.kind == "submit")


def submit(
    ws: Workspace,
    plan: SubmitPlan,
    again: bool = False,
    progress: Callable[[str], None] | None = None,
    checkpoints: SendCheckpoints = NO_CHECKPOINTS,
) -> SubmitResult:
    """Create the job (or resume the unfinished one of the same content) and send its parts
    (`checkpoints`: see `SendCheckpoints`).

    Everything happens under the sending lock, and the same content is looked for again there:
    what the plan saw may be stale by the time the user confirmed."""
    store = ws.jobs
    with sending_lock(ws):
        existing = _same_content(store, plan.content_hash)
        if existing is not None and not again:
            if _finished(store, existing.id):
                raise already_submitted(plan.source.path, existing.id)
            if store.submissions(existing.id):
                return SubmitResult(existing.id, send_pending_locked(ws, existing.id, progress, checkpoints), True)
            store.delete_job(existing.id)  # interrupted before its parts were recorded: start afresh
        job = _new_job(ws, store, plan, claim=existing is None or not again)
        ids = [e.custom_id for e in plan.entries]
        store.add_submissions(
            job.id, [("submit", 0, None, ids[p.start : p.stop], p.bytes) for p in plan.parts], ws.now()
        )
        return SubmitResult(job.id, send_pending_locked(ws, job.id, progress, checkpoints), False)


def _new_job(ws: Workspace, store: JobRepo, plan: SubmitPlan, claim: bool) -> Job:
    """The job with every request kept; a job of this content claimed meanwhile is a refusal."""
    try:
        job = store.new_job(
            plan.name, str(plan.source.path.resolve()), plan.content_hash, plan.requests, ws.now(), claim=claim
        )
    except ContentClaimed as taken:
        raise already_submitted(plan.source.path, taken.job_id) from None
    try:
        _store_requests(store, job.id, plan)
    except BaseException:
        store.delete_job(job.id)
        raise
    return job


def _store_requests(store: JobRepo, job_id: str, plan: SubmitPlan) -> None:
    """Keep every request line, compressed; refuses if the file changed since it was checked."""
    entries = iter(plan.entries)
    problems: list[str] = []

    def rows() -> Iterator[tuple[str, int, bytes, int, str, int, int]]:
        for seq, (where, raw) in enumerate(plan.source.lines(problems)):
            entry = next(entries, None)
            if entry is None or entry.where != where or f'"{entry.custom_id}"'.encode() not in raw:
                raise UsageError(f"{plan.source.path} changed while it was being submitted; nothing was sent")
            yield entry.custom_id, seq, raw, entry.wire_bytes, entry.model, entry.max_tokens, entry.input_tokens

    stored = store.add_requests(job_id, rows())
    if stored != plan.requests or problems:
        raise UsageError(f"{plan.source.path} changed while it was being submitted; nothing was sent")
