"""A batch's results by custom_id: the keys. Search, outcome and error filters, marks, copy, and export:
`e` at once (marked rows, or the rows shown, as raw JSONL into the export directory, never over a file),
`E` through a dialog (format, rows, path; replacing a file only after a yes). An export runs in a thread
worker that posts its progress to the screen; where it went is said by the app (it outlives the screen).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

from textual import events, work
from textual.binding import Binding, BindingType
from textual.widgets import Input

from batchdeck.core.results.browse import ResultsBrowser
from batchdeck.core.results.export import export_directory, free_path
from batchdeck.tui.clipboard import copied_text
from batchdeck.tui.export_rows import export_rows, export_stem, export_subsets
from batchdeck.tui.messages import ExportProgress
from batchdeck.tui.screens.export_dialog import ExportChoice, ExportDialog
from batchdeck.tui.screens.results_text import OUTCOME_VIEWS
from batchdeck.tui.screens.results_view import ResultsView
from batchdeck.tui.widgets.result_list import ResultList
from batchdeck.tui.widgets.result_pane import ResultPane


class ResultsScreen(ResultsView):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_or_back", "Clear/back"),
        Binding("q", "back", "Back", show=False),
        Binding("slash", "search", "Search"),
        Binding("f", "outcome_filter", "Outcome"),
        Binding("t", "error_filter", "Error type"),
        Binding("space", "mark", "Mark", show=False),
        Binding("U", "clear_marks", "Clear marks", show=False),
        Binding("y", "copy_id", "Copy id"),
        Binding("Y", "copy_text", "Copy text", show=False),
        Binding("z", "toggle_thinking", "Thinking", show=False),
        Binding("e", "quick_export", "Export"),
        Binding("E", "export_dialog", "Export…"),
        Binding("tab", "switch_pane", "Pane", show=False),
        Binding("R", "app.resubmit", "Resubmit"),
        Binding("question_mark", "app.help", "Keys"),
    ]

    # -- keys ---------------------------------------------------------------------------------
    def action_back(self) -> None:
        self.app.pop_screen()

    def action_clear_or_back(self) -> None:
        """esc undoes one thing at a time (k9s order): the search, then the filters, then leaves the screen."""
        if self.search or self.query_one("#results-search", Input).display:
            self._clear_search()
        elif self.view or self.error_type:
            self.view, self.error_type = 0, None
            self._refilter()
        else:
            self.action_back()

    def _clear_search(self) -> None:
        field = self.query_one("#results-search", Input)
        field.value = ""
        field.display = False
        self.query_one(ResultList).focus()
        if self.search:
            self.search = ""
            self._refilter()

    def action_search(self) -> None:
        if not self._rows_here("search"):
            return
        field = self.query_one("#results-search", Input)
        field.display = True
        field.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.search = event.value.strip()
        current = self.query_one(ResultList).current
        self._start_query(keep=current.custom_id if current else None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(ResultList).focus()
        event.input.display = bool(event.value.strip())

    def on_key(self, event: events.Key) -> None:
        """esc in the search box clears it (and returns to the list) rather than leaving the screen."""
        if event.key == "escape" and self.query_one("#results-search", Input).has_focus:
            event.stop()
            event.prevent_default()
            self._clear_search()

    def action_outcome_filter(self) -> None:
        """The next outcome view that has rows (`all` always has)."""
        if not self._rows_here("filter by outcome"):
            return
        following = [(self.view + step) % len(OUTCOME_VIEWS) for step in range(1, len(OUTCOME_VIEWS))]
        view = next((v for v in following if v == 0 or self._rows_in(v)), self.view)
        if view == self.view:
            self.notify("every result has the same outcome: no other to show", timeout=6)
            return
        self.view = view
        if self.error_type and "errored" not in OUTCOME_VIEWS[self.view][1]:
            self.error_type = None  # back to all, or an outcome without errors: the error type goes too
        self._refilter()

    def _rows_in(self, view: int) -> int:
        """Rows of the whole batch in an outcome view (from the facets, not the current filter)."""
        return sum(self.facets[0].get(outcome, 0) for outcome in OUTCOME_VIEWS[view][1])

    def action_error_filter(self) -> None:
        if not self._rows_here("filter by error type"):
            return
        types = sorted(self.facets[1], key=lambda t: (-self.facets[1][t], t))
        if not types:
            self.notify("no errored rows in this batch", timeout=4)
            return
        order = [None, *types]
        self.error_type = order[(order.index(self.error_type) + 1) % len(order)]
        if self.error_type:
            self.view = 3  # errored
        self._refilter()

    def action_mark(self) -> None:
        if not self._rows_here("mark"):
            return
        self.query_one(ResultList).toggle_mark()
        self._header()

    def action_clear_marks(self) -> None:
        self.query_one(ResultList).clear_marks()
        self._header()

    def marked_ids(self) -> set[str]:
        return set(self.query_one(ResultList).marked)

    def action_switch_pane(self) -> None:
        result_list, pane = self.query_one(ResultList), self.query_one(ResultPane)
        (pane if result_list.has_focus else result_list).focus()

    def action_toggle_thinking(self) -> None:
        self.show_thinking = not self.show_thinking
        self.query_one(ResultPane).show(self.detail, self.show_thinking)

    def action_copy_id(self) -> None:
        if not self._rows_here("copy a custom_id"):
            return
        marked = sorted(self.query_one(ResultList).marked)
        current = self.query_one(ResultList).current
        ids = marked or ([current.custom_id] if current else [])
        if ids:
            self.app.copy_to_clipboard("\n".join(ids))
            self.notify(
                copied_text(ids[0] if len(ids) == 1 else f"{len(ids):,} custom_ids", os.environ),
                timeout=8,
                markup=False,
            )

    def action_copy_text(self) -> None:
        if self._rows_here("copy a result") and self.detail is not None:
            text = self.detail.text
            self.app.copy_to_clipboard(text)
            self.notify(
                copied_text(f"{len(text):,} characters of {self.detail.custom_id}", os.environ), timeout=8, markup=False
            )

    # -- export -------------------------------------------------------------------------------
    def _stem(self, subset: str) -> str:
        return export_stem(self.shown_batch.id, subset, self.filter.slug())

    def _export_directory(self) -> Path:
        return export_directory(self.session.settings.results.export_dir)

    def action_quick_export(self) -> None:
        if self._rows_here("export"):
            subset = "marked" if self.query_one(ResultList).marked else "view"
            self._export(
                ExportChoice("jsonl", subset, free_path(self._export_directory(), self._stem(subset), "jsonl"))
            )

    def action_export_dialog(self) -> None:
        if not self._rows_here("export"):
            return
        subsets = export_subsets(self.total, sum(self.facets[0].values()), len(self.query_one(ResultList).marked))
        stems = {subset: self._stem(subset) for subset in subsets}
        dialog = ExportDialog(self._export_directory(), subsets, stems)
        self.app.push_screen(dialog, lambda choice: self._export(choice) if choice is not None else None)

    def _export(self, choice: ExportChoice) -> None:
        if self.browser is None or self.results_file is None:
            return
        marked = sorted(self.query_one(ResultList).marked) if choice.subset == "marked" else None
        self.on_export_progress(ExportProgress(choice.path, 0, None))
        self.write_export(self.browser, self.results_file, choice, marked)

    @work(thread=True, group="export", exit_on_error=False)
    def write_export(
        self, browser: ResultsBrowser, source: Path, choice: ExportChoice, marked: list[str] | None
    ) -> None:
        """The rows as the user chose; the toast comes from the app (an export outlives the screen)."""
        target = choice.path

        def progress(done: int, total: int) -> None:
            self.post_message(ExportProgress(target, done, total))

        job = (choice.fmt, choice.subset, target, choice.replace)
        try:
            finished = export_rows(self.session, self.shown_batch.id, browser, source, job, marked, progress)
        finally:
            self.post_message(ExportProgress(target, 0, None, over=True))
        self.app.post_message(finished)

    def on_export_progress(self, message: ExportProgress) -> None:
        self.exporting = "" if message.over else message.text()
        if self.ready:
            self._header()
