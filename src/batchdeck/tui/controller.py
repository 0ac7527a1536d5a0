"""The app's data and work: loading the cache, polling, and running actions in thread workers.

Workers never touch widgets: each ends by posting one message to the app. Polls never
overlap: the next one is scheduled only when the previous one has finished, quickly while
batches are live, slowly when none are, backing off on errors (and honouring retry-after).
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.timer import Timer
from textual.worker import get_current_worker

from batchdeck.core import actions
from batchdeck.core.actions import Outcome
from batchdeck.core.auto_download import pending_downloads
from batchdeck.core.cache import SyncState
from batchdeck.core.errors import BatchdeckError
from batchdeck.core.models import CachedBatch
from batchdeck.core.poll_schedule import PollSchedule
from batchdeck.core.session import Session
from batchdeck.core.sync import SyncReport
from batchdeck.core.workspace import Workspace
from batchdeck.tui.messages import (ActionFinished, DataLoaded, DownloadFinished, DownloadProgress, ExportFinished,
                                   HooksRan, JobLoaded, RetryPlanned, RetrySent)

if TYPE_CHECKING:
    from batchdeck.tui.app import BatchdeckApp


class _Closing(Exception):
    """Raised inside a download when its worker was cancelled (the app is closing)."""


class Controller:
    def __init__(self, app: BatchdeckApp, session: Session, poll: bool = True) -> None:
        self.app = app
        self.session = session
        self.poll_enabled = poll
        self.schedule = PollSchedule(live_seconds=float(session.config.get("tui.poll_seconds")))
        self.batches: list[CachedBatch] = []
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
        self.auto_download = bool(session.config.get("results.auto_download"))
        self._downloading: set[str] = set()  # batch ids being downloaded (workers add and remove them)
        self._download_lock = threading.Lock()
        self._auto_running = False

    # -- loading and polling ------------------------------------------------------------------
    def load(self) -> None:
        """Read the cache (no network) and post it."""
        self.app.run_worker(self._load_worker, thread=True, group="load", exit_on_error=False)

    def _snapshot(self, ws: Workspace, report: SyncReport | None) -> DataLoaded:
        """Numbered when read, so a slow reader's older snapshot never replaces a newer one."""
        number = next(self._snapshots)
        message = DataLoaded(ws.cache.query(include_deleted=True), ws.cache.ended_durations(),
                             ws.cache.sync_state(), report, self.session.clock())
        message.number = number
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
        self.app.post_message(DataLoaded(self.batches, self.history, self.state,
                                         SyncReport(error=error, error_kind="other"), self.session.clock()))

    def accept(self, message: DataLoaded) -> bool:
        """Take a load or poll result; schedule the next poll when a poll finished.
        Returns False when the message's data is older than what is shown (it is then not used)."""
        fresh = message.number == 0 or message.number > self._shown_snapshot
        if fresh:
            self._shown_snapshot = max(self._shown_snapshot, message.number)
            self.batches, self.history, self.state = message.batches, message.history, message.state
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
        if message.report.ok and self.auto_download and not self.paused:
            self.start_auto_downloads()
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
    def run_action(self, verb: str, ids: list[str], act: Callable[..., Outcome]) -> None:
        def work() -> None:
            with self.session.workspace() as ws:
                self.app.post_message(ActionFinished(verb, [act(ws, batch_id) for batch_id in ids]))

        self.app.run_worker(work, thread=True, group="action", exit_on_error=False)

    def cancel(self, ids: list[str]) -> None:
        self.run_action("cancel", ids, actions.cancel)

    def delete(self, ids: list[str]) -> None:
        self.run_action("delete", ids, actions.delete)

    def set_meta(self, batch_id: str, **fields: str | None) -> None:
        def work() -> None:
            with self.session.workspace() as ws:
                ws.cache.set_meta(batch_id, ws.now(), **fields)
                self.app.post_message(self._snapshot(ws, None))

        self.app.run_worker(work, thread=True, group="meta", exit_on_error=False)

    # -- results downloads --------------------------------------------------------------------
    def _claim(self, batch_id: str) -> bool:
        with self._download_lock:
            if batch_id in self._downloading:
                return False
            self._downloading.add(batch_id)
            return True

    def _release(self, batch_id: str) -> None:
        with self._download_lock:
            self._downloading.discard(batch_id)

    def is_downloading(self, batch_id: str) -> bool:
        with self._download_lock:
            return batch_id in self._downloading

    def _download_one(self, ws: Workspace, batch_id: str, automatic: bool) -> None:
        """Download one batch's results, posting progress; a cancelled worker stops mid-stream (nothing kept)."""
        from batchdeck.core.results import download  # the SDK loads with it, in the worker

        worker = get_current_worker()
        last = 0.0

        def progress(size: int, rows: int) -> None:
            nonlocal last
            if worker.is_cancelled:
                raise _Closing
            if time.monotonic() - last > 0.25:
                last = time.monotonic()
                self.app.post_message(DownloadProgress(batch_id, size, rows))

        try:
            report = download(ws, batch_id, progress)
            self.app.post_message(DownloadFinished(batch_id, report.summary(), None, automatic))
        except BatchdeckError as exc:
            self.app.post_message(DownloadFinished(batch_id, None, str(exc), automatic))
        except _Closing:
            return  # the partial download was discarded; the next run starts it again
        finally:
            self._release(batch_id)
        self.app.post_message(self._snapshot(ws, None))  # the list shows "saved" and the cost

    def download(self, batch_id: str) -> bool:
        """Download one batch's results now (the user asked); False when it is already under way."""
        if not self._claim(batch_id):
            return False

        def work() -> None:
            with self.session.workspace() as ws:
                self._download_one(ws, batch_id, automatic=False)

        self.app.run_worker(work, thread=True, group="download", exit_on_error=False)
        return True

    def start_auto_downloads(self) -> None:
        """Save the results of ended batches in the background, one at a time, most urgent first."""
        if self._auto_running:
            return
        self._auto_running = True

        def work() -> None:
            try:
                tried: set[str] = set()
                with self.session.workspace() as ws:
                    while not get_current_worker().is_cancelled:
                        todo = [i for i in pending_downloads(ws, self.session.clock()) if i not in tried]
                        batch_id = next((i for i in todo if self._claim(i)), None)
                        if batch_id is None:
                            return
                        tried.add(batch_id)
                        self._download_one(ws, batch_id, automatic=True)
            finally:
                self._auto_running = False

        self.app.run_worker(work, thread=True, group="auto-download", exit_on_error=False)

    def export_batches(self, ids: list[str]) -> None:
        """Each batch's results (downloaded first when needed) as raw JSONL in the export directory."""
        from batchdeck.core.export import export, export_directory, free_path
        from batchdeck.core.results import ensure_downloaded, results_path
        from batchdeck.core.results_index import ResultsIndex

        directory = export_directory(str(self.session.config.get("results.export_dir")))

        def work() -> None:
            written, failed = [], []
            with self.session.workspace() as ws:
                for batch_id in ids:
                    try:
                        ensure_downloaded(ws, batch_id)
                        rows = ResultsIndex(ws.db, ws.profile.name).rows(batch_id)
                        written.append(export(results_path(ws, batch_id), rows, "jsonl",
                                              free_path(directory, batch_id, "jsonl")).path)
                    except BatchdeckError as exc:
                        failed.append(str(exc))
                self.app.post_message(self._snapshot(ws, None))
            if written:
                where = str(written[0]) if len(written) == 1 else f"{len(written)} files in {directory}"
                self.app.post_message(ExportFinished(f"results to {where}"))
            if failed:
                more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
                self.app.post_message(ExportFinished(failed[0] + more, error=True))

        self.app.run_worker(work, thread=True, group="export", exit_on_error=False)

    # -- resubmission and jobs ----------------------------------------------------------------
    def plan_retry(self, target: str, include: tuple[str, ...] | None = None, only: tuple[str, ...] | None = None,
                   attach_file: str | None = None) -> None:
        """Plan a resubmission of a batch's (or a job's) failed rows; attach the original file first if given."""
        from batchdeck.core.attach import attach
        from batchdeck.core.jobstore import JobStore
        from batchdeck.core.retry import plan_retry

        def work() -> None:
            with self.session.workspace() as ws:
                try:
                    if attach_file:
                        attach(ws, target, Path(attach_file).expanduser())
                    store = JobStore(ws.db, ws.profile.name)
                    if target.startswith("msgbatch_") and store.job_of_batch(target) is None:
                        self.app.post_message(RetryPlanned(target, None, needs_attach=True, only=only))
                        return
                    plan = plan_retry(ws, target, include, only)
                except BatchdeckError as exc:
                    self.app.post_message(RetryPlanned(target, None, str(exc), only=only))
                    return
                self.app.post_message(RetryPlanned(target, plan, only=only))
                self.app.post_message(self._snapshot(ws, None))  # planning downloads results: costs are known

        self.app.run_worker(work, thread=True, group="retry-plan", exit_on_error=False)

    def send_retry(self, plan: object) -> None:
        from batchdeck.core.retry import RetryPlan, send_plan

        assert isinstance(plan, RetryPlan)

        def work() -> None:
            with self.session.workspace() as ws:
                try:
                    made = send_plan(ws, plan)
                except BatchdeckError as exc:  # includes a lost answer (Uncertain): the next run reconciles
                    self.app.post_message(RetrySent(plan.job_id, 0, [], str(exc)))
                    return
                self.app.post_message(RetrySent(plan.job_id, len(plan.selected), made))

        self.app.run_worker(work, thread=True, group="retry-send", exit_on_error=False)

    def load_job(self, target: str) -> None:
        """The merged view of the job a batch belongs to (refreshing its batches and results)."""
        from batchdeck.core.jobs import job_view, resolve_job

        def work() -> None:
            with self.session.workspace() as ws:
                try:
                    view = job_view(ws, resolve_job(ws, target), update=True)
                except BatchdeckError as exc:
                    self.app.post_message(JobLoaded(None, str(exc)))
                    return
                self.app.post_message(JobLoaded(view))

        self.app.run_worker(work, thread=True, group="job", exit_on_error=False)

    def export_job(self, job_id: str) -> None:
        from batchdeck.core.export import export_directory, free_path
        from batchdeck.core.job_export import export_job
        from batchdeck.core.jobs import job_view

        directory = export_directory(str(self.session.config.get("results.export_dir")))

        def work() -> None:
            with self.session.workspace() as ws:
                try:
                    view = job_view(ws, job_id, update=True)
                    report = export_job(ws, view, free_path(directory, f"{job_id}-merged", "jsonl"))
                except BatchdeckError as exc:
                    self.app.post_message(ExportFinished(str(exc), error=True))
                    return
            self.app.post_message(ExportFinished(f"{job_id}, merged: {report.path}"))

        self.app.run_worker(work, thread=True, group="export", exit_on_error=False)

    # -- end-of-batch hooks -------------------------------------------------------------------
    def run_end_hooks(self, batch: CachedBatch) -> bool:
        """The `hooks.*` settings (download, export, on-end command, webhook) for a batch that just ended,
        as `batchdeck watch` runs them; False when none is configured."""
        from batchdeck.core.batch_end import EndActions, finish_batch

        actions = EndActions.from_config(self.session.config, self.session.profile.name)
        if not actions.describe():
            return False

        def work() -> None:
            with self.session.workspace() as ws:
                outcomes = finish_batch(ws, batch, actions)
                self.app.post_message(HooksRan(batch.id, [(o.ok, o.message) for o in outcomes]))
                self.app.post_message(self._snapshot(ws, None))

        self.app.run_worker(work, thread=True, group="hooks", exit_on_error=False)
        return True
