"""Saving results: downloads (asked for by a results screen, or in the background for every ended batch),
exports of whole batches, and the end-of-batch hooks.

A non-visual widget on the main screen, so a download goes on when the user leaves the results screen
that asked for it. Each job is a named thread worker that calls core and posts one message; the
handlers here own the state, say what happened once, and publish download news (`Signals.download`)
for the results screens waiting on a batch. Where an export went is the app's to say (ExportFinished
bubbles up to it from every node that exports).
"""

from __future__ import annotations

import time

from textual import work
from textual.notifications import SeverityLevel
from textual.widget import Widget
from textual.worker import get_current_worker

from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.errors import BatchdeckError
from batchdeck.core.results.auto_download import pending_downloads
from batchdeck.core.session import Session
from batchdeck.core.workspace import Workspace
from batchdeck.tui.messages import (
    AutoDownloadsDone,
    CacheChanged,
    DownloadFinished,
    DownloadProgress,
    ExportFinished,
    HooksRan,
)
from batchdeck.tui.signals import Downloads, Signals


class _Closing(Exception):
    """Raised inside a download when its worker was cancelled (the app is closing)."""


class ResultsKeeper(Widget):
    DEFAULT_CSS = "ResultsKeeper { display: none; }"

    def __init__(self, session: Session, downloads: Downloads, signals: Signals) -> None:
        super().__init__()
        self.session = session
        self.downloads = downloads
        self.signals = signals
        self.auto_download = session.settings.results.auto_download
        self._auto_running = False
        self._download_errors: set[str] = set()  # batches whose failed download was already reported

    # -- workers ------------------------------------------------------------------------------
    def _download_one(self, ws: Workspace, batch_id: str, automatic: bool) -> None:
        """Download one batch's results, posting progress; a cancelled worker stops mid-stream (nothing kept)."""
        from batchdeck.core.results.download import download  # the API client loads with it, in the worker

        worker = get_current_worker()
        last = 0.0

        def progress(size: int, rows: int) -> None:
            nonlocal last
            if worker.is_cancelled:
                raise _Closing
            if time.monotonic() - last > 0.25:
                last = time.monotonic()
                self.post_message(DownloadProgress(batch_id, size, rows))

        try:
            report = download(ws, batch_id, progress)
            self.post_message(DownloadFinished(batch_id, report.summary(), None, automatic))
        except BatchdeckError as exc:
            self.post_message(DownloadFinished(batch_id, None, str(exc), automatic))
        except _Closing:
            return  # the partial download was discarded; the next run starts it again
        finally:
            self.downloads.release(batch_id)
        self.post_message(CacheChanged())  # the list shows "saved" and the cost

    @work(thread=True, group="download", exit_on_error=False)
    def _download_results(self, batch_id: str) -> None:
        with self.session.workspace() as ws:
            self._download_one(ws, batch_id, automatic=False)

    def download(self, batch_id: str) -> bool:
        """Download one batch's results now (the user asked); False when it is already under way."""
        if not self.downloads.claim(batch_id):
            return False
        self._download_results(batch_id)
        return True

    def start_auto_downloads(self) -> None:
        """Save the results of ended batches in the background, one at a time, most urgent first."""
        if self.auto_download and not self._auto_running:
            self._auto_running = True
            self.download_ended_batches()

    @work(thread=True, group="auto-download", exit_on_error=False)
    def download_ended_batches(self) -> None:
        try:
            tried: set[str] = set()
            with self.session.workspace() as ws:
                while not get_current_worker().is_cancelled:
                    todo = [i for i in pending_downloads(ws, self.session.clock()) if i not in tried]
                    batch_id = next((i for i in todo if self.downloads.claim(i)), None)
                    if batch_id is None:
                        return
                    tried.add(batch_id)
                    self._download_one(ws, batch_id, automatic=True)
        finally:
            self.post_message(AutoDownloadsDone())

    @work(thread=True, group="export", exit_on_error=False)
    def export_batches(self, ids: list[str]) -> None:
        """Each batch's results (downloaded first when needed) as raw JSONL in the export directory."""
        from batchdeck.core.results.download import ensure_downloaded
        from batchdeck.core.results.export import export_directory, export_saved

        directory = export_directory(self.session.settings.results.export_dir)
        written, failed = [], []
        with self.session.workspace() as ws:
            for batch_id in ids:
                try:
                    ensure_downloaded(ws, batch_id)
                    written.append(export_saved(ws, batch_id, directory).path)
                except BatchdeckError as exc:
                    failed.append(str(exc))
        self.post_message(CacheChanged())
        if written:
            where = str(written[0]) if len(written) == 1 else f"{len(written):,} files in {directory}"
            self.post_message(ExportFinished(f"results to {where}"))
        if failed:
            more = f" (and {len(failed) - 1:,} more)" if len(failed) > 1 else ""
            self.post_message(ExportFinished(failed[0] + more, error=True))

    def run_end_hooks(self, batch: CachedBatch) -> bool:
        """The `hooks.*` settings (download, export, on-end command, webhook) for a batch that just ended,
        as `batchdeck watch` runs them; False when none is configured."""
        from batchdeck.core.watch.batch_end import EndActions

        actions = EndActions.from_settings(self.session.settings.hooks)
        if not actions.step_names():
            return False
        self._finish_batch(batch, actions)
        return True

    @work(thread=True, group="hooks", exit_on_error=False)
    def _finish_batch(self, batch: CachedBatch, actions: object) -> None:
        from batchdeck.core.watch.batch_end import EndActions, finish_batch

        assert isinstance(actions, EndActions)
        with self.session.workspace() as ws:
            outcomes = finish_batch(ws, batch, actions)
            self.post_message(HooksRan(batch.id, [(o.ok, o.message) for o in outcomes]))
        self.post_message(CacheChanged())

    # -- what came back -----------------------------------------------------------------------
    def on_auto_downloads_done(self) -> None:
        self._auto_running = False

    def on_download_progress(self, message: DownloadProgress) -> None:
        self.signals.download.publish(message)

    def on_download_finished(self, message: DownloadFinished) -> None:
        """The results screen waiting for it carries on; a failure is said once, a user's download is confirmed
        (unless a results screen is in front, which shows the results themselves)."""
        self.signals.download.publish(message)
        if message.error and message.batch_id not in self._download_errors:
            self._download_errors.add(message.batch_id)
            severity: SeverityLevel = "warning" if message.automatic else "error"
            self.notify(message.error, title="Results not saved", severity=severity, timeout=15, markup=False)
        elif message.summary and not message.automatic and not self.app.screen.has_class("results-screen"):
            self.notify(message.summary, title="Results saved", timeout=6, markup=False)

    def on_hooks_ran(self, message: HooksRan) -> None:
        """Hooks are quiet when they work; a failed one is said once, with what went wrong."""
        problems = [text for ok, text in message.outcomes if not ok]
        if problems:
            text = "\n".join(problems)
            self.notify(text, title="End-of-batch hook failed", severity="warning", timeout=20, markup=False)
