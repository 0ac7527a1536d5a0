"""A new user's pass over issue 11: what the review found still off, each fixed and pinned here.

Every test drives the real app through Pilot against the emulator and asserts on what is drawn.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets._toast import Toast

from batchdeck.commands.demo_cmd import clock_note
from batchdeck.emulator import Emulator
from batchdeck.emulator.config import DEFAULT_WORKSPACE
from batchdeck.emulator.outcomes import Rates
from batchdeck.emulator.sources import SyntheticSource, SyntheticSpec
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.screens.confirm import ConfirmScreen
from batchdeck.tui.screens.detail import DetailScreen
from batchdeck.tui.screens.help import HelpScreen
from batchdeck.tui.screens.results import ResultsScreen
from batchdeck.tui.widgets.batch_list import BatchList
from batchdeck.tui.widgets.live_pane import LivePane
from tests.conftest import START
from tests.ui.conftest import make_session, move_to, polled, rows, screen_text, wait_for
from tests.ui.test_visible_state import drawn, pane_drawn, status_drawn, words

pytestmark = pytest.mark.anyio


def ended_batches(emu: Emulator, how_many: int) -> None:
    """`how_many` small batches created two days ago, long ended by now."""
    for n in range(how_many):
        emu.store.new_batch(
            SyntheticSource(SyntheticSpec(f"old-{n}", 2)), DEFAULT_WORKSPACE, Rates(), created_at=START - 2 * 86400
        )


async def test_the_status_line_and_live_panes_count_with_thousands_separators(tmp_path: Path) -> None:
    with Emulator(speed=0, start_time=START, scenario="empty") as emu:
        ended_batches(emu, 1_001)
        emu.store.new_batch(SyntheticSource(SyntheticSpec("now", 2)), DEFAULT_WORKSPACE, Rates())
        app = BatchdeckApp(make_session(emu, tmp_path))
        async with app.run_test(size=(120, 30)) as pilot:
            await polled(pilot)
            assert app.main.query_one(BatchList).total == 1_002  # counted in SQL; the list holds the pages in sight
            assert "1 live · 1,001 ended · 0 failed" in status_drawn(app)  # before: "1001 ended"
            pane = app.main.query_one(LivePane)
            await wait_for(pilot, lambda: "past)" in pane_drawn(pane))
            assert "(1,001 past)" in pane_drawn(pane), pane_drawn(pane)  # before: "(1001 past)"


async def test_a_canceling_batch_says_when_the_cancel_was_asked_not_how_long_batches_usually_take(
    demo: Emulator, tmp_path: Path
) -> None:
    """Its end depends on the requests in flight, not on the usual turnaround: no "usually", no "overdue"."""
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(120, 35)) as pilot:
        await polled(pilot)
        await wait_for(
            pilot, lambda: any(p.shown_batch.processing_status == "canceling" for p in app.main.query(LivePane))
        )
        pane = next(p for p in app.main.query(LivePane) if p.shown_batch.processing_status == "canceling")
        await wait_for(pilot, lambda: "expires" in pane_drawn(pane))  # laid out and drawn
        text = pane_drawn(pane)
        assert "canceling" in text and "cancel asked" in text, text
        assert "usually" not in text and "overdue" not in text, text
        assert not pane.has_class("-overdue")


async def test_a_batch_that_ends_while_the_cancel_dialog_is_open_is_not_canceled(
    demo: Emulator, tmp_path: Path
) -> None:
    """The dialog said "in progress"; a yes after a poll saw it end says why and sends nothing
    (before: the cancel was sent and the toast read "Canceled" for a batch that had ended by itself)."""
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(120, 35)) as pilot:
        await polled(pilot)
        move_to(app, lambda b: b.processing_status == "in_progress" and b.counts.total == 40)  # ends within minutes
        target = app.main.query_one(BatchList).current
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmScreen) and "in progress" in str(app.screen.body)
        demo.advance(3600)
        before = app.main.feed.polls_done
        app.main.feed.poll_now()  # a poll lands while the dialog is open
        await wait_for(pilot, lambda: app.main.feed.polls_done > before and not app.main.feed.polling)
        assert next(b for b in rows(app) if b.id == target.id).processing_status == "ended"
        calls = demo.stats.calls("cancel")
        await pilot.press("y")
        flash = app.main.query_one("#flash")
        await wait_for(pilot, lambda: "cannot cancel" in drawn(flash)[0])
        assert f"cannot cancel {target.id}: it has already ended" in drawn(flash)[0]
        assert demo.stats.calls("cancel") == calls
        assert demo.store.get(target.id, demo.store.all_batches()[0].workspace).cancel_initiated_at is None


async def test_the_details_footer_keeps_offering_only_what_the_batch_allows_while_the_keys_list_is_open(
    demo: Emulator, tmp_path: Path
) -> None:
    """Before: with `?` open, the footer under it grew `c Cancel` and `R Resubmit` for an ended batch."""
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(120, 35)) as pilot:
        await polled(pilot)
        move_to(app, lambda b: b.processing_status == "ended" and not b.counts.failed)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen))
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        assert "d Delete" in footer and "c Cancel" not in footer, footer
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        assert screen_text(app).splitlines()[-1] == footer


async def test_the_details_of_a_canceling_batch_do_not_compare_it_with_the_usual_turnaround(
    demo: Emulator, tmp_path: Path
) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(120, 35)) as pilot:
        await polled(pilot)
        move_to(app, lambda b: b.processing_status == "canceling")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen))
        await pilot.pause()
        row = next(line for line in screen_text(app).splitlines() if line.split()[:1] == ["turnaround"])
        assert "not compared: a canceling batch ends once the requests already running finish" in row, row
        assert "usually" not in row


async def test_at_80_columns_the_demo_status_line_keeps_the_whole_view(demo: Emulator, tmp_path: Path) -> None:
    """The filter and the sort are named at all times: before, the demo's clock note and the name pushed
    `sort created ↓` (and with a regex, the whole sort) off an 80-column status line."""
    session = make_session(demo, tmp_path)
    session.clock_note = clock_note(5.0)
    app = BatchdeckApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await polled(pilot)
        await pilot.press("f", "f", "p", "slash", *"nightly", "enter")
        shown = len(rows(app))
        view = f"showing {shown}: failed /nightly · sort created ↓"
        await wait_for(pilot, lambda: view in status_drawn(app))
        line = status_drawn(app)
        assert line.startswith(" demo · ") and " paused " in line, line
        await pilot.press("p")
        await pilot.resize_terminal(140, 30)
        await wait_for(pilot, lambda: status_drawn(app).startswith(" batchdeck · demo · "))
        assert view in status_drawn(app) and "demo clock runs 5× fast" in status_drawn(app)


async def test_results_keys_say_why_when_there_are_no_results_to_act_on(demo: Emulator, tmp_path: Path) -> None:
    """An archived batch without a local copy: before, `e`, `E`, `f`, `t`, `/`, `y` and `space` did
    nothing at all while the footer offered them."""
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(120, 35), notifications=True) as pilot:
        await polled(pilot)
        move_to(app, lambda b: b.archived_at is not None and not b.results_saved)
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
        for key, what in (
            ("e", "export"),
            ("E", "export"),
            ("f", "filter by outcome"),
            ("t", "filter by error type"),
            ("slash", "search"),
            ("y", "copy a custom_id"),
            ("space", "mark"),
        ):
            app.clear_notifications()
            await wait_for(pilot, lambda: not app.screen.query(Toast))
            await pilot.press(key)
            line = f"cannot {what}: no results here (archived on"
            await wait_for(pilot, lambda line=line: line in words(screen_text(app).replace("▌", " ")))  # a toast's edge
        assert isinstance(app.screen, ResultsScreen)


async def test_exporting_one_marked_result_says_one_result_and_the_flash_line_keeps_the_path(
    demo: Emulator, tmp_path: Path
) -> None:
    session = make_session(demo, tmp_path)
    session.settings = session.settings.with_values({"results.export_dir": str(tmp_path / "out")})
    app = BatchdeckApp(session)
    async with app.run_test(size=(120, 35)) as pilot:
        await polled(pilot)
        move_to(app, lambda b: b.processing_status == "ended" and b.counts.total <= 100 and not b.archived_at)
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen) and app.screen.ready)
        await pilot.press("space", "e")
        flash = app.main.query_one("#flash")
        await wait_for(pilot, lambda: "Exported" in drawn(flash)[0])
        assert "Exported: 1 result to " in drawn(flash)[0], drawn(flash)[0]  # before: "1 results"
        shown = drawn(flash)[0].strip()
        assert shown.startswith("Exported: 1 result to /") and len(shown) > len("Exported: 1 result to /"), shown


async def test_the_results_keys_list_has_every_key_the_readme_names(demo: Emulator, tmp_path: Path) -> None:
    """Before: `Y` (copy the result's text) was missing, taken for Textual's own copy binding."""
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(120, 45)) as pilot:
        await polled(pilot)
        move_to(app, lambda b: b.processing_status == "ended" and b.counts.total <= 100 and not b.archived_at)
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen) and app.screen.ready)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        keys = {
            " ".join(line.split("█")[1].split()[:2]) for line in screen_text(app).splitlines() if line.count("█") >= 2
        }
        for key in (
            "/ Search",
            "f Outcome",
            "t Error",
            "tab Pane",
            "z Thinking",
            "space Mark",
            "U Clear",
            "y Copy",
            "Y Copy",
            "e Export",
            "E Export…",
            "esc Clear/back",
            "R Resubmit",
            "q Back",
        ):
            assert key in keys, (key, keys)
