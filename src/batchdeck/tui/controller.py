"""The app's data and work: loading the cache, polling, and running actions in thread workers.

Workers never touch widgets: each ends by posting one message to the app. Polls never
overlap: the next one is scheduled only when the previous one has finished, quickly while
batches are live, slowly when none are, backing off on errors (and honouring retry-after).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.timer import Timer

from batchdeck.core.batches.changes import ChangeResult, cancel_batch, delete_batch
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.errors import BatchdeckError
from batchdeck.core.session import Session
from batchdeck.core.store.batch_repo import SyncState
from batchdeck.core.sync.walk import SyncReport
from batchdeck.core.watch.poll_schedule import PollSchedule
from batchdeck.core.workspace import Workspace
from batchdeck.tui.jobs_work import JobsWork
from batchdeck.tui.messages import ActionFinished, DataLoaded
from batchdeck.tui.results_work import ResultsWork

if TYPE_CHECKING:
    from batchdeck.tui.app import BatchdeckApp


class Controller:
    def __init__(self, app: BatchdeckApp, session: Session, poll: bool = True) -> None:
        self.app = app
        self.session = session
        self.poll_enabled = poll
        self.schedule = PollSchedule(live_seconds=session.settings.tui.poll_seconds)
        self.batches: list[CachedBatch] = []
        self.job_batches: frozenset[str] | None = None  # for `J`: which batches have a job (None: not read yet)
        self.history: list[tuple[int, float]] = []
        self.state = SyncState()
        self.last_report: SyncReport | None = None
        self.polling = False
        self.poll_again = False
        self.paused = False
        self._timer: Timer | None = None
        self.polls_done = 0
        self._snapshots = itertools.count(1)
        self._shown_snapshot = 0
        self.on_polling_change: Callable[[bool], None] = lambda polling: None
        self.results = ResultsWork(app, session, self._snapshot)
        self.jobs = JobsWork(app, session, self._snapshot)

    # -- loading and polling ------------------------------------------------------------------
    def load(self) -> None:
        """Read the cache (no network) and post it."""
        self.app.run_worker(self._load_worker, thread=True, group="load", exit_on_error=False)

    def _snapshot(self, ws: Workspace, report: SyncReport | None) -> DataLoaded:
        """Numbered when read, so a slow reader's older snapshot never replaces a newer one."""
        number = next(self._snapshots)
        message = DataLoaded(
            ws.batches.query(include_deleted=True),
            ws.batches.ended_durations(),
            ws.batches.sync_state(),
            report,
            self.session.clock(),
        )
        message.number = number
        message.job_batches = frozenset(ws.jobs.claimed_batches())
        return message

    def _load_worker(self) -> None:
        with self.session.workspace() as ws:
            self.app.post_message(self._snapshot(ws, None))

    def poll_now(self) -> None:
        """Poll as soon as possible: now if idle, right after the current poll otherwise."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.polling:
            self.poll_again = True
            return
        self.polling = True
        self.on_polling_change(True)
        self.app.run_worker(self._poll_worker, thread=True, group="poll", exit_on_error=False)

    def _poll_worker(self) -> None:
        with self.session.workspace() as ws:
            try:
                report = ws.syncer().sync()
            except BatchdeckError as exc:  # no key: reported like an API failure
                report = SyncReport(error=str(exc), error_kind=getattr(exc, "kind", "other"))
            self.app.post_message(self._snapshot(ws, report))

    def poll_failed(self, error: str) -> None:
        """A poll that died of an unexpected error (a locked or failing disk): back off and try again."""
        self.app.post_message(
            DataLoaded(
                self.batches,
                self.history,
                self.state,
                SyncReport(error=error, error_kind="other"),
                self.session.clock(),
            )
        )

    def accept(self, message: DataLoaded) -> bool:
        """Take a load or poll result; schedule the next poll when a poll finished.
        Returns False when the message's data is older than what is shown (it is then not used)."""
        fresh = message.number == 0 or message.number > self._shown_snapshot
        if fresh:
            self._shown_snapshot = max(self._shown_snapshot, message.number)
            self.batches, self.history, self.state = message.batches, message.history, message.state
            if message.job_batches is not None:
                self.job_batches = message.job_batches
        if message.report is None:
            return fresh
        self.last_report = message.report
        self.polling = False
        self.on_polling_change(False)
        self.polls_done += 1
        if self.poll_again:
            self.poll_again = False
            self.poll_now()
        elif self.poll_enabled and not self.paused:
            live = sum(1 for b in self.batches if b.is_live)
            delay = self.schedule.next_delay(live, message.report.ok, message.report.retry_after)
            self._timer = self.app.set_timer(delay, self.poll_now)
        if message.report.ok and self.results.auto_download and not self.paused:
            self.results.start_auto_downloads()
        return fresh

    def toggle_pause(self) -> bool:
        self.paused = not self.paused
        if self.paused and self._timer is not None:
            self._timer.stop()
            self._timer = None
        elif not self.paused:
            self.poll_now()
        return self.paused

    # -- actions ------------------------------------------------------------------------------
    def run_action(self, verb: str, ids: list[str], act: Callable[..., ChangeResult]) -> None:
        def work() -> None:
            with self.session.workspace() as ws:
                self.app.post_message(ActionFinished(verb, [act(ws, batch_id) for batch_id in ids]))

        self.app.run_worker(work, thread=True, group="action", exit_on_error=False)

    def cancel(self, ids: list[str]) -> None:
        self.run_action("cancel", ids, cancel_batch)

    def delete(self, ids: list[str]) -> None:
        self.run_action("delete", ids, delete_batch)

    def set_meta(self, batch_id: str, **fields: str | None) -> None:
        def work() -> None:
            with self.session.workspace() as ws:
                ws.batches.set_meta(batch_id, ws.now(), **fields)
                self.app.post_message(self._snapshot(ws, None))

        self.app.run_worker(work, thread=True, group="meta", exit_on_error=False)
