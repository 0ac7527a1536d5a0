"""The results screen's rows: getting them and showing them.

Rows come from the local SQLite index a page at a time (thread workers; never on the UI
thread), so 100,000 results open and search as fast as 100. A batch without a local copy
is downloaded first (by the results keeper, so it goes on if the user leaves), with its
progress shown; one that cannot be says why. The keys are in screens/results.py.
"""

from __future__ import annotations

import threading
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Input, Static

from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.batches.phrases import counted, results_text
from batchdeck.core.results.browse import PAGE_ROWS, ResultsBrowser
from batchdeck.core.results.detail import ResultDetail, result_detail
from batchdeck.core.results.download import read_lines
from batchdeck.core.results.filter import ResultFilter
from batchdeck.core.session import Session
from batchdeck.core.terminal_text import visible
from batchdeck.tui.messages import DownloadFinished, DownloadProgress, DownloadWanted
from batchdeck.tui.screens.results_text import (
    OUTCOME_VIEWS,
    PageFetched,
    ResultsOpened,
    ResultsQueried,
    as_literal,
    shown_text,
    title_text,
)
from batchdeck.tui.signals import Downloads, Signals
from batchdeck.tui.widgets.key_footer import KeyFooter
from batchdeck.tui.widgets.result_list import ResultList
from batchdeck.tui.widgets.result_pane import ResultPane


class ResultsView(Screen[None]):
    """The rows of a batch's results and the lines over them; the keys are ResultsScreen's."""

    def __init__(self, session: Session, batch: CachedBatch, downloads: Downloads, signals: Signals) -> None:
        super().__init__(classes="results-screen")
        self.session = session
        self.downloads = downloads
        self.signals = signals
        self.shown_batch = batch
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
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#results-search", Input).display = False
        self.query_one("#results-body").display = False
        self.query_one(ResultList).focus()
        self._title()
        self.signals.download.subscribe(self, self.on_download_news)
        self.open_results()

    # -- getting the results ------------------------------------------------------------------
    def open_results(self) -> None:
        """Show the local copy; download it first when there is none and it can still be fetched."""
        batch = self.shown_batch
        if batch.results_saved:
            self.open_index()
            return
        if batch.processing_status != "ended" or batch.deleted_at or batch.archived_at:
            self._state(f"Results of {batch.id}: {results_text(batch, self.session.clock())}.")
            return
        if batch.id not in self.downloads:
            self.post_message(DownloadWanted(batch.id))  # the app hands it to the results keeper
        self._state(f"Downloading the results of {batch.id}… (they are kept locally from now on)")

    def on_download_news(self, message: DownloadProgress | DownloadFinished) -> None:
        if isinstance(message, DownloadProgress):
            self.download_progress(message)
        else:
            self.download_finished(message)

    def download_progress(self, message: DownloadProgress) -> None:
        if message.batch_id == self.shown_batch.id and not self.ready:
            self._state(
                f"Downloading the results of {self.shown_batch.id}… {message.size / 1e6:,.1f} MB, "
                f"{counted(message.rows, 'result')}"
            )

    def download_finished(self, message: DownloadFinished) -> None:
        if message.batch_id != self.shown_batch.id or self.ready:
            return
        if message.error:
            self._state(f"Could not download the results of {self.shown_batch.id}: {message.error}")
        else:
            self.open_index()

    def _state(self, text: str) -> None:
        """A line about the results (it can quote an API error): plain text, control characters shown."""
        state = self.query_one("#results-state", Static)
        state.update(Text(visible(text)))
        state.display = True

    # -- querying -----------------------------------------------------------------------------
    @property
    def filter(self) -> ResultFilter:
        return ResultFilter(OUTCOME_VIEWS[self.view][1], self.error_type, self.search)

    @work(thread=True, exclusive=True, group="results-open", exit_on_error=False)
    def open_index(self) -> None:
        """A browser over the batch's local index, and the batch again (now with its cost)."""
        batch_id = self.shown_batch.id
        with self.session.workspace() as ws:
            found = ws.results.result_set(batch_id)
            fresh = ws.batches.get(batch_id)
        browser = ResultsBrowser(self.session.db_path, self.session.profile.name, batch_id)
        self.post_message(ResultsOpened(browser, Path(found.path) if found and found.path else None, fresh))

    def on_results_opened(self, message: ResultsOpened) -> None:
        self.browser, self.results_file = message.browser, message.results_file
        self.shown_batch = message.fresh_batch or self.shown_batch
        self._start_query(keep=None)

    def _start_query(self, keep: str | None) -> None:
        if self.browser is None:
            return  # the index is opening; its first query follows
        self.generation += 1
        self.query_results(self.browser, self.generation, self.filter, keep)

    @work(thread=True, exclusive=True, group="results-query", exit_on_error=False)
    def query_results(self, browser: ResultsBrowser, generation: int, flt: ResultFilter, keep: str | None) -> None:
        """The filter's count, the cursor's row and its page (one query at a time: they belong together)."""
        with self._query_lock:
            if generation != self.generation:
                return  # the user typed on: skip to the newest query
            browser.set_filter(flt)
            total = browser.count()
            cursor = (browser.position(keep) if keep else None) or 0
            page = browser.page(cursor // PAGE_ROWS) if total else []
            facets = self.facets if self.facets[0] else browser.facets()
            self.post_message(ResultsQueried(generation, total, cursor, page, facets))

    @work(thread=True, group="results-page", exit_on_error=False)
    def fetch_page(self, generation: int, number: int) -> None:
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
        self.fetch_page(message.generation, message.number)

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
        self.query_one("#results-title", Static).update(title_text(self.shown_batch, self.facets[0]))

    def _header(self) -> None:
        result_list = self.query_one(ResultList)
        width = result_list.scrollable_content_region.width
        everything = sum(self.facets[0].values())
        shown = shown_text(self.total, everything, self.view, self.error_type, self.search, len(result_list.marked))
        if self.exporting:
            shown += " · " + as_literal(self.exporting)  # names the user's file
        header = self.query_one("#results-header", Static)
        header.update(shown + "\n " + (result_list.header() if width > 0 else ""))

    def on_resize(self) -> None:
        self.query_one("#results-body").set_class(self.size.width < 110, "-narrow")

    def on_result_list_resized(self) -> None:
        if self.ready:
            self.call_after_refresh(self._header)

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
        downloading = self.shown_batch.id in self.downloads
        why = "they are still downloading" if downloading else results_text(self.shown_batch, self.session.clock())
        self.notify(f"cannot {what}: no results here ({why})", severity="warning", timeout=8, markup=False)
        return False

    def _refilter(self) -> None:
        current = self.query_one(ResultList).current
        self._start_query(keep=current.custom_id if current else None)
