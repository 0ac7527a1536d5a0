"""The batch list over more batches than a page holds: pages read as they scroll into sight, filters, sorts
and counts from SQL, a poll landing mid-list, and a scope; what is drawn is what the keys act on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from batchdeck.core.batches import browse
from batchdeck.core.batches.browse import PAGE_ROWS, ListRead, ListRequest, read_list
from batchdeck.core.errors import BatchdeckError
from batchdeck.core.store.batch_pages import QUICK_FILTERS, BatchPages, BatchView, Tallies
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import DEFAULT_WORKSPACE, Emulator, Rates
from batchdeck.emulator.sources import SyntheticSource, SyntheticSpec
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.screens import main_rows
from batchdeck.tui.screens.detail import DetailScreen
from batchdeck.tui.widgets import batch_feed
from batchdeck.tui.widgets.batch_list import BatchList
from batchdeck.tui.widgets.columns import label_need, row_needs, short_id
from tests.conftest import START
from tests.core.test_batch_pages import NOW_TEXT, store  # noqa: F401 (a fixture)
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


class Offline:
    """A syncer whose poll fails before it stores anything."""

    def sync(self) -> None:
        raise BatchdeckError("offline")


def reads_counted(monkeypatch: pytest.MonkeyPatch, module: object, gate: threading.Event | None = None) -> list[int]:
    """The generations `module`'s read_list reads, in order; each read first waits for `gate` when one is given."""
    seen: list[int] = []
    real = browse.read_list

    def counted(pages: BatchPages, request: ListRequest, now: str, tallies: Tallies | None = None) -> ListRead:
        seen.append(request.generation)
        if gate is not None:
            assert gate.wait(15)
        return real(pages, request, now, tallies)

    monkeypatch.setattr(module, "read_list", counted)
    return seen


@pytest.mark.parametrize("stores", [False, True])
async def test_a_poll_landing_while_a_sort_is_read_does_not_read_the_view_again(
    many: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stores: bool
) -> None:
    """A poll that began before a sort lands with a read of the old view while the sort's read is on its way: the
    sort's read is the one shown, and the view is read once. Only a poll that stored data since that read began
    has it read once more, after it is drawn."""
    app = BatchdeckApp(make_session(many, tmp_path))
    app.main.feed.schedule.live_seconds = app.main.feed.schedule.idle_seconds = 3600  # only this test polls
    async with app.run_test(size=(120, 30)) as pilot:
        await polled(pilot)
        screen, batch_list = app.main, app.main.query_one(BatchList)
        await shown(pilot, batch_list)
        if not stores:
            monkeypatch.setattr(Workspace, "syncer", lambda ws: Offline())
        sort_pressed, poll_landed = threading.Event(), threading.Event()
        polls = reads_counted(monkeypatch, batch_feed, sort_pressed)  # the poll reads the view it began with
        views = reads_counted(monkeypatch, main_rows, poll_landed)
        before = screen.feed.polls_done
        screen.feed.poll_now()
        await wait_for(pilot, lambda: bool(polls))  # the poll is reading the old view
        await pilot.press("s")
        sort_generation = screen.generation
        assert polls == [sort_generation - 1] and screen.reading == sort_generation
        sort_pressed.set()
        await wait_for(pilot, lambda: screen.feed.polls_done > before)  # its read of the old view is not shown
        assert batch_list.generation == sort_generation - 1
        poll_landed.set()
        await wait_for(pilot, lambda: batch_list.generation == sort_generation and screen.reading is None)
        await shown(pilot, batch_list)
        await pilot.pause(0.2)
        assert views == [sort_generation] * (2 if stores else 1)
        assert screen.sort == "time" and batch_list.current is not None
        assert short_id(batch_list.current.id) in highlighted(batch_list)


async def test_the_label_column_only_grows_as_pages_come_in(many: Emulator, tmp_path: Path) -> None:
    """Column needs are measured on the rows read, not over the whole view in SQL: a longer label two pages down
    widens LABEL (and its header) when its page comes in; a sort of the same rows never narrows it again."""
    session = make_session(many, tmp_path)
    app = BatchdeckApp(session)
    app.main.feed.schedule.live_seconds = app.main.feed.schedule.idle_seconds = 3600
    async with app.run_test(size=(140, 30)) as pilot:
        await polled(pilot)
        batch_list = app.main.query_one(BatchList)
        order = newest_first(many)
        with session.workspace() as ws:
            ws.batches.set_meta(order[0], ws.now(), label="short")
            ws.batches.set_meta(order[2 * PAGE_ROWS + 5], ws.now(), label="a-much-longer-label")
        app.main.feed.load_cache()
        await wait_for(pilot, lambda: batch_list.label_width == len("short"))
        assert 2 not in batch_list.pages
        widths = [batch_list.label_width]
        for _ in range(30):  # 20 rows a press, down past the long label's row
            await pilot.press("pagedown")
            await shown(pilot, batch_list)
            widths.append(batch_list.label_width)
        assert widths == sorted(widths) and widths[-1] == len("a-much-longer-label")
        await wait_for(pilot, lambda: "LABEL" + " " * (len("a-much-longer-label") - 5) + " STATUS" in screen_text(app))
        await pilot.press("g")
        await shown(pilot, batch_list)
        await sort_by(pilot, app, "label")  # the same rows in another order: the page in sight has short labels
        assert batch_list.label_width == len("a-much-longer-label")


def test_the_rows_need_what_the_sql_view_stats_said(store: BatchPages) -> None:  # noqa: F811 (the fixture)
    """The list measures its rows' needs (row_needs) where the view's stats measured them in SQL: the same."""
    for quick in QUICK_FILTERS:
        view = BatchView(quick)
        stats = store.stats(view)
        kept = read_list(store, ListRequest(1, view, height=PAGE_ROWS * 3), NOW_TEXT)
        label, badge = row_needs(b for page in kept.pages.values() for b in page.rows)
        assert (label, badge) == (label_need(stats.label_chars, stats.odd_labels), stats.badge_chars), quick
