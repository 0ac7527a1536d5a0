"""What the once-a-second tick repaints: the time cells of the rows in view, wherever the list is scrolled."""

from __future__ import annotations

from pathlib import Path

import pytest

from batchdeck.emulator import Emulator
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.widgets.batch_list import BatchList
from batchdeck.tui.widgets.columns import cell_text
from tests.ui.conftest import make_session, polled, screen_lines, wait_for

pytestmark = pytest.mark.anyio


async def test_ages_move_on_in_a_scrolled_list(demo: Emulator, tmp_path: Path) -> None:
    """Scrolled to the end, the tick still repaints the rows in view (a screen line passed as a row index
    repainted rows outside the window instead, and the ages shown stood still)."""
    app = BatchdeckApp(make_session(demo, tmp_path))
    app.main.feed.schedule.live_seconds = app.main.feed.schedule.idle_seconds = 3600  # no poll repaints the list
    async with app.run_test(size=(120, 30)) as pilot:
        await polled(pilot)
        batch_list = app.main.query_one(BatchList)
        batch_list._go(len(batch_list.rows) - 1)  # the last row: the list scrolls
        await wait_for(pilot, lambda: batch_list.scroll_offset.y > 0)
        top, height = batch_list.scroll_offset.y, batch_list.size.height
        in_view = list(batch_list.rows[top : top + height])
        app.main.tick()
        await pilot.pause()
        demo.advance(3 * 3600)  # every creation age changes ("5h ago" -> "8h ago")
        app.main.tick()
        await pilot.pause()
        lines = screen_lines(app)[batch_list.region.y : batch_list.region.y + height]
        ages = [cell_text(b, "created", app.clock()) for b in in_view]
        assert len(ages) == height > 5
        stale = [(age, line) for age, line in zip(ages, lines, strict=True) if age not in line]
        assert stale == []
