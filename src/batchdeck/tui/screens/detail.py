"""Enter on a batch: every field, its local metadata and lineage, and the actions it allows."""

from __future__ import annotations

from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from batchdeck.core.clock import Clock
from batchdeck.core.describe import batch_fields
from batchdeck.core.models import CachedBatch
from batchdeck.core.terminal_text import visible
from batchdeck.core.turnaround import Turnaround


def detail_lines(batch: CachedBatch, guess: Turnaround | None, now: datetime, readonly: bool) -> list[tuple[str, str]]:
    """The batch's fields, then the actions this screen allows for it."""
    actions = ["o results", "J job", "y copy id", "esc back"]
    if not readonly:
        if batch.processing_status == "in_progress" and not batch.deleted_at:
            actions.insert(0, "c cancel")
        if batch.processing_status == "ended" and not batch.deleted_at:
            actions.insert(0, "d delete")
            actions.insert(0, "R resubmit failed")
        actions[:0] = ["l label", "n note"]
    return [*batch_fields(batch, guess, now), ("actions", " · ".join(actions))]


class DetailScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("enter,o", "app.open_results", "Results"),
        Binding("R", "app.resubmit", "Resubmit"),
        Binding("J", "app.open_job", "Job"),
        Binding("c", "app.cancel_batches", "Cancel"),
        Binding("d", "app.delete_batches", "Delete"),
        Binding("l", "app.label_batch", "Label"),
        Binding("n", "app.note_batch", "Note"),
        Binding("y", "app.copy_id", "Copy id"),
        Binding("question_mark", "app.help", "Keys"),
    ]

    def __init__(self, batch: CachedBatch, guess: Turnaround | None, clock: Clock, readonly: bool) -> None:
        super().__init__()
        self.batch = batch
        self.guess = guess
        self.clock = clock
        self.readonly = readonly

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail"):
            yield Static(id="detail-body")
        yield Footer()

    def on_mount(self) -> None:
        self.show(self.batch, self.guess)

    def show(self, batch: CachedBatch, guess: Turnaround | None) -> None:
        self.batch, self.guess = batch, guess
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()  # values wrap within their own column
        for name, value in detail_lines(batch, guess, self.clock(), self.readonly):
            table.add_row(name, Text(visible(value)))  # labels, notes, ids, URLs: control characters shown
        self.query_one("#detail-body", Static).update(table)

    def selection(self) -> list[CachedBatch]:
        return [self.batch]
