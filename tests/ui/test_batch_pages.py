"""The batch list over more batches than a page holds: pages read as they scroll into sight, filters, sorts
and counts from SQL, a poll landing mid-list, and a scope; what is drawn is what the keys act on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from batchdeck.core.batches.browse import PAGE_ROWS
from batchdeck.emulator import DEFAULT_WORKSPACE, Emulator, Rates
from batchdeck.emulator.sources import SyntheticSource, SyntheticSpec
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.screens.detail import DetailScreen
from batchdeck.tui.widgets.batch_list import BatchList
from batchdeck.tui.widgets.columns import short_id
from tests.conftest import START
from tests.ui.conftest import make_session, polled, press_and_poll, screen_text, wait_for
from tests.ui.test_cursor_truth import Trail, lit_line
from tests.ui.test_visible_state import status_drawn

pytestmark = pytest.mark.anyio

OLD, LIVE = 600, 3


@pytest.fixture
def many() -> Iterator[Emulator]:
    """600 ended batches of 1 to 9 requests, a minute apart, and 3 live ones: three pages of rows."""
    with Emulator(speed=0, start_time=START, scenario="empty") as emu:
        for n in range(OLD):
            source = SyntheticSource(SyntheticSpec(f"old-{n}", n % 9 + 1))
            emu.store.new_batch(source, DEFAULT_WORKSPACE, Rates(), created_at=START - 2 * 86400 + 60 * n)
        for n in range(LIVE):
            emu.store.new_batch(SyntheticSource(SyntheticSpec(f"now-{n}", 4)), DEFAULT_WORKSPACE, Rates())
        yield emu


def newest_first(emu: Emulator) -> list[str]:
    return [b.id for b in sorted(emu.store.all_batches(), key=lambda b: (b.created_at, b.id), reverse=True)]


def highlighted(batch_list: BatchList) -> str:
    """The text of the one line drawn with the cursor colour (checked to be the cursor row, in the window)."""
    line = lit_line(batch_list, batch_list.total, Trail(0))
    assert line is not None
    return line


async def shown(pilot: Pilot[None], batch_list: BatchList) -> None:
    """Wait until the cursor's row has been read and drawn."""
    await wait_for(pilot, lambda: batch_list.current is not None)
    await pilot.pause()


async def sort_by(pilot: Pilot[None], app: BatchdeckApp, key: str) -> None:
    while app.main.sort != key:
        await pilot.press("s")
    await shown(pilot, app.main.query_one(BatchList))


async def test_scrolling_past_a_page_loads_the_next_and_enter_opens_the_drawn_row(
    many: Emulator, tmp_path: Path
) -> None:
    app = BatchdeckApp(make_session(many, tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        await polled(pilot)
        batch_list = app.main.query_one(BatchList)
        await wait_for(pilot, lambda: batch_list.total == OLD + LIVE)
        assert sorted(batch_list.pages) == [0]  # only the page in sight was read
        order = newest_first(many)
        for _ in range(14):  # 20 rows a press: past the first page's 256 rows
            await pilot.press("pagedown")
        await shown(pilot, batch_list)
        assert batch_list.cursor == 280 and 1 in batch_list.pages
        assert batch_list.current is not None and batch_list.current.id == order[280]
        assert short_id(order[280]) in highlighted(batch_list)
        await pilot.press("G")  # the last page: read by OFFSET, no neighbour known
        await shown(pilot, batch_list)
        assert batch_list.cursor == OLD + LIVE - 1 and (OLD + LIVE - 1) // PAGE_ROWS in batch_list.pages
        assert short_id(order[-1]) in highlighted(batch_list)
        await pilot.press("k", "k")
        await shown(pilot, batch_list)
        assert short_id(order[-3]) in highlighted(batch_list)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, DetailScreen) and screen.shown_batch.id == order[-3]


async def test_filter_and_sort_over_pages_come_from_sql(many: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(many, tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        await polled(pilot)
        batch_list = app.main.query_one(BatchList)
        await sort_by(pilot, app, "requests")
        while app.main.quick != "ended":
            await pilot.press("f")
        await wait_for(pilot, lambda: batch_list.generation == app.main.generation and batch_list.total == OLD)
        await shown(pilot, batch_list)
        assert f"showing {OLD}: ended · sort requests ↓" in status_drawn(app)
        await pilot.press("g")
        await shown(pilot, batch_list)
        now = many.clock.now()
        sizes = {b.id: sum(b.counts(now).values()) for b in many.store.all_batches()}
        nines = [i for i in newest_first(many) if sizes[i] == 9]
        assert batch_list.current is not None and batch_list.current.id == nines[0]  # the newest of the largest
        assert short_id(nines[0]) in highlighted(batch_list)
        await pilot.press("G")
        await shown(pilot, batch_list)
        ones = [i for i in newest_first(many) if sizes[i] == 1]
        assert batch_list.current is not None and batch_list.current.id == ones[-1]  # the oldest of the smallest
        assert short_id(ones[-1]) in highlighted(batch_list)
        await pilot.press("slash", *"!ended")
        await wait_for(pilot, lambda: batch_list.generation == app.main.generation and batch_list.total == 0)
        await pilot.pause()
        assert f"No ended batch matches /!ended (0 of {OLD + LIVE:,})" in screen_text(app)


async def test_the_status_line_counts_the_whole_cache_from_sql(many: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(many, tmp_path))
    async with app.run_test(size=(140, 30)) as pilot:
        await polled(pilot)
        now = many.clock.now()
        ended = [b for b in many.store.all_batches() if b.status(now) == "ended"]
        failed = sum(1 for b in ended if sum(v for k, v in b.counts(now).items() if k != "succeeded"))
        assert len(ended) == OLD
        assert f"{LIVE} live · {OLD} ended · {failed} failed" in status_drawn(app)


async def test_a_poll_that_moves_the_cursor_batch_keeps_the_cursor_on_it(many: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(many, tmp_path))
    app.main.feed.schedule.live_seconds = app.main.feed.schedule.idle_seconds = 3600  # only `r` polls
    async with app.run_test(size=(120, 30)) as pilot:
        await polled(pilot)
        batch_list = app.main.query_one(BatchList)
        await sort_by(pilot, app, "status")  # failures first; live batches last
        await pilot.press("G")
        await shown(pilot, batch_list)
        target = batch_list.current
        assert target is not None and target.processing_status == "in_progress"
        before = batch_list.cursor
        many.store.cancel(target.id, DEFAULT_WORKSPACE)  # canceling: it sorts before the live ones now
        await press_and_poll(pilot, "r")
        await shown(pilot, batch_list)
        assert batch_list.current is not None and batch_list.current.id == target.id
        assert batch_list.cursor != before
        line = highlighted(batch_list)
        assert short_id(target.id) in line and "canceling" in line


async def test_a_scope_shows_only_its_batches_until_esc(many: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(many, tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        await polled(pilot)
        batch_list = app.main.query_one(BatchList)
        chosen = newest_first(many)[300:303]
        app.main.scope_to("top spend", chosen)
        await wait_for(pilot, lambda: batch_list.generation == app.main.generation and batch_list.total == 3)
        await pilot.pause()
        assert "showing 3: top spend" in status_drawn(app)
        assert [b.id for b in batch_list.rows] == chosen
        await pilot.press("escape")
        await wait_for(pilot, lambda: batch_list.generation == app.main.generation and batch_list.total == OLD + LIVE)
        await pilot.pause()
        assert "top spend" not in status_drawn(app)
