"""Enter on a batch: every field, its local metadata and lineage, and the actions it allows."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.markup import escape
from textual.widgets import Footer, Static

from batchdeck.core import timefmt
from batchdeck.core.clock import Clock
from batchdeck.core.models import CachedBatch
from batchdeck.core.turnaround import Turnaround
from batchdeck.tui.widgets.columns import left_text


def _results_text(batch: CachedBatch, now: Any) -> str:
    if batch.deleted_at:
        return "deleted"
    if batch.processing_status != "ended":
        return "available once the batch ends"
    if batch.archived_at:
        return f"archived on {batch.archived_at} (29 days after creation)"
    return left_text(batch, now).replace("arch ", "downloadable for another ")


def detail_lines(batch: CachedBatch, guess: Turnaround | None, now: object, readonly: bool) -> list[tuple[str, str]]:
    counts = batch.counts
    rows = [
        ("id", batch.id), ("status", batch.status_text()),
        ("requests", f"{counts.total:,}: " + ", ".join(f"{n:,} {k}" for k, n in counts.as_dict().items() if n)),
        ("created", f"{batch.created_at} ({timefmt.ago(batch.created, now)})"),  # type: ignore[arg-type]
        ("ended", batch.ended_at or "-"), ("expires", batch.expires_at or "-"),
        ("cancel initiated", batch.cancel_initiated_at or "-"),
        ("results", _results_text(batch, now)),
        ("results url", batch.results_url or "-"),
        ("label", batch.label or "-"), ("note", batch.note or "-"), ("tags", ", ".join(batch.tags) or "-"),
        ("source file", batch.source_file or "-"), ("created by", batch.created_by or "-"),
        ("parent batch", batch.parent_batch_id or "-"),
        ("first seen", batch.first_seen_at), ("refreshed", batch.refreshed_at),
    ]
    if batch.deleted_at:
        rows.append(("deleted remotely", batch.deleted_at))
    if batch.is_live:
        rows.append(("turnaround", f"usually {timefmt.span(guess.typical_seconds)} (slowest "
                     f"{timefmt.span(guess.slow_seconds)}) for {guess.smallest:,}-{guess.largest:,} requests, "
                     f"from {guess.based_on} past batches" if guess else "no finished batches here yet"))
    actions = ["y copy id", "esc back"]
    if not readonly:
        if batch.is_live and batch.processing_status == "in_progress":
            actions.insert(0, "c cancel")
        if batch.processing_status == "ended" and not batch.deleted_at:
            actions.insert(0, "d delete")
        actions[:0] = ["l label", "n note"]
    rows.append(("actions", " · ".join(actions)))
    return rows


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
