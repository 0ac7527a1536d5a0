"""Messages from workers to the app: one per load or poll, never one per row."""

from __future__ import annotations

from datetime import datetime

from textual.message import Message

from batchdeck.core.batches.changes import ChangeResult
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.store.batch_repo import SyncState
from batchdeck.core.sync.walk import SyncReport


class DataLoaded(Message):
    """The cache's batches after a load (`report` None) or a poll."""

    def __init__(
        self,
        batches: list[CachedBatch],
        history: list[tuple[int, float]],
        state: SyncState,
        report: SyncReport | None = None,
        at: datetime | None = None,
    ) -> None:
        super().__init__()
        self.batches = batches
        self.history = history
        self.state = state
        self.report = report
        self.at = at
        self.number = 0  # the controller's snapshot number; 0 = not a cache read (a failed poll)
        self.job_batches: frozenset[str] | None = None  # batches that belong to a job; None: not read


class ActionFinished(Message):
    def __init__(self, verb: str, outcomes: list[ChangeResult]) -> None:
        super().__init__()
        self.verb = verb
        self.outcomes = outcomes


class DownloadProgress(Message):
    """A download's bytes and rows so far (sent every few thousand rows, not per row)."""

    def __init__(self, batch_id: str, size: int, rows: int) -> None:
        super().__init__()
        self.batch_id = batch_id
        self.size = size
        self.rows = rows


class DownloadFinished(Message):
    """A download ended: `summary` when saved, `error` when not. `automatic`: started by the app, not the user."""

    def __init__(self, batch_id: str, summary: str | None, error: str | None, automatic: bool) -> None:
        super().__init__()
        self.batch_id = batch_id
        self.summary = summary
        self.error = error
        self.automatic = automatic


class ExportFinished(Message):
    def __init__(self, text: str, error: bool = False) -> None:
        super().__init__()
        self.text = text
        self.error = error


class RetryPlanned(Message):
    """A resubmission plan (or why there is none). `needs_attach`: the batch's originals are unknown."""

    def __init__(
        self,
        target: str,
        plan: object | None,
        error: str | None = None,
        needs_attach: bool = False,
        only: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__()
        self.target = target
        self.plan = plan  # a core.retry.RetryPlan
        self.error = error
        self.needs_attach = needs_attach
        self.only = only


class RetrySent(Message):
    def __init__(self, job_id: str, sent: int, batch_ids: list[str], error: str | None = None) -> None:
        super().__init__()
        self.job_id = job_id
        self.sent = sent
        self.batch_ids = batch_ids
        self.error = error


class JobLoaded(Message):
    def __init__(self, view: object | None, error: str | None = None) -> None:
        super().__init__()
        self.view = view  # a core.jobs.JobView
        self.error = error


class HooksRan(Message):
    """The `hooks.*` end actions of a batch that ended while the TUI watched it: (ok, message) each."""

    def __init__(self, batch_id: str, outcomes: list[tuple[bool, str]]) -> None:
        super().__init__()
        self.batch_id = batch_id
        self.outcomes = outcomes
