"""Enter on a batch: every field, its local metadata and lineage, and the actions it allows."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from batchdeck.core.batches import rules
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.batches.phrases import batch_fields
from batchdeck.core.clock import Clock
from batchdeck.core.sync.turnaround import Turnaround, estimate
from batchdeck.core.terminal_text import visible
from batchdeck.tui.messages import Snapshot
from batchdeck.tui.signals import Signals
from batchdeck.tui.widgets.key_footer import KeyFooter

KEYS: tuple[tuple[str, str, str | None], ...] = (
    ("R", "resubmit failed", "resubmit"),
    ("d", "delete", "delete"),
    ("c", "cancel", "cancel"),
    ("l", "label", "label"),
    ("n", "note", "note"),
    ("o", "results", None),
    ("J", "job", "job"),
    ("e", "export", "export"),
    ("y", "copy id", None),
    ("esc", "back", None),
)
"""The detail screen's keys in the order offered: (key, what it does, the `core.batches.rules` action governing it)."""


def action_rows(batch: CachedBatch, readonly: bool, in_job: bool | None = None) -> list[tuple[str, str]]:
    """What `core.batches.rules` allows for this batch ("actions"), then what it does not and why ("not now"),
    keys with the same reason on one line: the same rule that answers when the key is pressed."""
    offered: list[str] = []
    refused: dict[str, list[str]] = {}
    for key, what, rule in KEYS:
        found = None if rule is None else rules.refusal(rule, batch, readonly, in_job)
        if found is None:
            offered.append(f"{key} {what}")
        else:
            refused.setdefault(found.reason, []).append(f"{key} {what}")
    rows = [("actions", " · ".join(offered))]
    rows += [
        ("not now" if i == 0 else "", f"{', '.join(keys)}: {reason}")
        for i, (reason, keys) in enumerate(refused.items())
    ]
    return rows


def detail_lines(
    batch: CachedBatch, guess: Turnaround | None, now: datetime, readonly: bool, in_job: bool | None = None
) -> list[tuple[str, str]]:
    """The batch's fields, then the actions this screen allows for it (and why not the others)."""
    return [*batch_fields(batch, guess, now), *action_rows(batch, readonly, in_job)]


class DetailScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("enter,o", "app.open_results", "Results"),
        Binding("R", "app.resubmit", "Resubmit"),
        Binding("J", "app.open_job", "Job"),
        Binding("e", "app.export_batches", "Export"),
        Binding("c", "app.cancel_batches", "Cancel"),
        Binding("d", "app.delete_batches", "Delete"),
        Binding("l", "app.label_batch", "Label"),
        Binding("n", "app.note_batch", "Note"),
        Binding("y", "app.copy_id", "Copy id"),
        Binding("question_mark", "app.help", "Keys"),
    ]

    def __init__(
        self,
        batch: CachedBatch,
        guess: Turnaround | None,
        clock: Clock,
        readonly: bool,
        in_job: bool | None,
        signals: Signals,
    ) -> None:
        super().__init__()
        self.signals = signals
        self.shown_batch = batch
        self.guess = guess
        self.clock = clock
        self.readonly = readonly
        self.in_job = in_job  # whether the batch belongs to a job (None: not known yet)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail"):
            yield Static(id="detail-body")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.show(self.shown_batch, self.guess, self.in_job)
        self.signals.snapshot.subscribe(self, self.on_snapshot)  # it follows the polls

    def on_snapshot(self, snapshot: Snapshot) -> None:
        """A new snapshot: the batch as it is now (it may have ended), and whether it belongs to a job."""
        fresh = next((b for b in snapshot.batches if b.id == self.shown_batch.id), None)
        if fresh is not None:
            in_job = None if snapshot.job_batches is None else fresh.id in snapshot.job_batches
            self.show(fresh, estimate(snapshot.history, fresh.counts.total), in_job)

    def show(self, batch: CachedBatch, guess: Turnaround | None, in_job: bool | None = None) -> None:
        self.shown_batch, self.guess = batch, guess
        self.in_job = self.in_job if in_job is None else in_job
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()  # values wrap within their own column
        for name, value in detail_lines(batch, guess, self.clock(), self.readonly, self.in_job):
            table.add_row(name, Text(visible(value)))  # labels, notes, ids, URLs: control characters shown
        self.query_one("#detail-body", Static).update(table)

    def selection(self) -> list[CachedBatch]:
        return [self.shown_batch]
