"""The batch list: a line-rendered view of any number of cached batches, drawn from 256-row pages.

The screen reads the view (count, the cursor's row and the pages in sight) from SQLite in a thread worker
and hands it to `show`; the LABEL and STATUS columns are as wide as the rows read so far need, and while the
view keeps the same rows (a sort, a poll, a page scrolled into sight) they only grow, so they never narrow
under the user's eyes; rows further away are asked for with `PageWanted` as they scroll
into sight, and a placeholder is drawn until they arrive. Each view change starts a new generation, so a
page of an older view is never shown. This widget owns the cursor and the marks (kept with the row as it
was marked, so a mark hidden by a filter still acts), and posts `CursorMoved` when the cursor changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip

from batchdeck.core.batches.browse import PAGE_ROWS, ListRead
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.batches.phrases import archive_soon
from batchdeck.core.clock import Clock, utcnow
from batchdeck.core.store.batch_order import Key
from batchdeck.core.store.batch_pages import Page, ViewStats
from batchdeck.tui.screens.main_text import shown_fields
from batchdeck.tui.widgets.columns import COLUMNS, STATUS_MIN, cell, fit, label_need, row_needs, status_class, widths
from batchdeck.tui.widgets.cursor_view import CursorView

PAGES_KEPT = 64  # 16,384 rows: a few screens either way of wherever the user is


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

    class PageWanted(Message):
        def __init__(
            self, generation: int, number: int, after: Key | None, before: Key | None, ids: list[str] | None
        ) -> None:
            super().__init__()
            self.generation = generation
            self.number = number
            self.ids = ids  # the page's ids, when the view's whole order was read
            self.after = after  # the last key of the page before (None: not here)
            self.before = before  # the first key of the page after

    def __init__(self, clock: Clock = utcnow, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self.total = 0
        self.generation = 0
        self.pages: dict[int, Page] = {}
        self.order: tuple[str, ...] | None = None  # the view's ids in order, when it was read whole
        self.stats: ViewStats | None = None  # of the view shown, and which rows it keeps (BatchView.rows_key)
        self.rows_of: tuple[object, ...] = ()
        self.requested: set[int] = set()
        self.marked_rows: dict[str, CachedBatch] = {}  # each marked batch as last seen
        self.label_width = 0
        self.status_width = STATUS_MIN
        self.cursor = 0
        self._paint: _Paint | None = None  # the styles of the frame being drawn (render_lines)

    def row_count(self) -> int:
        return self.total

    def cursor_moved(self) -> None:
        self.post_message(self.CursorMoved(self.current))

    # -- data ---------------------------------------------------------------------------------
    def show(self, read: ListRead) -> bool:
        """Show a read of the view: its count, widths, the cursor's row and the pages in sight. Returns whether
        anything drawn changed (a quiet poll's read of the same rows repaints nothing)."""
        stats = read.stats
        label, badge = row_needs(b for page in read.pages.values() for b in page.rows)
        label = max(label, label_need(stats.label_chars, stats.odd_labels))
        status = max(badge, stats.badge_chars) or STATUS_MIN
        if read.request.view.rows_key() == self.rows_of and self.total:  # the same rows (a sort, a poll): only grow
            label, status = max(label, self.label_width), max(status, self.status_width)
        generation = read.request.generation
        same = (generation, stats.count, read.cursor, label, status) == (
            self.generation,
            self.total,
            self.cursor,
            self.label_width,
            self.status_width,
        ) and all(n in self.pages and _drawn(self.pages[n]) == _drawn(p) for n, p in read.pages.items())
        self.generation, self.total = generation, stats.count
        self.label_width, self.status_width = label, status
        self.order = read.order
        self.stats, self.rows_of = stats, read.request.view.rows_key()
        if same:  # the pages out of sight may have changed: read them again when they come into sight
            self.pages = dict(read.pages)
            self.requested = set(self.pages)
            return False
        self.pages, self.requested = dict(read.pages), set(read.pages)
        self.cursor = read.cursor
        read_now = {b.id: b for p in self.pages.values() for b in p.rows}
        for batch_id in self.marked_rows.keys() & read_now.keys():  # marked rows take their fresh copy
            self.marked_rows[batch_id] = read_now[batch_id]
        self.virtual_size = Size(0, self.total)  # no horizontal scrolling: the columns fit the width
        self.show_cursor()  # the same batch may now sit far from the window (a sort, a poll)
        self.post_message(self.CursorMoved(self.current))
        return True

    def add_page(self, generation: int, number: int, page: Page) -> None:
        if generation != self.generation:
            return  # a page of an earlier view
        self.pages[number] = page
        label, badge = row_needs(page.rows)
        if label > self.label_width or badge > self.status_width:  # the columns only grow as pages come in
            self.label_width, self.status_width = max(label, self.label_width), max(badge, self.status_width)
            self.post_message(self.Resized())  # the header follows
        if len(self.pages) > PAGES_KEPT:  # keep memory flat on long scrolls: drop the pages furthest away
            here = self.cursor // PAGE_ROWS
            for far in sorted(self.pages, key=lambda n: -abs(n - here))[: len(self.pages) - PAGES_KEPT]:
                del self.pages[far]
                self.requested.discard(far)
        self.refresh()
        if number == self.cursor // PAGE_ROWS:
            self.post_message(self.CursorMoved(self.current))

    def row_at(self, index: int) -> CachedBatch | None:
        page = self.pages.get(index // PAGE_ROWS)
        if page is None or not 0 <= index < self.total:
            return None
        offset = index % PAGE_ROWS
        return page.rows[offset] if offset < len(page.rows) else None

    @property
    def rows(self) -> list[CachedBatch]:
        """The rows read so far from the top of the list, in order (every row of a list of a page or two)."""
        out: list[CachedBatch] = []
        number = 0
        while number in self.pages:
            out += self.pages[number].rows
            number += 1
        return out[: self.total]

    @property
    def current(self) -> CachedBatch | None:
        return self.row_at(self.cursor)

    def current_key(self) -> str | None:
        batch = self.current
        return batch.id if batch is not None else None

    def toggle_mark(self) -> None:
        batch = self.current
        if batch is not None:
            if batch.id in self.marked:
                self.marked_rows.pop(batch.id, None)
            else:
                self.marked_rows[batch.id] = batch
        super().toggle_mark()

    def clear_marks(self) -> None:
        self.marked_rows.clear()
        super().clear_marks()

    def selection(self, fresh: Mapping[str, CachedBatch]) -> list[CachedBatch]:
        """The marked batches (hidden by a filter or not; as `fresh` has them when it has them), newest first,
        or the cursor row when nothing is marked."""
        if self.marked:
            chosen = [fresh.get(i) or self.marked_rows[i] for i in self.marked if i in fresh or i in self.marked_rows]
            return sorted(chosen, key=lambda b: (b.created_at, b.id), reverse=True)
        return [self.current] if self.current else []

    # -- drawing ------------------------------------------------------------------------------
    @property
    def content_width(self) -> int:
        """Columns available for cells (the vertical scrollbar takes its share)."""
        return self.scrollable_content_region.width

    def render_lines(self, crop: Region) -> list[Strip]:
        """A frame's lines, their styles looked up once for the frame (a lookup costs more than a row's text)."""
        self._paint = _Paint(self)
        try:
            return super().render_lines(crop)
        finally:
            self._paint = None

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.content_width
        paint = self._paint or _Paint(self)
        base = paint.base
        if index >= self.total:
            return Strip.blank(width, base)
        batch = self.row_at(index)
        cursor = index == self.cursor and self.has_focus
        if batch is None:  # its page is on its way; the cursor shows here too, as on any row
            self._want(index // PAGE_ROWS)
            style = paint.sum(base, paint.part["cursor"] if cursor else Style())
            return Strip([Segment("  …", paint.sum(style, paint.part["dim"]))]).adjust_cell_length(width, style)
        marked = batch.id in self.marked
        overlay = paint.sum(paint.part["marked"] if marked else Style(), paint.part["cursor"] if cursor else Style())
        segments = [Segment("● " if marked else "  ", paint.sum(base, overlay))]
        sizes = widths(width, self.label_width, self.status_width)
        segments += self._cells(batch, sizes, self.clock(), paint, overlay)
        return Strip(segments).adjust_cell_length(width, paint.sum(base, overlay))

    def _cells(
        self, batch: CachedBatch, sizes: dict[str, int], now: datetime, paint: _Paint, overlay: Style
    ) -> list[Segment]:
        """Cell colours first, then the row's mark/cursor overlay on top, so the cursor spans the row."""
        base, part = paint.base, paint.part
        status = part[status_class(batch)]
        urgent = part["warn"] if archive_soon(batch, now) else part["dim"]
        tints = {"status": status, "left": urgent, "cost": part["dim"]}
        gap = paint.sum(base, overlay)
        out = []
        for column in COLUMNS:
            size = sizes[column.key]
            if size <= 0:
                continue
            out.append(
                Segment(cell(batch, column, size, now), paint.sum(base, tints.get(column.key, Style()), overlay))
            )
            out.append(Segment(" ", gap))
        return out[:-1]

    def _want(self, number: int) -> None:
        if number not in self.requested:
            self.requested.add(number)
            after, before = self.pages.get(number - 1), self.pages.get(number + 1)
            self.post_message(
                self.PageWanted(
                    self.generation,
                    number,
                    after.keys[-1] if after and after.keys else None,
                    before.keys[0] if before and before.keys else None,
                    None if self.order is None else list(self.order[number * PAGE_ROWS : (number + 1) * PAGE_ROWS]),
                )
            )


def _drawn(page: Page) -> list[tuple[object, ...]]:
    return [shown_fields(b) for b in page.rows]


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


class _Paint:
    """The list's styles for one frame: its own, each row part's, and their sums, each computed once."""

    def __init__(self, batch_list: BatchList) -> None:
        self.base = batch_list.rich_style
        self.part = {  # by the name after `batch-list--`
            name.removeprefix("batch-list--"): batch_list.get_component_rich_style(name, partial=True)
            for name in batch_list.COMPONENT_CLASSES
        }
        self._sums: dict[tuple[Style, ...], Style] = {}

    def sum(self, *styles: Style) -> Style:
        found = self._sums.get(styles)
        if found is None:
            found = self._sums[styles] = Style.combine(styles)
        return found
