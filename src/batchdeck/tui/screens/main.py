"""The main screen: status line, live panes, and the batch list with filter, sort and marks.

An empty list always says why (no match for the filter, no batches, no key, an API error), and
the flash line under the list keeps the last notification readable until the next one. The screen
stays in the stack for the app's whole life, so the non-visual widgets that keep its data (the feed,
the results keeper, the resubmitter) live here; their messages bubble up to this screen.
"""

from __future__ import annotations

from datetime import datetime
from itertools import zip_longest
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.widgets import Input, Static

from batchdeck.core.batches.browse import ListRead
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.batches.phrases import counted
from batchdeck.core.session import Session
from batchdeck.core.store.batch_pages import QUICK_FILTERS
from batchdeck.core.sync.turnaround import estimate
from batchdeck.tui.messages import ActionFinished, BatchEnded, BudgetLoaded, DataLoaded, Snapshot
from batchdeck.tui.screens.main_rows import MainRows
from batchdeck.tui.screens.main_text import FLASH_STYLE, empty_text, one_line, status_info
from batchdeck.tui.signals import Downloads, Signals
from batchdeck.tui.text import literal
from batchdeck.tui.widgets.batch_feed import BatchFeed
from batchdeck.tui.widgets.batch_list import BatchList, header_text
from batchdeck.tui.widgets.budget_text import budget_markup
from batchdeck.tui.widgets.budget_watch import BudgetWatch
from batchdeck.tui.widgets.columns import SORTABLE, cell_text
from batchdeck.tui.widgets.key_footer import KeyFooter
from batchdeck.tui.widgets.live_area import LiveArea
from batchdeck.tui.widgets.resubmitter import Resubmitter
from batchdeck.tui.widgets.results_keeper import ResultsKeeper
from batchdeck.tui.widgets.status_line import StatusInfo, StatusLine

FOOTER_HELD_AT_MOST = 1.0  # seconds the footer waits for the first rows before it draws its keys
TIME_COLUMNS = ("created", "time", "left")  # the cells that change with the clock alone


class MainScreen(MainRows):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Details"),
        Binding("o", "app.open_results", "Results"),
        Binding("e", "app.export_batches", "Export", show=False),
        Binding("R", "app.resubmit", "Resubmit", show=False),
        Binding("J", "app.open_job", "Job", show=False),
        Binding("dollar_sign", "app.open_spend", "Spend", show=False),
        Binding("slash", "filter", "Filter"),
        Binding("escape", "clear_filter", "Clear filter or scope", show=False),
        Binding("f", "quick_filter", "Live/failed/…", show=False),
        Binding("s", "sort", "Sort", show=False),
        Binding("S", "reverse_sort", "Reverse sort", show=False),
        Binding("space", "mark", "Mark", show=False),
        Binding("U", "clear_marks", "Clear marks", show=False),
        Binding("c", "app.cancel_batches", "Cancel"),
        Binding("d", "app.delete_batches", "Delete"),
        Binding("l", "app.label_batch", "Label", show=False),
        Binding("n", "app.note_batch", "Note", show=False),
        Binding("y", "app.copy_id", "Copy id", show=False),
        Binding("r", "app.refresh", "Refresh"),
        Binding("p", "app.toggle_pause", "Pause"),
        Binding("L", "toggle_live", "Live panes", show=False),
        Binding("x", "clear_ended_panes", "Clear ended panes", show=False),
        Binding("question_mark", "app.help", "Keys"),
    ]

    def __init__(
        self, session: Session, readonly: bool, signals: Signals, downloads: Downloads, poll: bool = True
    ) -> None:
        super().__init__()
        self.session = session
        self.clock = session.clock
        self.signals = signals
        self.feed = BatchFeed(session, poll)
        self.keeper = ResultsKeeper(session, downloads, signals)
        self.resubmitter = Resubmitter(session, signals)
        self.budget_watch = BudgetWatch(session)
        self.live_area = LiveArea(session.clock, id="live-area")
        self.info = StatusInfo(
            profile=session.profile.name, readonly=readonly, sort="created ↓", clock_note=session.clock_note
        )
        self.loaded = False  # the cache has been read once (until then an empty list means nothing)
        self._time_cells: list[tuple[str, ...] | None] = []  # the visible rows' time cells at the last tick
        self._header = ""  # the column titles drawn
        self.quick = "all"
        self.text_filter = ""
        self.sort = "created"
        self.descending = True
        self.scope: tuple[str, tuple[str, ...]] | None = None  # (title, batch ids): see scope_to
        self.budget = ""  # the status line's budget markup (BudgetWatch)
        self.generation = 0  # of the list's view: a read of an older view is not shown
        self.reading: int | None = None  # the generation whose read is on its way (see MainRows.read_view)
        self.reread = False  # read the view again once that read lands
        self.polled_at: datetime | None = None

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status-line")
        yield self.live_area
        yield Static(id="list-header")
        yield Static(id="list-empty")
        yield BatchList(clock=self.clock, id="batch-list")
        yield Input(
            placeholder="filter: regex over id, label, status (! inverts) · enter keeps · esc clears", id="filter-input"
        )
        yield Static(id="flash")
        yield KeyFooter(held=True)  # its keys follow the first rows (see release_footer)
        yield self.feed
        yield self.keeper
        yield self.resubmitter
        yield self.budget_watch

    def on_mount(self) -> None:
        self.query_one("#filter-input", Input).display = False
        self.query_one(BatchList).focus()
        self.set_interval(1.0, self.tick)
        self._watch()  # the feed's first snapshot reads the list's view with it
        self.feed.load_cache()
        self.sync_live_panes()
        self.watch(self.feed, "polling", self.set_syncing, init=False)
        self.set_timer(FOOTER_HELD_AT_MOST, self.release_footer)  # should the first read fail

    def release_footer(self) -> None:
        """The keys in the footer, once the first rows are drawn (they cost the first frame 45 ms)."""
        for footer in self.query(KeyFooter):  # none once closing
            footer.release()

    # -- data in ------------------------------------------------------------------------------
    def on_data_loaded(self, message: DataLoaded) -> None:
        """A load or a poll: the feed takes it (an older snapshot than the one shown is dropped), the list and
        the status line show the newest snapshot, and the screens that show batches hear of it."""
        feed = self.feed
        first = not self.loaded and message.report is None
        if not feed.accept(message) and message.report is None:
            return  # an older snapshot than the one shown: nothing to do
        report = feed.last_report  # the newest snapshot's, which may not be this message's
        info = status_info(self.session, feed.tallies, report, feed.state.last_success_at, self.info.readonly)
        info.syncing, info.paused = feed.polling, feed.paused
        self.show_data(message.listing, message.at if message.report else None, info, _stored(message))
        self.signals.snapshot.publish(Snapshot(feed.batches, feed.history, feed.job_batches))
        if message.report is not None and message.report.ok and not feed.paused:
            self.keeper.start_auto_downloads()
        if first:  # once the rows are painted: the footer's keys, the first poll (or, without polling, the history)
            self.call_after_refresh(self.release_footer)
            self.call_after_refresh(feed.after_first_paint)
        self.budget_watch.check()

    def on_budget_loaded(self, message: BudgetLoaded) -> None:
        self.budget = budget_markup(message.status)
        self.show_status()

    def on_history_read(self) -> None:
        """The history the first load left out: the live panes and the details can say how long batches take."""
        self.sync_live_panes()
        self.signals.snapshot.publish(Snapshot(self.feed.batches, self.feed.history, self.feed.job_batches))

    def on_cache_changed(self) -> None:
        self.feed.load_cache()

    def on_poll_wanted(self) -> None:
        self.feed.poll_now()

    def on_batch_ended(self, message: BatchEnded) -> None:
        self.keeper.run_end_hooks(message.ended_batch)

    def on_action_finished(self, message: ActionFinished) -> None:
        """One toast per action, however many batches it touched; then the marks go and the list polls."""
        done = [o for o in message.outcomes if o.ok]
        failed = [o for o in message.outcomes if not o.ok]
        past = message.verb + ("d" if message.verb.endswith("e") else "ed")
        if done:
            text = done[0].message if len(done) == 1 else f"{counted(len(done), 'batch', 'batches')} {past}"
            self.notify(text, title=past.capitalize(), timeout=8, markup=False)
        if failed:
            more = f" (and {len(failed) - 1:,} more)" if len(failed) > 1 else ""
            text = failed[0].message + more
            self.notify(text, title=f"Could not {message.verb}", severity="error", timeout=20, markup=False)
        self.action_clear_marks()
        self.feed.poll_now()

    def show_data(
        self, listing: ListRead | None, polled_at: datetime | None, info: StatusInfo, stored: bool = True
    ) -> None:
        """A snapshot's list read and status line. A read of a view since changed is not shown: the view is read
        again, unless its read is already on its way (the view change asked for it; it is read once more after
        it lands only if this snapshot may have stored data since it began) or the list shows it and the
        snapshot stored nothing (a failed poll)."""
        self.loaded = True
        if polled_at is not None:
            self.polled_at = polled_at
        self.info = info
        if not self.query(BatchList):  # not composed yet or torn down at exit
            return
        if listing is not None and listing.request.generation == self.generation:
            self.show_rows(listing)
        else:  # no read of the list came with it, or one of a view since changed
            if self.reading == self.generation:
                self.reread = self.reread or stored
            elif stored or self.query_one(BatchList).generation != self.generation:
                self.read_view(self.list_request())
            self.tick()
            self.update_empty()
        self.sync_live_panes()

    def update_empty(self) -> None:
        """Over an empty list, a line that says why and what to do."""
        self._fill_view_state()
        empty = self.query_one("#list-empty", Static)
        empty.display = not self.query_one(BatchList).total
        if empty.display:
            empty.update(empty_text(self.info, self.loaded, self.feed.tallies.total))

    def _fill_view_state(self) -> None:
        """What the status line says of the view comes from the screen, whatever data arrived since."""
        batch_list = self.query_one(BatchList)
        info = self.info
        info.quick, info.filter, info.shown = self.quick, self.text_filter, batch_list.total
        info.scope = self.scope[0] if self.scope else ""
        info.budget = self.budget
        info.sort = f"{self.sort} {'↓' if self.descending else '↑'}"
        info.marked = len(batch_list.marked)

    def flash(self, title: str, message: str, severity: str, markup: bool) -> None:
        """Show the last notification in the flash line (one line; the toast has the whole text)."""
        text = one_line(f"{title}: {message}" if title else message)
        body = text if markup else literal(text)
        try:
            line = self.query_one("#flash", Static)
        except NoMatches:
            return  # not composed yet, or closing
        line.update(f"[{FLASH_STYLE.get(severity, '$text-success')}]{body}[/]", layout=False)  # one line, always

    def update_header(self) -> None:
        width = self.query_one(BatchList).content_width
        if width <= 0:
            return  # not laid out yet; the list's Resized message comes next
        batch_list = self.query_one(BatchList)
        text = header_text(width, self.sort, self.descending, batch_list.label_width, batch_list.status_width)
        if text != self._header:  # one line as wide as the list whatever it says: a repaint, never a new layout
            self._header = text
            self.query_one("#list-header", Static).update(text, layout=False)

    def on_resize(self) -> None:
        self.update_header()
        self.live_area.fit(self.size.width)

    def on_batch_list_resized(self) -> None:
        self.update_header()

    def tick(self) -> None:
        """Once a second: ages in the status line, the rows and the live panes."""
        now = self.clock()
        if self.show_status(now):
            self.live_area.redraw()
            self._repaint_ticking_rows(now)

    def show_status(self, now: datetime | None = None) -> bool:
        """The status line as of `now` (a view change, a mark, a poll starting or ending: the panes and the rows'
        time cells have nothing new). False when the screen's widgets are gone (the app is closing: a late timer)."""
        try:
            self._fill_view_state()
        except NoMatches:
            return False
        self.query_one(StatusLine).show(self.info, now or self.clock())
        return True

    def _repaint_ticking_rows(self, now: datetime) -> None:
        """Ages and countdowns move between polls: repaint only the visible rows whose time cells changed."""
        batch_list = self.query_one(BatchList)
        top = batch_list.scroll_offset.y
        in_view = (batch_list.row_at(i) for i in range(top, min(top + batch_list.size.height, batch_list.total)))
        cells = [(b.id, *(cell_text(b, key, now) for key in TIME_COLUMNS)) if b else None for b in in_view]
        for y, (before, after) in enumerate(zip_longest(self._time_cells, cells)):
            if before != after:
                batch_list.refresh_line(top + y)  # a row index: refresh_line subtracts the scroll
        self._time_cells = cells

    def sync_live_panes(self) -> None:
        self.live_area.sync(self.feed.batches, self.feed.history, self.polled_at)

    # -- actions ------------------------------------------------------------------------------
    def current(self) -> CachedBatch | None:
        return self.query_one(BatchList).current

    def selection(self) -> list[CachedBatch]:
        return self.query_one(BatchList).selection({b.id: b for b in self.feed.batches})

    def set_syncing(self, syncing: bool) -> None:
        """Say "syncing…" in the status line or not (a poll starts or ends: the panes and rows have nothing new)."""
        self.info.syncing = syncing
        self.show_status()

    def action_open(self) -> None:
        """Every field of the cursor's batch; the details follow the snapshots this screen publishes."""
        from batchdeck.tui.screens.detail import DetailScreen  # loaded when first opened, not for the first frame

        batch = self.query_one(BatchList).current
        if batch is not None:
            jobs = self.feed.job_batches
            in_job = None if jobs is None else batch.id in jobs
            guess = estimate(self.feed.history, batch.counts.total)
            self.app.push_screen(DetailScreen(batch, guess, self.clock, self.info.readonly, in_job, self.signals))
            self._watch()  # the details follow this batch's snapshots

    def action_filter(self) -> None:
        field = self.query_one("#filter-input", Input)
        field.display = True
        self.add_class("-filtering")
        field.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.text_filter = event.value.strip()
        self.refresh_rows()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(BatchList).focus()
        event.input.display = bool(event.value.strip())
        self.set_class(event.input.display, "-filtering")

    def action_clear_filter(self) -> None:
        """esc: the text filter goes first, then the scope."""
        if not self.text_filter:
            self.scope = None
        field = self.query_one("#filter-input", Input)
        field.value = ""
        field.display = False
        self.remove_class("-filtering")
        self.text_filter = ""
        self.query_one(BatchList).focus()
        self.refresh_rows()

    def action_quick_filter(self, name: str | None = None) -> None:
        names = list(QUICK_FILTERS)
        self.quick = name or names[(names.index(self.quick) + 1) % len(names)]
        self.refresh_rows()

    def action_sort(self, key: str | None = None) -> None:
        if key is None:
            key = SORTABLE[(SORTABLE.index(self.sort) + 1) % len(SORTABLE)]
        self.sort = key
        self.refresh_rows()

    def action_reverse_sort(self) -> None:
        self.descending = not self.descending
        self.refresh_rows()

    def action_mark(self) -> None:
        self.query_one(BatchList).toggle_mark()
        self._watch()
        self.show_status()

    def action_clear_marks(self) -> None:
        self.query_one(BatchList).clear_marks()
        self._watch()
        self.show_status()

    def action_toggle_live(self) -> None:
        self.live_area.toggle()

    def action_clear_ended_panes(self) -> None:
        self.live_area.clear_ended()


def _stored(message: DataLoaded) -> bool:
    """Whether the snapshot's worker may have written the cache: anything but a poll that failed before it
    stored a batch."""
    report = message.report
    return report is None or not report.error or bool(report.seen_ids or report.deleted)
