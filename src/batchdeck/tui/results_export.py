"""Export on the results screen: `e` at once (marked rows, or the rows shown, as raw JSONL into the
export directory, never over a file), `E` through a dialog (format, rows, path; replacing a file
only after a yes). The rows are read and written in a thread worker."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from batchdeck.core.errors import BatchdeckError
from batchdeck.core.export import export, export_directory, free_path
from batchdeck.core.results_browser import ResultsBrowser
from batchdeck.tui.messages import ExportFinished
from batchdeck.tui.screens.confirm import ConfirmScreen
from batchdeck.tui.screens.export_dialog import ExportChoice, ExportDialog
from batchdeck.tui.widgets.result_list import ResultList

if TYPE_CHECKING:
    from batchdeck.tui.screens.results import ResultsScreen


class ResultsExport:
    def __init__(self, screen: ResultsScreen) -> None:
        self.screen = screen

    def directory(self) -> Path:
        session = self.screen.session
        return export_directory(str(session.setting("results.export_dir")))

    def _marked(self) -> set[str]:
        return self.screen.query_one(ResultList).marked

    def _stem(self, subset: str) -> str:
        batch_id = self.screen.batch.id
        if subset == "marked":
            return f"{batch_id}-marked"
        return batch_id if subset == "all" else f"{batch_id}-{self.screen.filter.describe()}".removesuffix("-all")

    def quick(self) -> None:
        subset = "marked" if self._marked() else "view"
        self._export("jsonl", subset, free_path(self.directory(), self._stem(subset), "jsonl"))

    def dialog(self) -> None:
        screen = self.screen
        marked = len(self._marked())
        subsets = {"view": f"the rows shown ({screen.total:,})",
                   "all": f"every result ({sum(screen.facets[0].values()):,})"}
        if marked:
            subsets = {"marked": f"the marked rows ({marked:,})", **subsets}

        def chosen(choice: ExportChoice | None) -> None:
            if choice is None:
                return
            if choice.path.exists():
                def overwrite(yes: bool | None) -> None:
                    if yes:
                        self._export(choice.fmt, choice.subset, choice.path, replace=True)

                screen.app.push_screen(ConfirmScreen("Replace the file?", f"{choice.path} exists.", "Replace"),
                                       overwrite)
                return
            self._export(choice.fmt, choice.subset, choice.path)

        screen.app.push_screen(ExportDialog(self.directory(), self._stem(next(iter(subsets))), subsets), chosen)

    def _export(self, fmt: str, subset: str, target: Path, replace: bool = False) -> None:
        screen = self.screen
        marked = sorted(self._marked()) if subset == "marked" else None
        browser, source = screen.browser, screen.results_file
        session, batch_id = screen.session, screen.batch.id
        if browser is None or source is None:
            return

        def work() -> None:
            if subset == "all":
                reader = ResultsBrowser(session.db_path, session.profile.name, batch_id)
                try:
                    rows = reader.all_rows()
                finally:
                    reader.close()
            else:
                rows = browser.all_rows(marked)
            try:
                report = export(source, rows, fmt, target, overwrite=replace)
            except BatchdeckError as exc:
                screen.app.post_message(ExportFinished(str(exc), error=True))
                return
            screen.app.post_message(ExportFinished(f"{report.rows:,} results to {report.path}"))

        screen.app.run_worker(work, thread=True, group="export", exit_on_error=False)
