"""The main screen: status line, live panes, and the batch list with filter, sort and marks."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from batchdeck.core.clock import Clock
from batchdeck.core.models import CachedBatch
from batchdeck.core.turnaround import estimate
from batchdeck.tui.filtering import QUICK_FILTERS, visible_rows
from batchdeck.tui.widgets.batch_list import BatchList, header_text
from batchdeck.tui.widgets.columns import SORTABLE
from batchdeck.tui.widgets.live_pane import LivePane
from batchdeck.tui.widgets.status_line import StatusInfo, StatusLine

LIST_REFRESH_SECONDS = 30.0


def _shown_fields(batch: CachedBatch) -> tuple[object, ...]:
    """What the list shows of a batch (a poll that changes none of it needs no repaint)."""
    return (batch.id, batch.processing_status, batch.counts, batch.label, batch.note, batch.deleted_at,
            batch.ended_at, batch.archived_at, batch.cancel_initiated_at, batch.results_status, batch.cost_usd)


class MainScreen(Screen[None]):
    BINDINGS = [
        Binding("enter", "open", "Details"),
        Binding("o", "app.open_results", "Results"),
        Binding("e", "app.export_batches", "Export", show=False),
        Binding("R", "app.resubmit", "Resubmit", show=False),
        Binding("J", "app.open_job", "Job", show=False),
        Binding("slash", "filter", "Filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
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

    def __init__(self, clock: Clock, profile: str, readonly: bool) -> None:
        super().__init__()
        self.clock = clock
        self.info = StatusInfo(profile=profile, readonly=readonly, sort="created ↓")
        self.quick = "all"
        self.text_filter = ""
        self.sort = "created"
        self.descending = True
        self.batches: list[CachedBatch] = []
        self.history: list[tuple[int, float]] = []
        self.polled_at: datetime | None = None

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status-line")
        yield Container(id="live-area")
        yield Static(id="list-header")
        yield BatchList(clock=self.clock, id="batch-list")
        yield Input(placeholder="filter: regex over id, label, status (! inverts) · enter keeps · esc clears",
                    id="filter-input")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter-input", Input).display = False
        self.query_one(BatchList).focus()
        self.set_interval(1.0, self.tick)
        self.set_interval(LIST_REFRESH_SECONDS, lambda: self.query_one(BatchList).refresh())

    # -- data in ------------------------------------------------------------------------------
    def show_data(self, batches: list[CachedBatch], history: list[tuple[int, float]], polled_at: datetime | None,
                  info: StatusInfo) -> None:
        changed = [_shown_fields(b) for b in batches] != [_shown_fields(b) for b in self.batches]
        self.batches, self.history = batches, history
        if polled_at is not None:
            self.polled_at = polled_at
        self.info = info
        if changed:  # a quiet poll repaints nothing but the ages
            self.refresh_rows()
        else:
            self.tick()
        self.sync_live_panes()

    def refresh_rows(self) -> None:
        now = self.clock()
        rows = visible_rows(self.batches, self.quick, self.text_filter, self.sort, self.descending, now)
        self.query_one(BatchList).set_rows(rows)
        self.info.shown, self.info.quick, self.info.filter = len(rows), self.quick, self.text_filter
        self.info.sort = f"{self.sort} {'↓' if self.descending else '↑'}"
        self.update_header()
        self.tick()

    def update_header(self) -> None:
        width = self.query_one(BatchList).content_width
        if width <= 0:
            return  # not laid out yet; the list's Resized message comes next
        batch_list = self.query_one(BatchList)
        self.query_one("#list-header", Static).update(
            header_text(width, self.sort, self.descending, batch_list.label_width, batch_list.status_width))

    def on_resize(self) -> None:
        self.update_header()
        area = self.query_one("#live-area", Container)
        area.styles.grid_size_columns = max(1, min(4, self.size.width // 40))

    def on_batch_list_resized(self) -> None:
        self.update_header()

    def tick(self) -> None:
        """Once a second: ages in the status line and the live panes."""
        now = self.clock()
        try:
            self.info.marked = len(self.query_one(BatchList).marked)
        except NoMatches:
            return  # the app is closing and the screen's widgets are gone (a late timer)
        self.query_one(StatusLine).show(self.info, now)
        for pane in self.query(LivePane):
            pane.redraw()

    def sync_live_panes(self) -> None:
        """A pane for every live batch; panes of batches that ended stay, showing the outcome."""
        area = self.query_one("#live-area", Container)
        by_id = {b.id: b for b in self.batches}
        existing = {pane.batch.id: pane for pane in self.query(LivePane)}
        for batch_id, pane in existing.items():
            if batch_id in by_id:
                batch = by_id[batch_id]
                pane.update_batch(batch, estimate(self.history, batch.counts.total), self.polled_at)
        new = [LivePane(b, self.clock) for b in self.batches if b.is_live and b.id not in existing]
        for pane in new:
            pane.guess, pane.polled_at = estimate(self.history, pane.batch.counts.total), self.polled_at
        if new:
            area.mount(*new)
        area.display = bool(existing or new) and not area.has_class("-hidden")

    # -- actions ------------------------------------------------------------------------------
    def current(self) -> CachedBatch | None:
        return self.query_one(BatchList).current

    def selection(self) -> list[CachedBatch]:
        return self.query_one(BatchList).selection(self.batches)

    def set_syncing(self, syncing: bool) -> None:
        self.info.syncing = syncing
        self.tick()

    def clear_marks_after_action(self) -> None:
        self.action_clear_marks()

    def action_open(self) -> None:
        batch = self.query_one(BatchList).current
        if batch is not None:
            self.app.open_detail(batch)  # type: ignore[attr-defined]

    def action_filter(self) -> None:
        field = self.query_one("#filter-input", Input)
        field.display = True
        field.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.text_filter = event.value.strip()
        self.refresh_rows()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(BatchList).focus()
        event.input.display = bool(event.value.strip())

    def action_clear_filter(self) -> None:
        field = self.query_one("#filter-input", Input)
        field.value = ""
        field.display = False
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
        self.tick()

    def action_clear_marks(self) -> None:
        self.query_one(BatchList).clear_marks()
        self.tick()

    def action_toggle_live(self) -> None:
        area = self.query_one("#live-area", Container)
        area.toggle_class("-hidden")
        area.display = not area.has_class("-hidden") and bool(self.query(LivePane))

    def action_clear_ended_panes(self) -> None:
        for pane in self.query(LivePane):
            if pane.batch.processing_status == "ended":
                pane.remove()
