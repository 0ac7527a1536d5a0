"""The main screen's batch list rows: reading the view from SQLite a page at a time, and keeping what the
feed watches in step with what the screens show. The keys, the status line and the panes are MainScreen's.

The view (quick filter, `/` text, sort, scope) is read in a thread worker (`core.batches.browse`): its count,
column needs, the cursor's row and the pages in sight; further pages as they scroll into sight. Each view
change is a new generation, so a read of an older view is never shown. A poll's snapshot brings a read of the
view with it (the feed takes `list_request`), so a quiet poll repaints nothing and a changed one keeps the
cursor on its batch wherever the batch moved.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from textual import work
from textual.screen import Screen
from textual.worker import get_current_worker

from batchdeck.core import timefmt
from batchdeck.core.batches.browse import ListRead, ListRequest, read_list, read_page
from batchdeck.core.clock import Clock
from batchdeck.core.session import Session
from batchdeck.core.store.batch_pages import BatchPages, BatchView
from batchdeck.tui.messages import PageRead, RowsRead
from batchdeck.tui.widgets.batch_feed import BatchFeed
from batchdeck.tui.widgets.batch_list import BatchList
from batchdeck.tui.widgets.live_area import LiveArea
from batchdeck.tui.widgets.live_pane import LivePane

STOP_CHECK_STEPS = 20_000  # SQLite's virtual-machine steps between checks that a list read is still wanted


class MainRows(Screen[None]):
    """The rows of the main screen's batch list; the keys and the lines around it are MainScreen's."""

    session: Session
    clock: Clock
    feed: BatchFeed
    live_area: LiveArea
    loaded: bool
    quick: str
    text_filter: str
    sort: str
    descending: bool
    scope: tuple[str, tuple[str, ...]] | None  # (title, batch ids): see scope_to
    generation: int  # of the list's view: a read of an older view is not shown
    reading: int | None  # the generation whose read_rows is on its way (None: none)
    reread: bool  # read the view again once that read lands: data was stored since it began

    def tick(self) -> None:
        raise NotImplementedError

    def show_status(self, now: datetime | None = None) -> bool:
        raise NotImplementedError

    def update_header(self) -> None:
        raise NotImplementedError

    def update_empty(self) -> None:
        raise NotImplementedError

    def list_request(self) -> ListRequest:
        """The view as the screen shows it now, the cursor's batch, and the window."""
        batch_list = self.query_one(BatchList)
        view = BatchView(self.quick, self.text_filter, self.sort, self.descending, self.scope and self.scope[1])
        top, height = batch_list.scroll_offset.y, batch_list.size.height
        return ListRequest(self.generation, view, batch_list.current_key(), batch_list.cursor, top, height)

    def refresh_rows(self) -> None:
        """The view changed (a filter, a sort, a scope): read it again, the cursor staying on its batch (after a
        sort, the count and column needs of the rows shown still hold)."""
        self.generation += 1
        request = self.list_request()
        batch_list = self.query_one(BatchList)
        if batch_list.stats is not None and batch_list.rows_of == request.view.rows_key():
            request = replace(request, stats=batch_list.stats)
        self.feed.list_request = request
        self.read_view(request)
        self.update_header()
        self.show_status()

    def read_view(self, request: ListRequest) -> None:
        """Read the view (read_rows), noting that its read is on its way: a snapshot that lands meanwhile with a
        read of an older view leaves it to this one (see MainScreen.show_data)."""
        self.reading, self.reread = request.generation, False
        self.read_rows(request)

    @work(thread=True, exclusive=True, group="list-read", exit_on_error=False)
    def read_rows(self, request: ListRequest) -> None:
        """The view's count, column needs, the cursor's row and the pages in sight (`core.batches.browse`)."""
        if request.generation != self.generation:
            return  # the user typed on: the newest view's read follows
        worker = get_current_worker()

        def superseded() -> bool:  # a newer view's read has started: this one stops at SQLite's next check
            return worker.is_cancelled or request.generation != self.generation

        with self.session.workspace() as ws:
            ws.db.conn.set_progress_handler(superseded, STOP_CHECK_STEPS)
            try:
                read = read_list(BatchPages(ws.db, ws.profile.name), request, timefmt.iso(self.clock()))
            except sqlite3.OperationalError:
                if superseded():
                    return  # interrupted: a query of 100,000 rows need not finish for a view no one will see
                raise
            finally:
                ws.db.conn.set_progress_handler(None, 0)
        self.post_message(RowsRead(read))

    @work(thread=True, group="list-page", exit_on_error=False)
    def read_more(self, view: BatchView, wanted: BatchList.PageWanted) -> None:
        if wanted.generation != self.generation:
            return
        with self.session.workspace() as ws:
            store, now = BatchPages(ws.db, ws.profile.name), timefmt.iso(self.clock())
            page = read_page(store, view, now, wanted.number, wanted.after, wanted.before, wanted.ids)
        self.post_message(PageRead(wanted.generation, wanted.number, page))

    def on_rows_read(self, message: RowsRead) -> None:
        if message.read.request.generation == self.generation:
            again, self.reading, self.reread = self.reread, None, False
            self.show_rows(message.read)
            if again and self.reading is None:  # a snapshot stored data while it was read: read what is there now
                self.read_view(self.list_request())

    def on_page_read(self, message: PageRead) -> None:
        self.query_one(BatchList).add_page(message.generation, message.number, message.page)

    def on_batch_list_page_wanted(self, message: BatchList.PageWanted) -> None:
        self.read_more(self.list_request().view, message)

    def on_batch_list_cursor_moved(self) -> None:
        self._watch()

    def show_rows(self, read: ListRead) -> None:
        batch_list = self.query_one(BatchList)
        if batch_list.total and read.request.keep != batch_list.current_key():
            self.read_view(self.list_request())  # the cursor moved since the read began: read where it is now
            return
        self.loaded = True
        if batch_list.show(read):
            self.update_header()
            self.update_empty()
            self.show_status()
        else:  # a quiet poll repaints nothing but the ages
            self.tick()
            self.update_empty()
        self._watch()

    def _watch(self) -> None:
        """Tell the feed which batches the screens show outside the list's pages, and the list's view now."""
        batch_list = self.query_one(BatchList)
        shown = {pane.shown_batch.id for pane in self.live_area.query(LivePane)}
        if any(s is not self and s.id != "_default" for s in self.app.screen_stack):  # a screen over the list
            from batchdeck.tui.screens.detail import DetailScreen  # (not loaded for the first frame)

            shown |= {s.shown_batch.id for s in self.app.screen_stack if isinstance(s, DetailScreen)}
        current = batch_list.current_key()
        self.feed.watched = frozenset(batch_list.marked | shown | ({current} if current else set()))
        self.feed.list_request = self.list_request()

    def scope_to(self, title: str, batch_ids: Sequence[str]) -> None:
        """List only these batches (a Spend screen group), named `title` in the status line, until esc
        (which clears a text filter first)."""
        self.scope = (title, tuple(batch_ids))
        self.refresh_rows()
