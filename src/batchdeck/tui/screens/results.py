"""A batch's results by custom_id: search, outcome and error filters, a detail pane, marks and export.

Rows come from the local SQLite index a page at a time (thread workers; never on the UI
thread), so 100,000 results open and search as fast as 100. A batch without a local copy
is downloaded first, with its progress shown; one that cannot be says why.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.batches.phrases import counted, results_text
from batchdeck.core.results.browse import PAGE_ROWS, ResultsBrowser
from batchdeck.core.results.detail import ResultDetail, result_detail
from batchdeck.core.results.download import read_lines
from batchdeck.core.results.filter import ResultFilter
from batchdeck.core.session import Session
from batchdeck.core.store.result_repo import ResultRow
from batchdeck.core.terminal_text import visible
from batchdeck.tui.clipboard import copied_text
from batchdeck.tui.messages import DownloadFinished, DownloadProgress
from batchdeck.tui.results_export import ExportProgress, ResultsExport
from batchdeck.tui.text import literal
from batchdeck.tui.widgets.result_list import ResultList
from batchdeck.tui.widgets.result_pane import ResultPane

OUTCOME_VIEWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("all", ()),
    ("failed", ("canceled", "errored", "expired")),
    ("succeeded", ("succeeded",)),
    ("errored", ("errored",)),
    ("expired", ("expired",)),
    ("canceled", ("canceled",)),
)


def as_literal(text: str) -> str:
    """Untrusted text (a label, an id) inside the screen's markup: control characters shown, `[` kept literal."""
    return literal(visible(text))


class ResultsQueried(Message):
    """A filter's match count and the page the cursor lands on."""

    def __init__(
        self,
        generation: int,
        total: int,
        cursor: int,
        page: list[ResultRow],
        facets: tuple[dict[str, int], dict[str, int]],
    ) -> None:
        super().__init__()
        self.generation, self.total, self.cursor, self.page, self.facets = generation, total, cursor, page, facets


class PageFetched(Message):
    def __init__(self, generation: int, number: int, rows: list[ResultRow]) -> None:
        super().__init__()
        self.generation, self.number, self.rows = generation, number, rows


class ResultsScreen(Screen[None]):
    BINDINGS = [
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

    def __init__(self, session: Session, batch: CachedBatch) -> None:
        super().__init__()
        self.session = session
        self.batch = batch
        self.browser: ResultsBrowser | None = None
        self.results_file: Path | None = None
        self.view = 0  # index into OUTCOME_VIEWS
        self.error_type: str | None = None
        self.search = ""
        self.generation = 0
        self.total = 0
        self.facets: tuple[dict[str, int], dict[str, int]] = ({}, {})
        self.show_thinking = False
        self.detail: ResultDetail | None = None
        self.ready = False
        self._query_lock = threading.Lock()  # one query at a time: a filter, its count and its page belong together
        self.exporter = ResultsExport(self)
        self.exporting = ""  # the progress of a running export, shown in the header

    def compose(self) -> ComposeResult:
        yield Static(id="results-title")
        yield Input(
            placeholder="search custom_id: a prefix, or a glob like ticket-12* · enter keeps · esc clears",
            id="results-search",
        )
        yield Static(id="results-header")
        with Container(id="results-body"):
            yield ResultList(id="result-list")
            yield ResultPane(id="result-pane")
        yield Static(id="results-state")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#results-search", Input).display = False
        self.query_one("#results-body").display = False
        self.query_one(ResultList).focus()
        self._title()
        self.open_results()

    # -- getting the results ------------------------------------------------------------------
    def open_results(self) -> None:
        """Show the local copy; download it first when there is none and it can still be fetched."""
        batch = self.batch
        if batch.results_saved:
            self._start_query(keep=None)
            return
        if batch.processing_status != "ended" or batch.deleted_at or batch.archived_at:
            self._state(f"Results of {batch.id}: {results_text(batch, self.session.clock())}.")
            return
        controller = self.app.controller  # type: ignore[attr-defined]
        if not controller.results.is_downloading(batch.id):
            controller.results.download(batch.id)
        self._state(f"Downloading the results of {batch.id}… (they are kept locally from now on)")

    def download_progress(self, message: DownloadProgress) -> None:
        if message.batch_id == self.batch.id and not self.ready:
            self._state(
                f"Downloading the results of {self.batch.id}… {message.size / 1e6:,.1f} MB, "
                f"{counted(message.rows, 'result')}"
            )

    def download_finished(self, message: DownloadFinished) -> None:
        if message.batch_id != self.batch.id or self.ready:
            return
        if message.error:
            self._state(f"Could not download the results of {self.batch.id}: {message.error}")
        else:
            self._start_query(keep=None)

    def _state(self, text: str) -> None:
        """A line about the results (it can quote an API error): plain text, control characters shown."""
        state = self.query_one("#results-state", Static)
        state.update(Text(visible(text)))
        state.display = True

    # -- querying -----------------------------------------------------------------------------
    @property
    def filter(self) -> ResultFilter:
        return ResultFilter(OUTCOME_VIEWS[self.view][1], self.error_type, self.search)

    def _start_query(self, keep: str | None) -> None:
        self.generation += 1
        self._query(self.generation, self.filter, keep)

    @work(thread=True, group="results-query", exit_on_error=False)
    def _query(self, generation: int, flt: ResultFilter, keep: str | None) -> None:
        with self._query_lock:
            if generation == self.generation:  # otherwise the user typed on: skip to the newest query
                self._run_query(generation, flt, keep)

    def _run_query(self, generation: int, flt: ResultFilter, keep: str | None) -> None:
        if self.browser is None:
            with self.session.workspace() as ws:
                found = ws.results.result_set(self.batch.id)
                fresh = ws.batches.get(self.batch.id)
            self.results_file = Path(found.path) if found and found.path else None
            self.batch = fresh or self.batch  # now with its cost
            self.browser = ResultsBrowser(self.session.db_path, self.session.profile.name, self.batch.id)
        browser = self.browser
        browser.set_filter(flt)
        total = browser.count()
        cursor = (browser.position(keep) if keep else None) or 0
        page = browser.page(cursor // PAGE_ROWS) if total else []
        facets = self.facets if self.facets[0] else browser.facets()
        self.post_message(ResultsQueried(generation, total, cursor, page, facets))

    @work(thread=True, group="results-page", exit_on_error=False)
    def _fetch_page(self, generation: int, number: int) -> None:
        if self.browser is None or generation != self.generation:
            return
        self.post_message(PageFetched(generation, number, self.browser.page(number)))

    def on_results_queried(self, message: ResultsQueried) -> None:
        if message.generation != self.generation:
            return  # the user typed on; a newer query is coming
        self.ready = True
        self.total, self.facets = message.total, message.facets
        self.query_one("#results-state").display = False
        self.query_one("#results-body").display = True
        self.query_one(ResultList).reset(message.generation, message.total, message.page, message.cursor)
        self._header()
        self.call_after_refresh(self._header)  # once the list is laid out, at its real width
        self._title()

    def on_page_fetched(self, message: PageFetched) -> None:
        self.query_one(ResultList).add_page(message.generation, message.number, message.rows)

    def on_result_list_page_wanted(self, message: ResultList.PageWanted) -> None:
        self._fetch_page(message.generation, message.number)

    def on_result_list_cursor_moved(self, message: ResultList.CursorMoved) -> None:
        row = message.row
        self.detail = None
        if row is not None and self.results_file is not None:
            try:
                line = next(read_lines(self.results_file, [(row.line_offset, row.line_length)]))
            except OSError as exc:
                self.query_one(ResultPane).show(None, False, f"cannot read {self.results_file}: {exc.strerror}")
                return
            self.detail = result_detail(line, row)
        self.query_one(ResultPane).show(self.detail, self.show_thinking, "no result matches" if self.total == 0 else "")

    # -- text ---------------------------------------------------------------------------------
    def _title(self) -> None:
        batch = self.batch
        outcomes = self.facets[0]
        parts = [f"Results · {as_literal(batch.id)}" + (f" · {as_literal(batch.label)}" if batch.label else "")]
        if outcomes:
            parts.append(" · ".join(f"{n:,} {as_literal(k)}" for k, n in sorted(outcomes.items())))
        if batch.cost_usd is not None:
            parts.append(f"${batch.cost_usd:,.2f} at batch prices")
        self.query_one("#results-title", Static).update(" · ".join(parts))

    def _header(self) -> None:
        width = self.query_one(ResultList).scrollable_content_region.width
        shown = [f"{self.total:,} of {sum(self.facets[0].values()):,} shown"]
        if self.view:
            shown.append(f"outcome {OUTCOME_VIEWS[self.view][0]}")
        if self.error_type:
            shown.append(f"error {as_literal(self.error_type)}")  # from the API's results
        if self.search:
            shown.append(f"search {as_literal(self.search)}")
        marked = len(self.query_one(ResultList).marked)
        if marked:
            shown.append(f"{marked:,} marked")
        if self.exporting:
            shown.append(as_literal(self.exporting))  # names the user's file
        header = self.query_one("#results-header", Static)
        header.update(" · ".join(shown) + "\n " + (self.query_one(ResultList).header() if width > 0 else ""))

    def on_resize(self) -> None:
        self.query_one("#results-body").set_class(self.size.width < 110, "-narrow")

    def on_result_list_resized(self) -> None:
        if self.ready:
            self.call_after_refresh(self._header)

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

    def on_unmount(self) -> None:
        if self.browser is not None:
            self._close_browser(self.browser)

    @work(thread=True, group="results-close", exit_on_error=False)
    def _close_browser(self, browser: ResultsBrowser) -> None:
        browser.close()  # waits for a query still running in another worker

    def _rows_here(self, what: str) -> bool:
        """True once the results are loaded; until then says in one line why `what` cannot act."""
        if self.ready:
            return True
        downloading = self.app.controller.results.is_downloading(self.batch.id)  # type: ignore[attr-defined]
        why = "they are still downloading" if downloading else results_text(self.batch, self.session.clock())
        self.notify(f"cannot {what}: no results here ({why})", severity="warning", timeout=8, markup=False)
        return False

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

    def _refilter(self) -> None:
        current = self.query_one(ResultList).current
        self._start_query(keep=current.custom_id if current else None)

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
    def action_quick_export(self) -> None:
        if self._rows_here("export"):
            self.exporter.quick()

    def action_export_dialog(self) -> None:
        if self._rows_here("export"):
            self.exporter.dialog()

    def export_progress(self, message: ExportProgress) -> None:
        self.exporting = "" if message.over else message.text()
        if self.ready:
            self._header()

    def on_export_progress(self, message: ExportProgress) -> None:
        self.export_progress(message)
