"""Enter on a batch: every field, its local metadata and lineage, and the actions it allows."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.markup import escape
from textual.widgets import Footer, Static

from batchdeck.core.clock import Clock
from batchdeck.core.describe import batch_fields
from batchdeck.core.models import CachedBatch
from batchdeck.core.turnaround import Turnaround


def detail_lines(batch: CachedBatch, guess: Turnaround | None, now: datetime, readonly: bool) -> list[tuple[str, str]]:
    """The batch's fields, then the actions this screen allows for it."""
    actions = ["y copy id", "esc back"]
    if not readonly:
        if batch.processing_status == "in_progress" and not batch.deleted_at:
            actions.insert(0, "c cancel")
        if batch.processing_status == "ended" and not batch.deleted_at:
            actions.insert(0, "d delete")
        actions[:0] = ["l label", "n note"]
    return [*batch_fields(batch, guess, now), ("actions", " · ".join(actions))]


class DetailScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
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
        rows = detail_lines(batch, guess, self.clock(), self.readonly)
        width = max(len(k) for k, _ in rows)
        self.query_one("#detail-body", Static).update(
            "\n".join(f"[b]{k.ljust(width)}[/]  {escape(v)}" for k, v in rows))

    def selection(self) -> list[CachedBatch]:
        return [self.batch]
