"""Export on the results screen: `e` at once (marked rows, or the rows shown, as raw JSONL into the
export directory, never over a file), `E` through a dialog (format, rows, path; replacing a file
only after a yes). The rows are read and written in a thread worker, which posts its progress to the
screen (a text or CSV export of 100,000 rows takes a while)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from batchdeck.core.batches.phrases import counted
from batchdeck.core.errors import BatchdeckError
from batchdeck.core.results.browse import ResultsBrowser
from batchdeck.core.results.export import export, export_directory, free_path
from batchdeck.tui.messages import ExportFinished
from batchdeck.tui.screens.export_dialog import ExportChoice, ExportDialog
from batchdeck.tui.widgets.result_list import ResultList

if TYPE_CHECKING:
    from batchdeck.tui.screens.results import ResultsScreen


PROGRESS_SECONDS = 0.1


class ResultsExport:
    def __init__(self, screen: ResultsScreen) -> None:
        self.screen = screen

    def directory(self) -> Path:
        session = self.screen.session
        return export_directory(session.settings.results.export_dir)

    def _marked(self) -> set[str]:
        return self.screen.query_one(ResultList).marked

    def _stem(self, subset: str) -> str:
        batch_id = self.screen.batch.id
        if subset == "marked":
            return f"{batch_id}-marked"
        return batch_id if subset == "all" else f"{batch_id}-{self.screen.filter.slug()}".removesuffix("-all")

    def quick(self) -> None:
        subset = "marked" if self._marked() else "view"
        self._export("jsonl", subset, free_path(self.directory(), self._stem(subset), "jsonl"))

    def dialog(self) -> None:
        screen = self.screen
        marked = len(self._marked())
        subsets = {
            "view": f"the rows shown ({screen.total:,})",
            "all": f"every result ({sum(screen.facets[0].values()):,})",
        }
        if marked:
            subsets = {"marked": f"the marked rows ({marked:,})", **subsets}

        def chosen(choice: ExportChoice | None) -> None:
            if choice is not None:
                self._export(choice.fmt, choice.subset, choice.path, replace=choice.replace)

        stems = {subset: self._stem(subset) for subset in subsets}
        screen.app.push_screen(ExportDialog(self.directory(), subsets, stems), chosen)

    def _export(self, fmt: str, subset: str, target: Path, replace: bool = False) -> None:
        screen = self.screen
        marked = sorted(self._marked()) if subset == "marked" else None
        browser, source = screen.browser, screen.results_file
        session, batch_id = screen.session, screen.batch.id
        if browser is None or source is None:
            return
        screen.export_progress(ExportProgress(target, 0, None))

        def work() -> None:
            try:
                if subset == "all":
                    reader = ResultsBrowser(session.db_path, session.profile.name, batch_id)
                    try:
                        rows = reader.all_rows()
                    finally:
                        reader.close()
                else:
                    rows = browser.all_rows(marked)
                report = export(
                    source, rows, fmt, target, overwrite=replace, progress=self._reporter(target, len(rows))
                )
            except BatchdeckError as exc:
                screen.app.post_message(ExportFinished(str(exc), error=True))
                return
            finally:
                screen.post_message(ExportProgress(target, 0, None, over=True))
            screen.app.post_message(ExportFinished(f"{counted(report.rows, 'result')} to {report.path}"))

        screen.app.run_worker(work, thread=True, group="export", exit_on_error=False)

    def _reporter(self, target: Path, total: int) -> Callable[[int], None]:
        """The export's progress callback: a message to the screen at most every PROGRESS_SECONDS."""
        last = 0.0

        def progress(done: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= PROGRESS_SECONDS:
                last = now
                self.screen.post_message(ExportProgress(target, done, total))

        return progress


class ExportProgress(Message):
    """How far an export has come (`total` None: still reading which rows); `over` when it has finished or failed.
    A newer count replaces one still waiting in the queue, so a slow screen never falls behind."""

    def __init__(self, path: Path, done: int, total: int | None, over: bool = False) -> None:
        super().__init__()
        self.path, self.done, self.total, self.over = path, done, total, over

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ExportProgress) and message.path == self.path and not (message.over or self.over)

    def text(self) -> str:
        if self.total is None:
            return f"exporting to {self.path.name}…"
        return f"exporting {self.done:,} of {counted(self.total, 'row')} to {self.path.name}…"
