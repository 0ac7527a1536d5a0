"""The results list: a line-rendered view of any number of result rows, drawn from 256-row pages.

The widget holds only the pages that arrived (the screen fetches them from SQLite in a thread
worker when asked with `PageWanted`) and draws a placeholder for rows still on their way.
Each filter change starts a new generation, so a page of an older query is never shown.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from batchdeck.core.results.browse import PAGE_ROWS
from batchdeck.core.store.result_repo import ResultRow
from batchdeck.tui.widgets.columns import fit
from batchdeck.tui.widgets.cursor_view import CursorView
from batchdeck.tui.widgets.result_columns import RESULT_COLUMNS, ColumnNeeds, result_cell, result_header, result_widths


class ResultList(CursorView):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "result-list--cursor",
        "result-list--marked",
        "result-list--ok",
        "result-list--bad",
        "result-list--warn",
        "result-list--dim",
    }

    class PageWanted(Message):
        def __init__(self, generation: int, number: int) -> None:
            super().__init__()
            self.generation = generation
            self.number = number

    class Resized(Message):
        """The cell area changed width: the column header must follow."""

    class CursorMoved(Message):
        def __init__(self, row: ResultRow | None) -> None:
            super().__init__()
            self.row = row

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.total = 0
        self.generation = 0
        self.pages: dict[int, list[ResultRow]] = {}
        self.requested: set[int] = set()
        self.cursor = 0
        self.needs = ColumnNeeds()  # what the cells of the pages seen in this generation need

    def row_count(self) -> int:
        return self.total

    def cursor_moved(self) -> None:
        self.post_message(self.CursorMoved(self.current))

    # -- data ---------------------------------------------------------------------------------
    def reset(self, generation: int, total: int, first_page: list[ResultRow], cursor: int = 0) -> None:
        """A new query's results: its count and the page the cursor is on."""
        self.generation, self.total = generation, total
        self.pages = {cursor // PAGE_ROWS: first_page} if first_page else {}
        self.requested = set(self.pages)
        self.needs = ColumnNeeds().grown(first_page)
        self.cursor = max(0, min(cursor, total - 1))
        self.virtual_size = Size(0, total)  # no horizontal scrolling: columns fit the width
        self.show_cursor()
        self.post_message(self.CursorMoved(self.current))

    def add_page(self, generation: int, number: int, rows: list[ResultRow]) -> None:
        if generation != self.generation:
            return  # a page of an earlier filter
        self.pages[number] = rows
        needs = self.needs.grown(rows)
        if needs != self.needs:  # a longer custom_id or error: the columns (and the header) widen
            self.needs = needs
            self.post_message(self.Resized())
        if len(self.pages) > 64:  # keep memory flat on long scrolls: drop the pages furthest away
            here = self.cursor // PAGE_ROWS
            for far in sorted(self.pages, key=lambda n: -abs(n - here))[: len(self.pages) - 64]:
                del self.pages[far]
                self.requested.discard(far)
        self.refresh()
        if number == self.cursor // PAGE_ROWS:
            self.post_message(self.CursorMoved(self.current))

    def row_at(self, index: int) -> ResultRow | None:
        page = self.pages.get(index // PAGE_ROWS)
        if page is None or not 0 <= index < self.total:
            return None
        offset = index % PAGE_ROWS
        return page[offset] if offset < len(page) else None

    @property
    def current(self) -> ResultRow | None:
        return self.row_at(self.cursor)

    def current_key(self) -> str | None:
        row = self.current
        return row.custom_id if row is not None else None

    # -- drawing ------------------------------------------------------------------------------
    def header(self) -> str:
        """The column titles over the cells as drawn now."""
        return result_header(self.scrollable_content_region.width, self.needs)

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if index >= self.total:
            return Strip.blank(width, base)
        cursor = (
            self.get_component_rich_style("result-list--cursor", partial=True)
            if index == self.cursor and self.has_focus
            else Style()
        )
        row = self.row_at(index)
        if row is None:  # its page is on its way; the cursor shows here too, as on any row
            self._want(index // PAGE_ROWS)
            dim = self.get_component_rich_style("result-list--dim", partial=True)
            return Strip([Segment("  …", base + dim + cursor)]).adjust_cell_length(width, base + cursor)
        overlay = Style()
        marked = row.custom_id in self.marked
        if marked:
            overlay += self.get_component_rich_style("result-list--marked", partial=True)
        overlay += cursor
        tone = {"succeeded": "ok", "errored": "bad"}.get(row.outcome, "warn")
        tint = self.get_component_rich_style(f"result-list--{tone}", partial=True)
        segments = [Segment("● " if marked else "  ", base + overlay)]
        sizes = result_widths(width, self.needs)
        for key, _, _, right in RESULT_COLUMNS:
            size = sizes[key]
            if size:
                style = base + (tint if key == "outcome" else Style()) + overlay
                segments += [Segment(fit(result_cell(row, key), size, right), style), Segment(" ", base + overlay)]
        return Strip(segments[:-1]).adjust_cell_length(width, base + overlay)

    def _want(self, number: int) -> None:
        if number not in self.requested:
            self.requested.add(number)
            self.post_message(self.PageWanted(self.generation, number))
