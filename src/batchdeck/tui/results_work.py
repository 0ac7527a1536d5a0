"""Results work for the app, in thread workers: downloads (asked for, or in the background for every
ended batch), exports of whole batches, and the end-of-batch hooks. Each posts one message when done."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.worker import get_current_worker

from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.errors import BatchdeckError
from batchdeck.core.results.auto_download import pending_downloads
from batchdeck.core.session import Session
from batchdeck.core.workspace import Workspace
from batchdeck.tui.messages import DataLoaded, DownloadFinished, DownloadProgress, ExportFinished, HooksRan

if TYPE_CHECKING:
    from batchdeck.tui.app import BatchdeckApp


class _Closing(Exception):
    """Raised inside a download when its worker was cancelled (the app is closing)."""


class ResultsWork:
    def __init__(self, app: BatchdeckApp, session: Session, snapshot: Callable[[Workspace, None], DataLoaded]) -> None:
        self.app = app
        self.session = session
        self._snapshot = snapshot
        self.auto_download = session.settings.results.auto_download
        self._downloading: set[str] = set()  # batch ids being downloaded (workers add and remove them)
        self._download_lock = threading.Lock()
        self._auto_running = False

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
        from batchdeck.core.results.download import download  # the SDK loads with it, in the worker

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
        from batchdeck.core.results.download import ensure_downloaded
        from batchdeck.core.results.export import export_directory, export_saved

        directory = export_directory(self.session.settings.results.export_dir)

        def work() -> None:
            written, failed = [], []
            with self.session.workspace() as ws:
                for batch_id in ids:
                    try:
                        ensure_downloaded(ws, batch_id)
                        written.append(export_saved(ws, batch_id, directory).path)
                    except BatchdeckError as exc:
                        failed.append(str(exc))
                self.app.post_message(self._snapshot(ws, None))
            if written:
                where = str(written[0]) if len(written) == 1 else f"{len(written):,} files in {directory}"
                self.app.post_message(ExportFinished(f"results to {where}"))
            if failed:
                more = f" (and {len(failed) - 1:,} more)" if len(failed) > 1 else ""
                self.app.post_message(ExportFinished(failed[0] + more, error=True))

        self.app.run_worker(work, thread=True, group="export", exit_on_error=False)

    def run_end_hooks(self, batch: CachedBatch) -> bool:
        """The `hooks.*` settings (download, export, on-end command, webhook) for a batch that just ended,
        as `batchdeck watch` runs them; False when none is configured."""
        from batchdeck.core.watch.batch_end import EndActions, finish_batch

        actions = EndActions.from_settings(self.session.settings.hooks)
        if not actions.step_names():
            return False

        def work() -> None:
            with self.session.workspace() as ws:
                outcomes = finish_batch(ws, batch, actions)
                self.app.post_message(HooksRan(batch.id, [(o.ok, o.message) for o in outcomes]))
                self.app.post_message(self._snapshot(ws, None))

        self.app.run_worker(work, thread=True, group="hooks", exit_on_error=False)
        return True
