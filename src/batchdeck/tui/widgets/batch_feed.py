"""The batch list's data: reading the cache, polling the API, saving labels and notes, canceling and deleting.

A non-visual widget on the main screen (which stays in the stack for the app's whole life, so its
work outlives any screen pushed over it). Each job is a named thread worker that calls core and posts
one message; the handlers here, on the UI thread, own all of this state. Polls never overlap: the next
one is scheduled only when the previous one has finished, quickly while batches are live, slowly when
none are, backing off on errors (and honouring retry-after). Snapshots are numbered as they are read,
so a slow reader's older snapshot never replaces a newer one.

A snapshot holds the batches whose state matters between polls, never the whole history: every live batch,
the ones live in the snapshot before (so an ending is seen), and the ones the screens watch (`watched`: the
cursor's, the marked, the open details, the live panes); the profile's counts; and the list's view read
with the same data (`list_request`), so the list and the status line never disagree.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import NamedTuple

from textual import work
from textual.notifications import SeverityLevel
from textual.reactive import var
from textual.timer import Timer
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from batchdeck.core import timefmt
from batchdeck.core.batches.browse import ListRequest, read_list
from batchdeck.core.batches.changes import ChangeResult, cancel_batch, delete_batch
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.errors import BatchdeckError
from batchdeck.core.session import Session
from batchdeck.core.store.batch_pages import BatchPages, Tallies
from batchdeck.core.store.batch_repo import SyncState
from batchdeck.core.sync.report import SyncReport
from batchdeck.core.watch.notify import ending_message, newly_ended, osc9
from batchdeck.core.watch.poll_schedule import PollSchedule
from batchdeck.core.workspace import Workspace
from batchdeck.tui.messages import ActionFinished, BatchEnded, DataLoaded, HistoryRead


class Asks(NamedTuple):
    """What a snapshot reads besides the live batches, taken on the UI thread as its worker starts."""

    watched: frozenset[str]
    request: ListRequest | None
    history: list[tuple[int, float]]  # the turnaround history shown now, kept when nothing ended
    history_key: tuple[int, int] | None  # None: never read (the first load paints before reading it)


def _history_key(tallies: Tallies) -> tuple[int, int]:
    """Changes when batches end, are deleted or are first seen: then the turnaround history is read again."""
    return tallies.total, tallies.by_status.get("ended", 0)


class BatchFeed(Widget):
    DEFAULT_CSS = "BatchFeed { display: none; }"

    polling: var[bool] = var(False)
    """A poll is under way (the status line says "syncing…")."""

    def __init__(self, session: Session, poll: bool = True) -> None:
        super().__init__()
        self.session = session
        self.poll_enabled = poll
        self.schedule = PollSchedule(live_seconds=session.settings.tui.poll_seconds)
        self.batches: list[CachedBatch] = []  # the newest snapshot: live and watched batches
        self.tallies = Tallies({}, 0, 0)  # the whole profile's counts, as of the newest snapshot
        self.watched: frozenset[str] = frozenset()  # set by the screen: batches it shows outside the list
        self.list_request: ListRequest | None = None  # set by the screen: the list's view, read with each snapshot
        self.job_batches: frozenset[str] | None = None  # for `J`: which batches have a job (None: not read yet)
        self.history: list[tuple[int, float]] = []
        self.history_key: tuple[int, int] | None = None  # the counts the history was read at (see _history_key)
        self.state = SyncState()
        self.last_report: SyncReport | None = None
        self.poll_again = False
        self.paused = False
        self.polls_done = 0
        self._timer: Timer | None = None
        self._numbers = itertools.count(1)  # read by workers as they read the cache (next() is atomic)
        self._shown_number = 0
        self._last_error: str | None = None
        self._skipped_told: set[str] = set()  # malformed batch objects a sync skipped, already reported

    # -- workers ------------------------------------------------------------------------------
    def _asks(self) -> Asks:
        """What the next snapshot reads besides the live batches (on the UI thread, as a worker starts)."""
        watched = self.watched | {b.id for b in self.batches if b.is_live}
        return Asks(watched, self.list_request, self.history, self.history_key)

    def _snapshot(self, ws: Workspace, report: SyncReport | None, asks: Asks) -> DataLoaded:
        """The cache as it is now (in a worker), numbered when read. The turnaround history is read again only
        when batches ended, went or came since the last snapshot (a walk over the whole history)."""
        number = next(self._numbers)
        pages = BatchPages(ws.db, ws.profile.name)
        now = self.session.clock()
        tallies = pages.tallies()
        listing = read_list(pages, asks.request, timefmt.iso(now), tallies) if asks.request is not None else None
        if (asks.history_key is None and report is None) or (
            asks.history_key == _history_key(tallies) and tallies.total
        ):  # the first load: rows first, the history right after
            history = asks.history
        else:
            history = ws.batches.ended_durations()
        batches, jobs = pages.live_or_among(sorted(asks.watched)), frozenset(ws.jobs.claimed_batches())
        state = ws.batches.sync_state()
        snapshot = DataLoaded(batches, history, state, report, now, number, jobs, tallies, listing)
        snapshot.history_key = None if history is asks.history else _history_key(tallies)
        return snapshot

    def load_cache(self) -> None:
        """Read the cache (no network) and post it."""
        self._load_cache(self._asks())

    @work(thread=True, group="load", exit_on_error=False)
    def _load_cache(self, asks: Asks) -> None:
        with self.session.workspace() as ws:
            self.post_message(self._snapshot(ws, None, asks))

    def after_first_paint(self) -> None:
        """The rows are on screen: now the work the first load left out. The first poll reads the turnaround
        history with its snapshot; without polling, it is read on its own."""
        if self.poll_enabled:
            self.poll_now()
        elif self.history_key is None:
            self._read_history()

    @work(thread=True, group="history", exit_on_error=False)
    def _read_history(self) -> None:
        with self.session.workspace() as ws:
            tallies = BatchPages(ws.db, ws.profile.name).tallies()
            self.post_message(HistoryRead(ws.batches.ended_durations(), _history_key(tallies)))

    def poll_api(self) -> None:
        self._poll_api(self._asks())

    @work(thread=True, group="poll", exit_on_error=False)
    def _poll_api(self, asks: Asks) -> None:
        with self.session.workspace() as ws:
            try:
                report = ws.syncer().sync()
            except BatchdeckError as exc:  # no key: reported like an API failure
                report = SyncReport(error=str(exc), error_kind=getattr(exc, "kind", "other"))
            self.post_message(self._snapshot(ws, report, asks))

    def save_meta(self, batch_id: str, field: str, text: str | None) -> None:
        self._save_meta(batch_id, field, text, self._asks())

    @work(thread=True, group="meta", exit_on_error=False)
    def _save_meta(self, batch_id: str, field: str, text: str | None, asks: Asks) -> None:
        with self.session.workspace() as ws:
            ws.batches.set_meta(batch_id, ws.now(), **{field: text})
            self.post_message(self._snapshot(ws, None, asks))

    @work(thread=True, group="action", exit_on_error=False)
    def change_batches(self, verb: str, ids: list[str], act: Callable[[Workspace, str], ChangeResult]) -> None:
        """Cancel or delete each batch (`act` is `core.batches.cancel_batch` or `.delete`)."""
        with self.session.workspace() as ws:
            self.post_message(ActionFinished(verb, [act(ws, batch_id) for batch_id in ids]))

    def cancel(self, ids: list[str]) -> None:
        self.change_batches("cancel", ids, cancel_batch)

    def delete(self, ids: list[str]) -> None:
        self.change_batches("delete", ids, delete_batch)

    # -- polling ------------------------------------------------------------------------------
    def poll_now(self) -> None:
        """Poll as soon as possible: now if idle, right after the current poll otherwise."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.polling:
            self.poll_again = True
            return
        self.polling = True
        self.poll_api()

    def on_history_read(self, message: HistoryRead) -> None:
        """The turnaround history the first load left out (it goes on up to the screen, which redraws the panes)."""
        if self.history_key is None:
            self.history, self.history_key = message.history, message.key

    def toggle_pause(self) -> bool:
        self.paused = not self.paused
        if self.paused and self._timer is not None:
            self._timer.stop()
            self._timer = None
        elif not self.paused:
            self.poll_now()
        return self.paused

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A poll that died of an unexpected error (a locked or failing disk): back off and try again.
        The app's one error handler says what happened (the message goes on up to it)."""
        error = event.worker.error
        if event.state == WorkerState.ERROR and error is not None and event.worker.group == "poll":
            report = SyncReport(error=f"{type(error).__name__}: {error}", error_kind="other")
            snapshot = DataLoaded(self.batches, self.history, self.state, report, self.session.clock())
            snapshot.tallies = self.tallies
            self.post_message(snapshot)

    def accept(self, message: DataLoaded) -> bool:
        """Take a load or poll result (the screen calls this first); after a poll, schedule the next one and say
        what the poll found. Returns False when the message's data is older than what is shown (it is then not used)."""
        before = {b.id: b.processing_status for b in self.batches}
        fresh = message.number == 0 or message.number > self._shown_number
        if fresh:
            self._shown_number = max(self._shown_number, message.number)
            self.batches, self.state = message.batches, message.state
            if message.history_key is not None:  # read with this snapshot (otherwise it only echoes what was asked)
                self.history, self.history_key = message.history, message.history_key
            if message.tallies is not None:
                self.tallies = message.tallies
            if message.job_batches is not None:
                self.job_batches = message.job_batches
        report = message.report
        if report is None:
            return fresh
        self.last_report = report
        self.polling = False
        self.polls_done += 1
        if self.poll_again:
            self.poll_again = False
            self.poll_now()
        elif self.poll_enabled and not self.paused:
            live = sum(1 for b in self.batches if b.is_live)
            self._timer = self.set_timer(self.schedule.next_delay(live, report.ok, report.retry_after), self.poll_now)
        for batch in newly_ended(before, self.batches):
            self._tell_ended(batch)
        self._announce(report)
        return fresh

    def _tell_ended(self, batch: CachedBatch) -> None:
        """A toast, the bell and a desktop notice, as configured; then the end hooks (see BatchEnded)."""
        text = ending_message(batch)
        if self.session.settings.notify.toast:
            severity: SeverityLevel = "warning" if batch.counts.failed else "information"
            self.notify(text, title="Batch ended", severity=severity, timeout=30, markup=False)
        if self.session.settings.notify.bell:
            self.app.bell()
        driver = self.app._driver
        if self.session.settings.notify.desktop and not self.app.is_headless and driver is not None:
            driver.write(osc9(f"batchdeck: {text}"))
        self.post_message(BatchEnded(batch, text))  # local actions follow: a readonly monitor runs them too

    def _announce(self, report: SyncReport) -> None:
        """A toast for a poll error only when it is new (the status line keeps showing it meanwhile), and for
        malformed batch objects a sync skipped once, not on every poll that meets them again."""
        if report.error and report.error != self._last_error:
            self.notify(report.error, title="Sync failed", severity="error", timeout=15, markup=False)
        self._last_error = report.error
        new = set(report.skipped) - self._skipped_told
        if new:
            self._skipped_told |= new
            self.notify(report.skipped_line() or "", title="Sync skipped objects", severity="warning", markup=False)
