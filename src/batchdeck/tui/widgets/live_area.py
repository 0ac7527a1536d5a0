"""The grid of live panes over the batch list: a pane for every live batch, kept after it ends (showing the
outcome) until `x` clears the ended ones; `L` hides or shows the whole area."""

from __future__ import annotations

from datetime import datetime

from textual.containers import Container

from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.clock import Clock
from batchdeck.core.sync.turnaround import Turnaround, estimate
from batchdeck.tui.widgets.live_pane import LivePane


class LiveArea(Container):
    def __init__(self, clock: Clock, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self._history: list[tuple[int, float]] | None = None  # the history the guesses below were worked out from
        self._guesses: dict[int, Turnaround | None] = {}

    def sync(self, batches: list[CachedBatch], history: list[tuple[int, float]], polled_at: datetime | None) -> None:
        """A pane for every live batch; panes of batches that ended stay, showing the outcome."""
        by_id = {b.id: b for b in batches}
        existing = {pane.shown_batch.id: pane for pane in self.query(LivePane)}
        for batch_id, pane in existing.items():
            if batch_id in by_id:
                batch = by_id[batch_id]
                pane.update_batch(batch, self._estimate(history, batch.counts.total), polled_at)
        new = [LivePane(b, self.clock) for b in batches if b.is_live and b.id not in existing]
        for pane in new:
            pane.guess, pane.polled_at = self._estimate(history, pane.shown_batch.counts.total), polled_at
        if new:
            self.mount(*new)
        self.display = bool(existing or new) and not self.has_class("-hidden")

    def _estimate(self, history: list[tuple[int, float]], size: int) -> Turnaround | None:
        """The turnaround for a size, worked out once per history read (a long history takes a while to walk, and
        the feed hands the same list back until batches end)."""
        if history is not self._history:
            self._history, self._guesses = history, {}
        if size not in self._guesses:
            self._guesses[size] = estimate(history, size)
        return self._guesses[size]

    def fit(self, width: int) -> None:
        """As many panes side by side as fit at 40 columns each (one to four)."""
        self.styles.grid_size_columns = max(1, min(4, width // 40))

    def redraw(self) -> None:
        for pane in self.query(LivePane):
            pane.redraw()

    def toggle(self) -> None:
        self.toggle_class("-hidden")
        self.display = not self.has_class("-hidden") and bool(self.query(LivePane))

    def clear_ended(self) -> None:
        for pane in self.query(LivePane):
            if pane.shown_batch.processing_status == "ended":
                pane.remove()
