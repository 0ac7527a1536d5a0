"""Cursor truth: after every key, the row drawn highlighted is the row `enter`, `c` and `y` act on.

Seeded random key sequences drive the real app on both line-rendered lists (the batch list of the
main screen and the results list of a batch with thousands of rows): navigation, filter typing,
quick filter, sort, marks, resizes, polls landing mid-sequence, keys one at a time (each waited
for, like a person) and bursts sent without waiting. After each step the widget's visible lines,
read through its line cache as the compositor paints them, must show exactly one highlighted
line, on the cursor row, inside the window, naming the row the actions use.
A failure names the seed and the keys so far, so it replays exactly. CI runs one seed per list (a
few seconds); `CURSOR_TRUTH_SEEDS=1,2,3` runs others.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from textual import events
from textual.geometry import Region
from textual.pilot import Pilot

from batchdeck.emulator import Emulator
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.screens.detail import DetailScreen
from batchdeck.tui.screens.results import ResultsScreen
from batchdeck.tui.widgets.batch_list import BatchList
from batchdeck.tui.widgets.columns import short_id
from batchdeck.tui.widgets.cursor_view import CursorView
from batchdeck.tui.widgets.result_list import ResultList
from tests.ui.conftest import make_session, open_results, polled, wait_for

pytestmark = pytest.mark.anyio

# small steps weigh most: a move that does not scroll, after a jump that did, is where highlights went stale
MOVES = {"j": 3, "k": 3, "up": 3, "down": 3, "pageup": 2, "pagedown": 2, "g": 1, "G": 2, "home": 1, "end": 2}
SIZES = ((120, 35), (80, 24), (100, 30), (140, 40), (120, 20))
TYPED = "0123456789abcdefnrt-"  # filter text: ids, statuses and custom_ids contain these
MAIN_STEPS_RUN, RESULT_STEPS_RUN = 45, 35  # about 200 keys with the bursts
CURSOR_CLASS = {BatchList: "batch-list--cursor", ResultList: "result-list--cursor"}


def seeds(default: int) -> list[int]:
    chosen = os.environ.get("CURSOR_TRUTH_SEEDS")
    return [int(seed) for seed in chosen.split(",")] if chosen else [default]


class Trail:
    """The seed and every step taken, for a failure message that replays the run."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.steps: list[str] = []

    def __str__(self) -> str:
        return f"seed {self.seed}, keys: {' '.join(self.steps)}"


def drawn(widget: CursorView) -> list[tuple[str, bool]]:
    """The visible lines as they are painted (through the widget's line cache): text, and whether the
    line carries the cursor colour."""
    region = widget.scrollable_content_region
    cursor = widget.get_component_rich_style(CURSOR_CLASS[type(widget)]).bgcolor
    lines = []
    for strip in widget.render_lines(Region(0, 0, region.width, region.height)):
        first = next(iter(strip), None)  # the mark column: it carries the row's overlay
        style = first.style if first is not None else None
        lines.append((strip.text, style is not None and style.bgcolor == cursor))
    return lines


def lit_line(widget: CursorView, count: int, trail: Trail) -> str | None:
    """Check the highlight is on the cursor row, in the window; return that line's text."""
    lines = drawn(widget)
    lit = [y for y, (_, on) in enumerate(lines) if on]
    if not widget.has_focus or not count:
        assert lit == [], f"a highlight with no cursor to show ({trail})"
        return None
    row = widget.cursor - widget.scroll_offset.y
    assert 0 <= row < len(lines), f"cursor {widget.cursor} outside the window at {widget.scroll_offset.y} ({trail})"
    assert lit == [row], f"highlighted lines {lit}, cursor on line {row} ({trail})"
    return lines[row][0]


def check_batch_list(app: BatchdeckApp, trail: Trail) -> None:
    batch_list = app.main.query_one(BatchList)
    rows, top = batch_list.rows, batch_list.scroll_offset.y
    for y, (text, _) in enumerate(drawn(batch_list)):  # every line shows the row at its place, and its mark
        if top + y >= len(rows):
            assert not text.strip(), f"line {y} below the last row shows {text!r} ({trail})"
            continue
        batch = rows[top + y]
        assert text[2:13] == short_id(batch.id), f"line {y} shows {text[2:13]!r} ({trail})"
        assert (text[0] == "●") == (batch.id in batch_list.marked), f"line {y}: mark {text[0]!r} ({trail})"
    text = lit_line(batch_list, len(rows), trail)
    if text is not None:
        current = batch_list.current
        assert current is not None and text[2:13] == short_id(current.id), (
            f"highlighted {text[2:13]!r}, actions use {current and current.id} ({trail})"
        )


def shown_id(text: str) -> str:
    """The custom_id cell of a drawn results line (after the mark column), without a cut-off mark."""
    return text[2:].split(" ", 1)[0].rstrip("…")


def check_result_list(screen: ResultsScreen, trail: Trail) -> None:
    result_list = screen.query_one(ResultList)
    top = result_list.scroll_offset.y
    for y, (text, _) in enumerate(drawn(result_list)):
        row = result_list.row_at(top + y)
        if top + y >= result_list.total:
            assert not text.strip(), f"line {y} below the last row shows {text!r} ({trail})"
        elif row is None:  # its page is on its way
            assert text.strip() == "…", f"line {y} shows {text!r} for a row not loaded ({trail})"
        else:
            assert shown_id(text) and row.custom_id.startswith(shown_id(text)), f"line {y} shows {text!r} ({trail})"
            assert (text[0] == "●") == (row.custom_id in result_list.marked), f"line {y}: mark {text[0]!r} ({trail})"
    text = lit_line(result_list, result_list.total, trail)
    if text is not None:
        current = result_list.current
        if current is None:
            assert text.strip() == "…", f"highlighted {text!r}, the cursor row is not loaded ({trail})"
        else:
            assert shown_id(text) and current.custom_id.startswith(shown_id(text)), (
                f"highlighted {text!r}, actions use {current.custom_id!r} ({trail})"
            )


async def burst(pilot: Pilot[None], keys: Sequence[str]) -> None:
    """Keys sent as a fast typist or a held key would: all queued before the app handles the first."""
    for key in keys:
        name = "minus" if key == "-" else key
        pilot.app.post_message(events.Key(name, key if len(key) == 1 else None))
    await pilot.pause()
    await pilot.pause()


async def wheel(pilot: Pilot[None], widget: CursorView, down: bool, notches: int, trail: Trail) -> None:
    """Mouse-wheel notches over the list: the window moves, and the cursor must come along."""
    trail.steps.append(f"wheel{'+' if down else '-'}{notches}")
    kind = events.MouseScrollDown if down else events.MouseScrollUp
    for _ in range(notches):
        widget.post_message(kind(widget, 3, 3, 0, 1 if down else -1, 0, False, False, False))
    await pilot.pause()
    await pilot.pause()


def pick(rng: random.Random, weighted: dict[str, int]) -> str:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


# -- the batch list -------------------------------------------------------------------------------
MAIN_STEPS = {
    "move": 45,
    "burst": 25,
    "mark": 6,
    "unmark_all": 2,
    "sort": 3,
    "reverse": 2,
    "quick": 2,
    "filter": 3,
    "resize": 3,
    "poll": 4,
    "enter": 3,
    "copy": 3,
    "wheel": 4,
}


async def main_step(pilot: Pilot[None], app: BatchdeckApp, demo: Emulator, rng: random.Random, trail: Trail) -> None:
    step = pick(rng, MAIN_STEPS)
    if step == "move":
        key = pick(rng, MOVES)
        trail.steps.append(key)
        await pilot.press(key)
    elif step == "burst":
        keys = [pick(rng, MOVES) for _ in range(rng.randint(2, 8))]
        trail.steps.append("[" + " ".join(keys) + "]")
        await burst(pilot, keys)
    elif step in ("mark", "unmark_all", "sort", "reverse", "quick"):
        key = {"mark": "space", "unmark_all": "U", "sort": "s", "reverse": "S", "quick": "f"}[step]
        trail.steps.append(key)
        await pilot.press(key)
    elif step == "filter":
        await type_filter(pilot, rng, trail, lambda: check_batch_list(app, trail))
    elif step == "resize":
        size = rng.choice(SIZES)
        trail.steps.append(f"resize{size}")
        await pilot.resize_terminal(*size)
    elif step == "poll":  # batches end on the emulator's clock; the poll lands during the next keys
        demo.clock.advance(rng.choice((60.0, 240.0, 900.0)))
        trail.steps.append("poll")
        app.main.feed.poll_now()
    elif step == "wheel":
        await wheel(pilot, app.main.query_one(BatchList), rng.random() < 0.5, rng.randint(1, 6), trail)
    elif step == "enter":
        await open_highlighted(pilot, app, trail)
    else:
        await copy_highlighted(pilot, app, trail)


async def type_filter(pilot: Pilot[None], rng: random.Random, trail: Trail, check: Callable[[], None]) -> None:
    """`/`, a few characters (some in a burst), then `enter` (keep) or `esc` (clear)."""
    trail.steps.append("/")
    await pilot.press("slash")
    for _ in range(rng.randint(1, 3)):
        chars = [rng.choice(TYPED) for _ in range(rng.randint(1, 3))]
        trail.steps.append("".join(chars))
        await burst(pilot, chars)
        check()
    if rng.random() < 0.3:
        trail.steps.append("backspace")
        await pilot.press("backspace")
    key = "enter" if rng.random() < 0.25 else "escape"
    trail.steps.append(key)
    await pilot.press(key)


async def quiet(pilot: Pilot[None], app: BatchdeckApp) -> None:
    """No poll in flight: the row under the cursor cannot change between reading it and acting on it."""
    await wait_for(pilot, lambda: not app.main.feed.polling)
    await pilot.pause()


async def open_highlighted(pilot: Pilot[None], app: BatchdeckApp, trail: Trail) -> None:
    """`enter` opens the details of the batch drawn highlighted."""
    await quiet(pilot, app)
    batch_list = app.main.query_one(BatchList)
    if batch_list.current is None or batch_list.marked:
        return
    text = lit_line(batch_list, len(batch_list.rows), trail)
    trail.steps.append("enter")
    await pilot.press("enter")
    screen = app.screen
    assert isinstance(screen, DetailScreen), f"enter did not open details ({trail})"
    assert text is not None and text[2:13] == short_id(screen.shown_batch.id), (
        f"highlighted {text and text[2:13]!r}, enter opened {screen.shown_batch.id} ({trail})"
    )
    trail.steps.append("escape")
    await pilot.press("escape")


async def copy_highlighted(pilot: Pilot[None], app: BatchdeckApp, trail: Trail) -> None:
    """`y` with no marks copies the id of the batch drawn highlighted."""
    await quiet(pilot, app)
    batch_list = app.main.query_one(BatchList)
    if batch_list.current is None or batch_list.marked:
        return
    text = lit_line(batch_list, len(batch_list.rows), trail)
    trail.steps.append("y")
    await pilot.press("y")
    assert text is not None and text[2:13] == short_id(app.clipboard), (
        f"highlighted {text and text[2:13]!r}, y copied {app.clipboard} ({trail})"
    )


@pytest.mark.parametrize("seed", seeds(11))
async def test_batch_list_highlight_is_the_acted_on_row(demo: Emulator, tmp_path: Path, seed: int) -> None:
    rng, trail = random.Random(seed), Trail(seed)
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(120, 35)) as pilot:
        await polled(pilot)
        assert len(app.main.query_one(BatchList).rows) > 35  # more rows than the window holds
        for _ in range(MAIN_STEPS_RUN):
            await main_step(pilot, app, demo, rng, trail)
            check_batch_list(app, trail)


# -- the results list -----------------------------------------------------------------------------
RESULT_STEPS = {
    "move": 45,
    "burst": 25,
    "mark": 6,
    "unmark_all": 2,
    "outcome": 2,
    "error": 2,
    "search": 3,
    "resize": 3,
    "poll": 3,
    "copy": 4,
    "wheel": 4,
}


def many_results(batch: object) -> bool:
    """An ended batch with several 256-row pages of results that can still be downloaded."""
    return (
        batch.processing_status == "ended"
        and 1_000 <= batch.counts.total <= 3_000  # type: ignore[attr-defined]
        and not batch.archived_at
        and not batch.deleted_at
    )  # type: ignore[attr-defined]


async def result_step(
    pilot: Pilot[None], app: BatchdeckApp, screen: ResultsScreen, rng: random.Random, trail: Trail
) -> None:
    step = pick(rng, RESULT_STEPS)
    if step == "move":
        key = pick(rng, MOVES)
        trail.steps.append(key)
        await pilot.press(key)
    elif step == "burst":
        keys = [pick(rng, MOVES) for _ in range(rng.randint(2, 8))]
        trail.steps.append("[" + " ".join(keys) + "]")
        await burst(pilot, keys)
    elif step in ("mark", "unmark_all", "outcome", "error"):
        key = {"mark": "space", "unmark_all": "U", "outcome": "f", "error": "t"}[step]
        trail.steps.append(key)
        await pilot.press(key)
    elif step == "search":
        await type_filter(pilot, rng, trail, lambda: check_result_list(screen, trail))
    elif step == "resize":
        size = rng.choice(SIZES)
        trail.steps.append(f"resize{size}")
        await pilot.resize_terminal(*size)
    elif step == "poll":
        trail.steps.append("poll")
        app.main.feed.poll_now()
    elif step == "wheel":
        await wheel(pilot, screen.query_one(ResultList), rng.random() < 0.5, rng.randint(1, 6), trail)
    else:
        await copy_result(pilot, screen, trail)


async def settled(pilot: Pilot[None], screen: ResultsScreen) -> None:
    """The newest query has landed and the cursor's page is loaded."""
    result_list = screen.query_one(ResultList)
    await wait_for(
        pilot,
        lambda: (
            result_list.generation == screen.generation and (result_list.total == 0 or result_list.current is not None)
        ),
    )


async def copy_result(pilot: Pilot[None], screen: ResultsScreen, trail: Trail) -> None:
    """`y` copies the custom_id drawn highlighted, and the detail pane shows that row."""
    await settled(pilot, screen)
    result_list = screen.query_one(ResultList)
    if result_list.current is None or result_list.marked:
        return
    text = lit_line(result_list, result_list.total, trail)
    assert text is not None
    await wait_for(
        pilot, lambda: screen.detail is not None and screen.detail.custom_id == result_list.current.custom_id
    )
    trail.steps.append("y")
    await pilot.press("y")
    assert shown_id(text) and pilot.app.clipboard.startswith(shown_id(text)), (
        f"highlighted {text!r}, y copied {pilot.app.clipboard!r} ({trail})"
    )


@pytest.mark.parametrize("seed", seeds(7))
async def test_results_list_highlight_is_the_acted_on_row(demo: Emulator, tmp_path: Path, seed: int) -> None:
    rng, trail = random.Random(seed), Trail(seed)
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_results(pilot, app, many_results)
        assert screen.total > 1_000
        for _ in range(RESULT_STEPS_RUN):
            await result_step(pilot, app, screen, rng, trail)
            check_result_list(screen, trail)


async def test_wheel_and_resize_keep_the_cursor_on_screen(demo: Emulator, tmp_path: Path) -> None:
    """The mouse wheel moves the window away from the cursor: the cursor comes along (`y` copies a row on
    screen). A shorter terminal would leave the cursor below the window: the window follows it."""
    trail = Trail(0)
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(120, 35)) as pilot:
        await polled(pilot)
        batch_list = app.main.query_one(BatchList)
        # The rows arrive with the poll; the window can scroll once a layout has sized it (a busy machine is slower).
        await wait_for(pilot, lambda: batch_list.max_scroll_y > 0)
        await wheel(pilot, batch_list, True, 4, trail)
        await wait_for(pilot, lambda: batch_list.scroll_offset.y > 0)
        assert batch_list.cursor == batch_list.scroll_offset.y, str(trail)
        check_batch_list(app, trail)
        await copy_highlighted(pilot, app, trail)
        height = batch_list.scrollable_content_region.height
        await pilot.press("g", *["j"] * (height - 1))  # the cursor on the window's last line
        trail.steps.append(f"g j×{height - 1} resize(120, 20)")
        await pilot.resize_terminal(120, 20)
        assert batch_list.scrollable_content_region.height < height
        check_batch_list(app, trail)
