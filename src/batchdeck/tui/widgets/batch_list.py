"""The batch list: a line-rendered view that draws only the visible rows (10,000 rows stay instant).

Rows are `CachedBatch` objects already filtered and sorted by the screen; this widget owns the
cursor and the marks, draws lines with the Line API, and posts `CursorMoved` when the cursor
changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.batches.phrases import archive_soon
from batchdeck.core.clock import Clock, utcnow
from batchdeck.tui.widgets.columns import COLUMNS, STATUS_MIN, cell, fit, label_need, status_class, status_need, widths
from batchdeck.tui.widgets.cursor_view import CursorView


class BatchList(CursorView):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "batch-list--cursor",
        "batch-list--marked",
        "batch-list--ok",
        "batch-list--warn",
        "batch-list--bad",
        "batch-list--live",
        "batch-list--canceling",
        "batch-list--deleted",
        "batch-list--dim",
    }

    class Resized(Message):
        """The cell area changed width: the column header must follow."""

    class CursorMoved(Message):
        def __init__(self, row: CachedBatch | None) -> None:
            super().__init__()
            self.row = row  # as `ResultList.CursorMoved` names it; never `batch`, Textual's `Widget.batch()`

    def __init__(self, clock: Clock = utcnow, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self.rows: Sequence[CachedBatch] = ()
        self.label_width = 0
        self.status_width = STATUS_MIN
        self.cursor = 0

    def row_count(self) -> int:
        return len(self.rows)

    def cursor_moved(self) -> None:
        self.post_message(self.CursorMoved(self.current))

    # -- data ---------------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[CachedBatch]) -> None:
        """Show these rows; the cursor stays on the same batch when it is still there."""
        current = self.current
        self.rows = rows
        if current is not None:
            index = next((i for i, b in enumerate(rows) if b.id == current.id), None)
            self.cursor = index if index is not None else min(self.cursor, max(0, len(rows) - 1))
        self.cursor = min(self.cursor, max(0, len(rows) - 1))
        self.label_width = label_need(rows)
        self.status_width = status_need(rows)
        self.virtual_size = Size(0, len(rows))  # no horizontal scrolling: the columns fit the width
        self.show_cursor()  # the same batch may now sit far from the window (a sort, a poll)
        self.post_message(self.CursorMoved(self.current))

    @property
    def current(self) -> CachedBatch | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def selection(self, everything: Sequence[CachedBatch]) -> list[CachedBatch]:
        """The marked batches (hidden by a filter or not), or the cursor row when nothing is marked."""
        if self.marked:
            return [b for b in everything if b.id in self.marked]
        return [self.current] if self.current else []

    def current_key(self) -> str | None:
        batch = self.current
        return batch.id if batch is not None else None

    # -- drawing ------------------------------------------------------------------------------
    @property
    def content_width(self) -> int:
        """Columns available for cells (the vertical scrollbar takes its share)."""
        return self.scrollable_content_region.width

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.content_width
        base = self.rich_style
        if index >= len(self.rows):
            return Strip.blank(width, base)
        batch = self.rows[index]
        overlay = Style()
        if batch.id in self.marked:
            overlay += self.get_component_rich_style("batch-list--marked", partial=True)
        if index == self.cursor and self.has_focus:
            overlay += self.get_component_rich_style("batch-list--cursor", partial=True)
        segments = [Segment("● " if batch.id in self.marked else "  ", base + overlay)]
        sizes = widths(width, self.label_width, self.status_width)
        segments += self._cells(batch, sizes, self.clock(), base, overlay)
        return Strip(segments).adjust_cell_length(width, base + overlay)

    def _cells(
        self, batch: CachedBatch, sizes: dict[str, int], now: datetime, base: Style, overlay: Style
    ) -> list[Segment]:
        """Cell colours first, then the row's mark/cursor overlay on top, so the cursor spans the row."""
        status = self.get_component_rich_style(f"batch-list--{status_class(batch)}", partial=True)
        dim = self.get_component_rich_style("batch-list--dim", partial=True)
        urgent = self.get_component_rich_style("batch-list--warn", partial=True) if archive_soon(batch, now) else dim
        out = []
        for column in COLUMNS:
            size = sizes[column.key]
            if size <= 0:
                continue
            tint = (
                status
                if column.key == "status"
                else urgent
                if column.key == "left"
                else dim
                if column.key == "cost"
                else Style()
            )
            out.append(Segment(cell(batch, column, size, now), base + tint + overlay))
            out.append(Segment(" ", base + overlay))
        return out[:-1]


def header_text(
    total_width: int, sort_key: str, descending: bool, label_width: int, status_width: int = STATUS_MIN
) -> str:
    """The column titles, with an arrow on the sort column."""
    sizes = widths(total_width, label_width, status_width)
    titles = []
    for column in COLUMNS:
        if sizes[column.key] <= 0:
            continue
        title = column.title + ((" ↓" if descending else " ↑") if column.key == sort_key else "")
        titles.append(fit(title, sizes[column.key], column.right))
    return " ".join(titles)  # the header widget's left padding stands over the mark column
