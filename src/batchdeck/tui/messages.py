"""Messages from thread workers to the node that owns them: one per load, poll, page or step, never one per row.

Progress messages replace an older one of the same work still waiting in the queue (`can_replace`, as
toolong's do), so a slow screen never falls behind a fast download or export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from textual.message import Message

from batchdeck.core.batches.browse import ListRead
from batchdeck.core.batches.changes import ChangeResult
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.batches.phrases import counted
from batchdeck.core.jobs.merged import JobView
from batchdeck.core.jobs.retry import RetryPlan
from batchdeck.core.spend.budget import BudgetStatus
from batchdeck.core.spend.report import SpendReport
from batchdeck.core.store.batch_pages import Page, Tallies
from batchdeck.core.store.batch_repo import SyncState
from batchdeck.core.sync.report import SyncReport


class DataLoaded(Message):
    """The cache's live and watched batches after a load (`report` None) or a poll. `number` orders snapshots as they were read
    (0: not a cache read, a failed poll); `job_batches` are the batches that belong to a job (None: not read)."""

    def __init__(
        self,
        batches: list[CachedBatch],
        history: list[tuple[int, float]],
        state: SyncState,
        report: SyncReport | None = None,
        at: datetime | None = None,
        number: int = 0,
        job_batches: frozenset[str] | None = None,
        tallies: Tallies | None = None,
        listing: ListRead | None = None,
    ) -> None:
        super().__init__()
        self.batches = batches  # live and watched batches, not the whole history
        self.tallies = tallies  # the whole profile's counts (None: not read)
        self.listing = listing  # the list's view read with the same data (None: not read)
        self.history_key: tuple[int, int] | None = None  # the counts `history` was read at (None: not read now)
        self.history = history
        self.state = state
        self.report = report
        self.at = at
        self.number = number
        self.job_batches = job_batches


@dataclass(frozen=True)
class Snapshot:
    """What the screens showing batches need of the newest snapshot (published through `Signals.snapshot`)."""

    batches: list[CachedBatch]
    history: list[tuple[int, float]]
    job_batches: frozenset[str] | None


class BatchEnded(Message):
    """A batch seen live by an earlier poll has ended; `text` is the notice raised for it."""

    def __init__(self, batch: CachedBatch, text: str) -> None:
        super().__init__()
        self.ended_batch = batch
        self.text = text


class ActionFinished(Message):
    def __init__(self, verb: str, outcomes: list[ChangeResult]) -> None:
        super().__init__()
        self.verb = verb
        self.outcomes = outcomes


class CacheChanged(Message):
    """A worker changed the local cache (results saved, costs known): the batch list should read it again."""


class PollWanted(Message):
    """Something changed the workspace (a resubmission): the batch list should poll now."""


class RetryWanted(Message):
    """A screen asks for the `R` flow on a batch or a job (`only`: just these custom_ids)."""

    def __init__(self, target: str, only: tuple[str, ...] | None = None) -> None:
        super().__init__()
        self.target = target
        self.only = only


class DownloadWanted(Message):
    """A screen needs a batch's results saved locally (the download outlives the screen)."""

    def __init__(self, batch_id: str) -> None:
        super().__init__()
        self.batch_id = batch_id


class DownloadProgress(Message):
    """A download's bytes and rows so far; a newer one replaces one still queued for the same batch."""

    def __init__(self, batch_id: str, size: int, rows: int) -> None:
        super().__init__()
        self.batch_id = batch_id
        self.size = size
        self.rows = rows

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DownloadProgress) and message.batch_id == self.batch_id


class DownloadFinished(Message):
    """A download ended: `summary` when saved, `error` when not. `automatic`: started by the app, not the user."""

    def __init__(self, batch_id: str, summary: str | None, error: str | None, automatic: bool) -> None:
        super().__init__()
        self.batch_id = batch_id
        self.summary = summary
        self.error = error
        self.automatic = automatic


class AutoDownloadsDone(Message):
    """The background downloads found nothing more to save (another round may start after the next poll)."""


class ExportProgress(Message):
    """How far an export has come (`total` None: still reading which rows); `over` when it has finished or failed."""

    def __init__(self, path: Path, done: int, total: int | None, over: bool = False) -> None:
        super().__init__()
        self.path, self.done, self.total, self.over = path, done, total, over

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ExportProgress) and message.path == self.path and not (message.over or self.over)

    def text(self) -> str:
        if self.total is None:
            return f"exporting to {self.path.name}…"
        return f"exporting {self.done:,} of {counted(self.total, 'row')} to {self.path.name}…"


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
        plan: RetryPlan | None,
        error: str | None = None,
        needs_attach: bool = False,
        only: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__()
        self.target = target
        self.plan = plan
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
    def __init__(self, view: JobView | None, error: str | None = None) -> None:
        super().__init__()
        self.view = view
        self.error = error


class HooksRan(Message):
    """The `hooks.*` end actions of a batch that ended while the TUI watched it: (ok, message) each."""

    def __init__(self, batch_id: str, outcomes: list[tuple[bool, str]]) -> None:
        super().__init__()
        self.batch_id = batch_id
        self.outcomes = outcomes


class SpendChartLoaded(Message):
    """The Spend screen's range, per chart unit (day, week, month): the chart and the totals in words."""

    def __init__(self, range_name: str, report: SpendReport) -> None:
        super().__init__()
        self.range_name = range_name
        self.report = report


class SpendTableLoaded(Message):
    """The Spend screen's range per group of a breakdown (model, label, job): the table."""

    def __init__(self, range_name: str, by: str, report: SpendReport) -> None:
        super().__init__()
        self.range_name = range_name
        self.by = by
        self.report = report


class ScopeWanted(Message):
    """The batch list should show only these batches (a Spend screen group), named `title`."""

    def __init__(self, title: str, batch_ids: list[str]) -> None:
        super().__init__()
        self.title = title
        self.batch_ids = batch_ids


class BudgetLoaded(Message):
    """Month-to-date spend against `budget.monthly_usd`, for the status line."""

    def __init__(self, status: BudgetStatus) -> None:
        super().__init__()
        self.status = status


class RowsRead(Message):
    """The batch list's view read again (a filter or sort changed): count, column needs, cursor, pages in sight."""

    def __init__(self, read: ListRead) -> None:
        super().__init__()
        self.read = read


class PageRead(Message):
    """One more page of the batch list's view, as it scrolled into sight."""

    def __init__(self, generation: int, number: int, page: Page) -> None:
        super().__init__()
        self.generation = generation
        self.number = number
        self.page = page


class HistoryRead(Message):
    """The turnaround history, read once the first load's rows are painted (when no poll reads it)."""

    def __init__(self, history: list[tuple[int, float]], key: tuple[int, int]) -> None:
        super().__init__()
        self.history = history
        self.key = key
