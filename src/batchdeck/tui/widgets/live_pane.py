"""One pane per live batch: elapsed, expiry countdown, typical turnaround, last poll, counts.

No progress bar: the API reports nothing until the whole batch ends, so the pane compares the
elapsed time with how long batches of this size usually take here, and says so when a batch
runs past that ("overdue: usually 6m").

Widget ids come from a counter, never from the batch id: ids are API data, and Textual refuses
ids with characters such as `.`.
"""

from __future__ import annotations

import itertools
from datetime import datetime

from textual.widgets import Static

from batchdeck.core import timefmt
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.batches.phrases import counted
from batchdeck.core.clock import Clock
from batchdeck.core.sync.turnaround import Turnaround, overdue
from batchdeck.core.terminal_text import visible
from batchdeck.tui.text import literal
from batchdeck.tui.widgets.columns import short_id

_pane_numbers = itertools.count(1)


def pane_text(batch: CachedBatch, guess: Turnaround | None, polled_at: datetime | None, now: datetime) -> str:
    """The pane's three lines (Textual markup), short enough for two panes side by side at 80 columns.
    The last poll's age goes in the border (see LivePane)."""
    counts = batch.counts
    elapsed = timefmt.span(batch.duration_seconds(now))
    if batch.processing_status == "ended":
        outcome = f"[b]ended[/] in {elapsed}: {counts.succeeded:,} ok"
        outcome += "".join(
            f", {n:,} {k}"
            for k, n in (("errored", counts.errored), ("expired", counts.expired), ("canceled", counts.canceled))
            if n
        )
        return f"{outcome}\nof {counted(counts.total, 'request')}"
    expires = timefmt.span((timefmt.parse(batch.expires_at) - now).total_seconds()) if batch.expires_at else "?"
    state = "canceling" if batch.processing_status == "canceling" else "running"
    lines = [f"{state} {elapsed} · {counted(counts.total, 'request')}", f"expires in {expires}"]
    if batch.processing_status == "canceling":  # it ends when the requests in flight do, not at a usual time
        lines.append(_canceling_line(batch, now))
    else:
        lines.append(_turnaround_line(guess, batch.duration_seconds(now)))
    return "\n".join(lines)


def _canceling_line(batch: CachedBatch, now: datetime) -> str:
    """When the cancel was asked: the usual turnaround no longer applies, so no "overdue" either."""
    if not batch.cancel_initiated_at:
        return "cancel asked; unsent rows end canceled"
    asked = (now - timefmt.parse(batch.cancel_initiated_at)).total_seconds()
    return f"cancel asked {timefmt.span(max(asked, 0))} ago"


def _turnaround_line(guess: Turnaround | None, elapsed_seconds: float) -> str:
    if guess is None:
        return "no finished batches here to compare"
    usual = timefmt.span(guess.typical_seconds)
    if overdue(guess, elapsed_seconds):
        return f"[b $warning]overdue[/]: usually {usual} ({guess.based_on:,} past)"  # fits two panes at 80 columns
    return f"usually {usual}, slow {timefmt.span(guess.slow_seconds)} ({guess.based_on:,} past)"


def pane_title(batch: CachedBatch) -> str:
    """The border title: short id and label, control characters shown, markup escaped."""
    title = visible(short_id(batch.id)) + (f" {visible(batch.label)}" if batch.label else "")
    return literal(title)


def poll_age(now: datetime, polled_at: datetime) -> str:
    """In 5-second steps: precise enough to trust, and the pane redraws five times less often."""
    seconds = (now - polled_at).total_seconds()
    return "just now" if seconds < 5 else f"{timefmt.span(seconds - seconds % 5 if seconds < 60 else seconds)} ago"


class LivePane(Static):
    """A bordered box titled with the batch's short id and label."""

    def __init__(self, batch: CachedBatch, clock: Clock) -> None:
        super().__init__(id=f"live-pane-{next(_pane_numbers)}", classes="live-pane")
        self.clock = clock
        self.shown_batch = batch
        self.guess: Turnaround | None = None
        self.polled_at: datetime | None = None
        self._shown = ""
        self._borders: tuple[str, str] | None = None  # the title and subtitle shown (setting either repaints)

    def on_mount(self) -> None:
        self.redraw()

    def update_batch(self, batch: CachedBatch, guess: Turnaround | None, polled_at: datetime | None) -> None:
        self.shown_batch, self.guess, self.polled_at = batch, guess, polled_at
        self.redraw()

    def redraw(self) -> None:
        batch = self.shown_batch
        now = self.clock()
        self.set_class(batch.processing_status == "ended", "-ended")
        self.set_class(
            batch.processing_status == "in_progress"
            and batch.deleted_at is None
            and overdue(self.guess, batch.duration_seconds(now)),
            "-overdue",
        )
        self.set_class(batch.processing_status == "ended" and batch.counts.failed > 0, "-failed")
        subtitle = f"polled {poll_age(now, self.polled_at)}" if self.polled_at else "not polled yet"
        borders = (pane_title(batch), subtitle)
        if borders != self._borders:  # Textual repaints on every set of a border title, changed or not
            self._borders = borders
            self.border_title, self.border_subtitle = borders
        text = pane_text(batch, self.guess, self.polled_at, now)
        if text != self._shown:  # most ticks change nothing: no repaint, no traffic over SSH
            self._shown = text
            self.update(text)
