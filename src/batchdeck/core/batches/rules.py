"""What may be done to a batch, and the one-line reason when it may not: one rule for the CLI and the TUI.

Every refusal names its cause in words a user can act on ("it is still running; cancel it first"),
so a key that cannot act, or a command that refuses, says why instead of doing nothing or sending
a call the API would refuse.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.batches.phrases import counted

CHANGES = frozenset({"cancel", "delete", "resubmit", "label", "note"})
"""Actions that change the workspace or its local record: all off in read-only mode."""

READONLY = "read-only mode (started with --readonly): nothing can be changed"

PHRASES = {
    "cancel": "cancel",
    "delete": "delete",
    "resubmit": "resubmit the failed rows of",
    "label": "label",
    "note": "add a note to",
    "job": "open the job of",
    "export": "export the results of",
}
"""How each action reads in "cannot … <batch>"."""


@dataclass(frozen=True)
class Refusal:
    """Why one batch cannot take an action: `reason` about it alone, `group` for a count of such batches."""

    reason: str
    group: str


def _cancel(batch: CachedBatch) -> Refusal | None:
    if batch.deleted_at:
        return Refusal("it was deleted", "deleted")
    if batch.processing_status == "canceling":
        return Refusal("it is already being canceled", "already canceling")
    if batch.processing_status == "ended":
        return Refusal("it has already ended", "already ended")
    return None


def _delete(batch: CachedBatch) -> Refusal | None:
    if batch.deleted_at:
        return Refusal("it is already deleted", "already deleted")
    if batch.processing_status == "in_progress":
        return Refusal("it is still running; cancel it first", "still running (cancel first)")
    if batch.processing_status == "canceling":
        return Refusal("it is still canceling; it can be deleted once it has ended", "still canceling")
    return None


NOT_ENDED = Refusal("it is still running; its results exist once it ends", "still running")


def _needs_results(batch: CachedBatch) -> Refusal | None:
    """Resubmission and export read the results: the batch must have ended and its results be reachable."""
    if batch.processing_status != "ended" and not batch.deleted_at:
        return NOT_ENDED
    if batch.results_saved:
        return None
    if batch.deleted_at:
        return Refusal("it was deleted and no local copy of its results was kept", "deleted, no local copy")
    if batch.archived_at:
        return Refusal("its results were archived and no local copy was kept", "archived, no local copy")
    return None


def _always(batch: CachedBatch) -> Refusal | None:
    return None


CHECKS: dict[str, Callable[[CachedBatch], Refusal | None]] = {
    "cancel": _cancel,
    "delete": _delete,
    "resubmit": _needs_results,
    "export": _needs_results,
    "label": _always,
    "note": _always,
    "job": _always,
}

NO_JOB = Refusal(
    "it was not submitted through batchdeck, so it has no job (`batchdeck attach ID FILE.jsonl` gives it one)", "no job"
)


def no_originals(batch_id: str) -> Refusal:
    """Resubmitting sends the original requests again: a batch made outside batchdeck has them only once
    its request file is attached (the TUI asks for the file instead of refusing)."""
    return Refusal(
        "it was not submitted through batchdeck, so its original requests are not kept; attach the request "
        f"file first: `batchdeck attach {batch_id} FILE.jsonl`",
        "not submitted through batchdeck",
    )


def refusal(action: str, batch: CachedBatch, readonly: bool = False, in_job: bool | None = None) -> Refusal | None:
    """Why `action` cannot be done to `batch`, or None when it can.

    `in_job`: whether the batch belongs to a job (None: not known, not checked)."""
    if readonly and action in CHANGES:
        return Refusal(READONLY, "read-only mode")
    if action == "job" and in_job is False:
        return NO_JOB
    return CHECKS[action](batch)


def line(action: str, what: str, reason: str) -> str:
    """`cannot delete msgbatch_…: it is still running; cancel it first`."""
    return f"cannot {PHRASES[action]} {what}: {reason}"


def why_not(action: str, batch: CachedBatch, readonly: bool = False, in_job: bool | None = None) -> str | None:
    """The one line a user reads when `action` cannot be done to `batch` (None when it can)."""
    found = refusal(action, batch, readonly, in_job)
    return None if found is None else line(action, batch.id, found.reason)


@dataclass(frozen=True)
class Sorted:
    """The batches an action was asked for (the marked rows, or the cursor row), split by the rule."""

    action: str
    allowed: list[CachedBatch] = field(default_factory=list)
    refused: list[tuple[CachedBatch, Refusal]] = field(default_factory=list)

    def refusal_line(self) -> str:
        """One line for when nothing can be done: the reason itself for one batch, counted reasons for several."""
        if not self.refused:
            return f"nothing to {self.action}: no batch selected"
        if len(self.refused) == 1:
            batch, found = self.refused[0]
            return line(self.action, batch.id, found.reason)
        reasons = {found.reason for _, found in self.refused}
        what = f"the {len(self.refused):,} marked batches"
        return line(self.action, what, reasons.pop() if len(reasons) == 1 else self.groups())

    def groups(self) -> str:
        """`2 still running (cancel first), 1 already deleted`."""
        counts = Counter(found.group for _, found in self.refused)
        return ", ".join(f"{n:,} {group}" for group, n in counts.most_common())

    def skipped_line(self) -> str:
        """For a confirmation that acts on some of the marked batches: which are left alone, and why."""
        if not self.refused:
            return ""
        return f"{counted(len(self.refused), 'marked batch')} left alone: {self.groups()}."


def sort_out(
    action: str, batches: Sequence[CachedBatch], readonly: bool = False, job_batches: frozenset[str] | None = None
) -> Sorted:
    """Split `batches` into those `action` can be done to and those it cannot (with why)."""
    allowed: list[CachedBatch] = []
    refused: list[tuple[CachedBatch, Refusal]] = []
    for batch in batches:
        in_job = None if job_batches is None else batch.id in job_batches
        found = refusal(action, batch, readonly, in_job)
        if found is None:
            allowed.append(batch)
        else:
            refused.append((batch, found))
    return Sorted(action, allowed, refused)


def consequence(action: str, batches: Sequence[CachedBatch], keep_hint: str = "") -> str:
    """What a confirmed cancel or delete does to these batches, said before it is done.
    `keep_hint`: how to save the results first, where some are not saved (it differs in the TUI and the CLI)."""
    if action == "cancel":
        return (
            "Requests already processed keep their results; the rest end canceled. "
            "The batch shows as canceling until Anthropic finishes stopping it."
        )
    one = len(batches) == 1
    removed = (
        "The batch and its results are removed from Anthropic for good; batchdeck keeps its record, label and notes."
        if one
        else "The batches and their results are removed from Anthropic for good; batchdeck keeps their "
        "records, labels and notes."
    )
    saved = sum(1 for b in batches if b.results_saved)
    if saved == len(batches):
        kept = (
            "Its results are saved locally, so you keep them."
            if one
            else "Their results are saved locally, so you keep them."
        )
    elif saved == 0:
        kept = (
            "Its results are not saved locally: they will be gone."
            if one
            else "Their results are not saved locally: they will be gone."
        )
    else:
        kept = (
            f"The results of {saved:,} of them are saved locally; the results of the other "
            f"{len(batches) - saved:,} are not and will be gone."
        )
    return f"{removed} {kept}" + (f" {keep_hint}" if keep_hint and saved < len(batches) else "")
