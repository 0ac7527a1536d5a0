"""A line-rendered list with a cursor row: the movement keys, keeping the cursor in sight, and
repainting only the two rows a move touches. The batch list and the results list build on it.

Row indexes are virtual (0 = the first row of the list, not of the window): `ScrollView.refresh_line`
takes a row index and subtracts the scroll offset itself, so callers never subtract it.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView


class CursorView(ScrollView, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup", "move(-20)", "Page up", show=False),
        Binding("pagedown", "move(20)", "Page down", show=False),
        Binding("home,g", "jump(0)", "First", show=False),
        Binding("end,G", "jump(-1)", "Last", show=False),
    ]

    cursor = 0

    class Resized(Message):
        """The cell area changed width: the column header must follow (each list names its own)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.marked: set[str] = set()  # keys of the marked rows (batch ids, custom_ids)

    def row_count(self) -> int:
        raise NotImplementedError

    def current_key(self) -> str | None:
        """The key of the row under the cursor (what a mark records)."""
        raise NotImplementedError

    def toggle_mark(self) -> None:
        key = self.current_key()
        if key is None:
            return
        self.marked.symmetric_difference_update({key})
        self.refresh_line(self.cursor)
        self.action_move(1)

    def clear_marks(self) -> None:
        self.marked.clear()
        self.refresh()

    def on_resize(self) -> None:
        self.virtual_size = Size(0, self.row_count())  # no horizontal scrolling: the columns fit the width
        self.show_cursor()  # a shorter window may have left the cursor row below it
        self.post_message(self.Resized())

    def cursor_moved(self) -> None:
        """Tell the screen which row the cursor is on now (each list posts its own message)."""
        raise NotImplementedError

    def action_move(self, delta: int) -> None:
        self._go(self.cursor + delta)

    def action_jump(self, index: int) -> None:
        self._go(index if index >= 0 else self.row_count() - 1)

    def _go(self, index: int) -> None:
        count = self.row_count()
        if not count:
            return
        old = self.cursor
        self.cursor = max(0, min(count - 1, index))
        if self.cursor != old:
            self.show_cursor(old)
            self.cursor_moved()

    def show_cursor(self, old: int | None = None) -> None:
        """Scroll the cursor row into the window now, then repaint: every line when the window moved
        (or the rows changed: `old` None), otherwise only the row the cursor left and the one it is on."""
        if not self.scrollable_content_region.height:
            self.refresh()  # not laid out yet (or hidden): on_resize brings the cursor in once it has a size
            return
        top = self.scroll_offset.y
        self.scroll_to_region(Region(0, self.cursor, 1, 1), animate=False, force=True, immediate=True)
        if old is None or self.scroll_offset.y != top:
            self.refresh()
        else:
            self.refresh_line(old)
            self.refresh_line(self.cursor)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._follow_window()

    def _follow_window(self) -> None:
        """The window moved without the cursor (mouse wheel, scrollbar): the cursor comes along, so the
        row the actions use is always one on screen. (The whole view repaints on a scroll anyway.)"""
        height, count = self.scrollable_content_region.height, self.row_count()
        if not height or not count:
            return
        top = self.scroll_offset.y
        inside = max(top, min(self.cursor, top + height - 1, count - 1))
        if inside != self.cursor:
            self.cursor = inside
            self.cursor_moved()

    def on_focus(self) -> None:
        self.refresh()  # the cursor shows only while focused

    def on_blur(self) -> None:
        self.refresh()
