"""A job as a whole: its batches and lineage, and its results merged across resubmissions.

Per custom_id the latest attempt wins: the highest part that held it. Its outcome is the
result row of that part's batch once the batch has ended and its results are downloaded,
`processing` while the batch runs, and `not sent` while the part waits (pending, or an
interrupted create not reconciled yet). `failing` counts the custom_ids whose latest
attempt ended errored, expired or canceled.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.errors import ApiFailure, UsageError
from batchdeck.core.ids import is_batch_id
from batchdeck.core.store.job_repo import Job, Submission
from batchdeck.core.terminal_text import visible
from batchdeck.core.workspace import Workspace

FAILED = ("errored", "expired", "canceled")


@dataclass(frozen=True, slots=True)
class MergedRow:
    custom_id: str
    outcome: (
        str  # succeeded | errored | expired | canceled | processing | not sent | not downloaded | deleted | missing
    )
    error_type: str | None
    batch_id: str | None
    part: int
    attempts: int  # how many parts held this custom_id
    line_offset: int = -1  # of the result line in the batch's downloaded file
    line_length: int = 0

    @property
    def category(self) -> str:
        return f"errored:{self.error_type or 'unknown'}" if self.outcome == "errored" else self.outcome


@dataclass(frozen=True)
class JobView:
    job: Job
    submissions: list[Submission]
    batches: dict[str, CachedBatch]
    rows: dict[str, MergedRow]

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(r.outcome for r in self.rows.values()))

    @property
    def failing(self) -> int:
        return sum(1 for r in self.rows.values() if r.outcome in FAILED)

    def summary_lines(self) -> list[str]:
        job = self.job
        counts = ", ".join(f"{n:,} {k}" for k, n in sorted(self.counts.items()))
        lines = [
            f"{job.id}  {job.name}",
            f"  source: {job.source_file or '-'}",
            f"  created: {job.created_at}",
            f"  requests: {len(self.rows):,} ({counts}); still failing: {self.failing:,}",
            "  batches:",
        ]
        for sub in self.submissions:
            batch = self.batches.get(sub.batch_id or "")
            status = batch.processing_status if batch else sub.state
            parent = f" ← {sub.parent_batch_id}" if sub.parent_batch_id else ""
            lines.append(
                f"    part {sub.part} [{sub.kind} round {sub.round}] {sub.batch_id or '(not created)'} "
                f"{sub.request_count:,} requests, {status}{parent}"
            )
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.job.id,
            "name": self.job.name,
            "source_file": self.job.source_file,
            "created_at": self.job.created_at,
            "requests": len(self.rows),
            "counts": self.counts,
            "failing": self.failing,
            "batches": [
                {
                    "part": s.part,
                    "kind": s.kind,
                    "round": s.round,
                    "batch_id": s.batch_id,
                    "parent_batch_id": s.parent_batch_id,
                    "requests": s.request_count,
                    "state": s.state,
                    "processing_status": (
                        self.batches[s.batch_id].processing_status if s.batch_id in self.batches else None
                    ),
                }
                for s in self.submissions
            ],
        }


def resolve_job(ws: Workspace, text: str) -> str:
    """A job id (`job-3` or `3`), a unique job name, or a batch id (or unique part) of one of its batches."""
    store = ws.jobs
    text = text.strip()
    for candidate in (text, f"job-{text}"):
        if store.job(candidate):
            return candidate
    named = store.by_name(text)
    if len(named) == 1:
        return named[0].id
    if len(named) > 1:
        raise UsageError(f"several jobs are named {text!r} ({', '.join(j.id for j in named)}); give the job id")
    if not could_be_batch_id(text):  # a name with spaces, say: saying it is no batch id would mislead
        raise UsageError(f"no job named {visible(text)[:80]!r} (`batchdeck job list` shows the jobs)")
    job_id = store.job_of_batch(ws.batches.resolve(text))
    if job_id is None:
        raise UsageError(
            f"no job {text!r}: not a job id or name, nor a batch submitted through batchdeck "
            "(`batchdeck job list`; for other batches, `batchdeck attach ID FILE.jsonl`)"
        )
    return job_id


def could_be_batch_id(text: str) -> bool:
    """Whether `text` (stripped) is a batch id or the unique part of one that `BatchRepo.resolve` takes."""
    return bool(text) and is_batch_id(text if text.startswith("msgbatch_") else f"msgbatch_{text}")


def refresh(ws: Workspace, submissions: list[Submission], download: bool) -> None:
    """Bring live batches up to date, and download the results of ended ones not kept yet."""
    from batchdeck.core.batches.changes import refresh_batch
    from batchdeck.core.results.download import ensure_downloaded

    for sub in submissions:
        if not sub.batch_id:
            continue
        batch = ws.batches.get(sub.batch_id)
        try:
            if batch is None or (batch.processing_status != "ended" and batch.deleted_at is None):
                batch = refresh_batch(ws, sub.batch_id)
        except ApiFailure as failure:
            if failure.kind != "not_found":
                raise
            ws.batches.mark_deleted([sub.batch_id], ws.now())  # deleted remotely: the cache keeps its record
            continue
        try:
            if download and batch.processing_status == "ended":
                ensure_downloaded(ws, sub.batch_id)
        except ApiFailure as failure:  # not_found: archived with no local copy; its rows read "not downloaded"
            if failure.kind != "not_found":
                raise


def job_view(ws: Workspace, job_id: str, update: bool = True) -> JobView:
    """The merged view; `update` refreshes live batches and downloads results first (network)."""
    store = ws.jobs
    job = store.job(job_id)
    if job is None:
        raise UsageError(f"no job {job_id!r}")
    submissions = store.submissions(job_id)
    if update:
        refresh(ws, submissions, download=True)
    index = ws.results
    batches: dict[str, CachedBatch] = {}
    rows: dict[str, MergedRow] = {}
    attempts: Counter[str] = Counter()
    for sub in submissions:
        batch = ws.batches.get(sub.batch_id) if sub.batch_id else None
        if batch is not None:
            batches[batch.id] = batch
        ids = store.custom_ids(job_id, sub.part)
        attempts.update(ids)
        results, otherwise = {}, "not sent" if not sub.batch_id else "processing"
        if batch is not None and batch.processing_status == "ended":
            result_set = index.result_set(batch.id)
            downloaded = result_set is not None and result_set.complete
            results = {r.custom_id: r for r in index.rows(batch.id)} if downloaded else {}
            otherwise = "missing" if downloaded else "not downloaded"
        if batch is not None and batch.deleted_at is not None and not results:
            otherwise = "deleted"  # deleted remotely before its results were kept
        for cid in ids:
            found = results.get(cid)
            if found is not None:
                rows[cid] = MergedRow(
                    cid,
                    found.outcome,
                    found.error_type,
                    sub.batch_id,
                    sub.part,
                    attempts[cid],
                    found.line_offset,
                    found.line_length,
                )
            else:
                rows[cid] = MergedRow(cid, otherwise, None, sub.batch_id, sub.part, attempts[cid])
    return JobView(job, submissions, batches, rows)
