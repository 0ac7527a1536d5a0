"""Resubmitting the rows that failed: a plan first (pure data, for the CLI and the TUI), then the send.

    plan = plan_retry(ws, "job-3")                      # or a batch id; include= to choose categories
    print("\\n".join(plan.summary_lines()))
    batch_ids = send_plan(ws, plan)                     # new batch(es), children of the original

Failed rows fall into categories: `expired`, `canceled`, `errored:<error type>`. By default
expired, canceled and the transient errors are resent; `invalid_request_error` and
`not_found_error` (and other non-transient types) would fail again, so only when chosen.
For a job, the rows considered are those whose latest attempt failed (the merged view); for
a batch, its failed rows that were not already resent in a later batch. The requests sent
are the original lines (same custom_id, same params) from the job's store or the attached
file; custom_ids whose original cannot be found are reported and left out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from batchdeck.core.batches import rules
from batchdeck.core.errors import BatchdeckError, UsageError
from batchdeck.core.jobs.attach import attachment_path
from batchdeck.core.jobs.input_check import check_request
from batchdeck.core.jobs.merged import FAILED, could_be_batch_id, job_view, resolve_job
from batchdeck.core.jobs.send import Busy, load_lines, send_pending_locked, sending_lock
from batchdeck.core.jobs.split import Part, split
from batchdeck.core.results.filter import ResultFilter
from batchdeck.core.spend.estimate import CostEstimate, estimate
from batchdeck.core.store.job_repo import JobRepo
from batchdeck.core.workspace import Workspace

ERROR_TYPES = (
    "invalid_request_error",
    "authentication_error",
    "billing_error",
    "permission_error",
    "not_found_error",
    "request_too_large",
    "rate_limit_error",
    "api_error",
    "overloaded_error",
    "timeout_error",
)
TRANSIENT = ("overloaded_error", "api_error", "rate_limit_error", "timeout_error")
DEFAULT_INCLUDE = ("expired", "canceled", *(f"errored:{t}" for t in TRANSIENT))
SHOWN = 10
JOB_ID = re.compile(r"job-\d+")


def parse_include(text: str | None) -> tuple[str, ...]:
    """`expired,canceled,errored:overloaded_error,errored` (`errored` = every error type; `all` = all)."""
    if text is None or not text.strip():
        return DEFAULT_INCLUDE
    chosen: list[str] = []
    for item in (i.strip() for i in text.split(",")):
        if not item:
            continue
        kind, _, error_type = item.partition(":")
        ok = item in ("expired", "canceled", "errored", "all") or (
            kind == "errored" and error_type in (*ERROR_TYPES, "unknown")
        )
        if not ok:
            raise UsageError(
                f"unknown category {item!r} for --include; choose from expired, canceled, errored, "
                f"all, or errored:TYPE with TYPE one of {', '.join(ERROR_TYPES)}"
            )
        chosen.append(item)
    return tuple(dict.fromkeys(chosen))


def included(category: str, include: Collection[str]) -> bool:
    return "all" in include or category in include or (category.startswith("errored:") and "errored" in include)


@dataclass(frozen=True)
class RetryPlan:
    job_id: str
    target_batch: str | None  # None: the whole job
    include: tuple[str, ...]
    categories: dict[str, int]  # every failed row considered, by category
    selected: tuple[str, ...]  # custom_ids that will be sent, in their original order
    missing: tuple[str, ...]  # chosen, but their original request cannot be found
    already_resent: int  # failed rows of the target batch already sent again in a later batch
    parts: tuple[Part, ...]
    parent_batch_id: str | None
    sources: tuple[str, ...]  # where the originals come from
    estimate: CostEstimate
    round: int
    known_parts: int  # the job's submissions when planned: a stale plan is refused
    unsent_parts: int = 0  # parts of earlier runs not sent yet (sent first, after reconciling)

    @property
    def has_work(self) -> bool:
        return bool(self.selected) or self.unsent_parts > 0

    def summary_lines(self) -> list[str]:
        what = self.target_batch or self.job_id
        lines = [
            f"failed rows of {what}"
            + (f" ({self.job_id})" if self.target_batch else " (latest attempt of each custom_id)")
            + ":"
        ]
        for category, n in sorted(self.categories.items()):
            lines.append(f"  {category:<34} {n:>8,}  {'resend' if included(category, self.include) else 'keep'}")
        if not self.categories:
            lines.append("  none")
        if self.already_resent:
            lines.append(f"  ({self.already_resent:,} failed rows were already resent in later batches)")
        lines.append(
            f"will send {len(self.selected):,} requests in {len(self.parts)} batch"
            f"{'es' if len(self.parts) != 1 else ''} (round {self.round}, same custom_ids and params)"
        )
        if self.selected:
            lines.append(f"estimated cost: {self.estimate.text()}")
            lines.append(f"originals from: {', '.join(self.sources)}")
        if self.unsent_parts:
            lines.append(
                f"{self.unsent_parts} part(s) of earlier runs are not sent yet (or were interrupted): "
                "reconciled, then sent first"
            )
        if self.missing:
            shown = ", ".join(self.missing[:SHOWN]) + (" …" if len(self.missing) > SHOWN else "")
            lines.append(
                f"{len(self.missing):,} chosen custom_id(s) have no original request and are left out: {shown}"
            )
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "job": self.job_id,
            "batch": self.target_batch,
            "include": list(self.include),
            "categories": self.categories,
            "send": len(self.selected),
            "custom_ids": list(self.selected),
            "missing": list(self.missing),
            "already_resent": self.already_resent,
            "parts": [{"requests": p.count, "bytes": p.bytes} for p in self.parts],
            "parent_batch_id": self.parent_batch_id,
            "sources": list(self.sources),
            "estimate": self.estimate.to_json(),
            "round": self.round,
            "unsent_parts": self.unsent_parts,
        }


def _target(ws: Workspace, text: str) -> tuple[str, str | None]:
    """(job id, batch id or None) for a job id/name or a batch id."""
    store = ws.jobs
    named = store.job(text) or store.job(f"job-{text}") or store.by_name(text)
    if named or JOB_ID.fullmatch(text.strip()) or not could_be_batch_id(text.strip()):
        return resolve_job(ws, text), None  # a job id or a name that matches no job is said to be one
    batch_id = ws.batches.resolve(text)
    job_id = store.job_of_batch(batch_id)
    if job_id is None:
        raise UsageError(rules.line("resubmit", batch_id, rules.no_originals(batch_id).reason))
    return job_id, batch_id


def plan_retry(
    ws: Workspace, target: str, include: Collection[str] | None = None, only: Collection[str] | None = None
) -> RetryPlan:
    """Plan a resubmission of a job's or a batch's failed rows (`only`: limit to these custom_ids).

    Refreshes live batches and downloads missing results (network), sends nothing."""
    chosen = tuple(include) if include else DEFAULT_INCLUDE
    job_id, batch_id = _target(ws, target)
    view = job_view(ws, job_id, update=True)
    if batch_id is not None:
        batch = view.batches.get(batch_id)
        refused = rules.NOT_ENDED if batch is None else rules.refusal("resubmit", batch)
        if refused is not None:
            raise UsageError(rules.line("resubmit", batch_id, refused.reason))

    already = 0
    if batch_id is not None:
        own = ws.results.rows(batch_id, ResultFilter(FAILED).where())
        already = sum(1 for r in own if view.rows.get(r.custom_id) and view.rows[r.custom_id].batch_id != batch_id)
    failed = [
        r
        for r in view.rows.values()
        if r.outcome in FAILED
        and (batch_id is None or r.batch_id == batch_id)
        and (only is None or r.custom_id in only)
    ]
    categories = dict(Counter(r.category for r in failed))
    store = ws.jobs
    facts = store.request_facts(job_id)
    wanted = [r.custom_id for r in failed if included(r.category, chosen)]
    unknown = [c for c in wanted if c not in facts]
    sources = ["job store"] if len(unknown) < len(wanted) else []
    if unknown:
        for cid, line in load_lines(ws, store, job_id, unknown).items():
            entry, _ = check_request(cid, line)
            if entry is not None:
                facts[cid] = (entry.wire_bytes, entry.model, entry.max_tokens, entry.input_tokens)
        sources += [f"attached file {p}" for p in _attached_paths(ws, store, job_id)]
    order = {cid: i for i, cid in enumerate(store.request_order(job_id))}
    selected = sorted((c for c in wanted if c in facts), key=lambda c: (order.get(c, len(order)), c))
    missing = tuple(sorted(c for c in wanted if c not in facts))
    parts = split([facts[c][0] for c in selected])
    cost = estimate(((facts[c][1], facts[c][2], facts[c][3]) for c in selected), ws.prices())
    chosen_ids = set(selected)
    latest = max((r for r in failed if r.custom_id in chosen_ids), key=lambda r: r.part, default=None)
    parent = batch_id or (latest.batch_id if latest else None)
    rounds = [s.round for s in view.submissions]
    unsent = sum(1 for s in view.submissions if s.state != "created")
    return RetryPlan(
        job_id,
        batch_id,
        chosen,
        categories,
        tuple(selected),
        missing,
        already,
        tuple(parts),
        parent,
        tuple(sources),
        cost,
        max(rounds, default=0) + 1,
        len(view.submissions),
        unsent,
    )


def _attached_paths(ws: Workspace, store: JobRepo, job_id: str) -> list[str]:
    paths = [attachment_path(ws, s.batch_id) for s in store.submissions(job_id) if s.kind == "attached" and s.batch_id]
    return [p for p in paths if p]


def send_plan(ws: Workspace, plan: RetryPlan, progress: Callable[[str], None] | None = None) -> list[str]:
    """Send a plan's requests as new batches of the job, children of `plan.parent_batch_id`.

    The plan is checked against the store, its parts added and sent all under the sending lock: two
    retries of the same rows confirmed at once would otherwise both pass the check, and the second's
    parts, left pending, would be sent by a later run (the rows twice)."""
    if not plan.has_work:
        raise UsageError("nothing to resend: no failed row matches the chosen categories")
    store = ws.jobs
    try:
        with sending_lock(ws):
            if len(store.submissions(plan.job_id)) != plan.known_parts:
                raise UsageError(
                    f"{plan.job_id} changed since this plan was made (another resubmission?); nothing "
                    "was sent; plan again"
                )
            ids = list(plan.selected)
            if ids:
                store.add_submissions(
                    plan.job_id,
                    [("retry", plan.round, plan.parent_batch_id, ids[p.start : p.stop], p.bytes) for p in plan.parts],
                    ws.now(),
                )
            return send_pending_locked(ws, plan.job_id, progress)
    except Busy:
        raise BatchdeckError(
            f"{plan.job_id}: another batchdeck process is sending in this profile (perhaps this "
            "same retry); nothing was sent; run the retry again when it has finished"
        ) from None
