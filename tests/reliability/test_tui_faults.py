"""The TUI under the suite's 20% fault mix: a scripted session never crashes, shows the errors, recovers."""

from __future__ import annotations

from pathlib import Path

import pytest

from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.screens.detail import DetailScreen
from batchdeck.tui.screens.results import ResultsScreen
from batchdeck.tui.widgets.result_list import ResultList
from batchdeck.tui.widgets.status_line import StatusLine
from tests.reliability.conftest import faults
from tests.ui.conftest import demo_emulator, make_session, move_to, press_and_poll, rows, wait_for

pytestmark = pytest.mark.anyio


def status(app: BatchdeckApp) -> str:
    return str(app.main.query_one(StatusLine).render())


@pytest.mark.slow
async def test_a_scripted_session_under_faults(tmp_path: Path) -> None:
    with demo_emulator() as emu:
        emu.faults.configure(faults(seed=11))
        app = BatchdeckApp(make_session(emu, tmp_path))
        app.main.feed.schedule.live_seconds = 0.05  # polls (and their backoff) come quickly
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.main.feed.polls_done >= 1 and len(rows(app)) > 0, timeout=60)
            for _ in range(2):  # refresh, filter, details, results, back: each answered or refused cleanly
                await press_and_poll(pilot, "r")
                await pilot.press("slash", *"ended", "enter")
                move_to(app, lambda b: b.processing_status == "ended" and not b.archived_at and b.counts.total <= 500)
                await pilot.press("enter")
                assert isinstance(app.screen, DetailScreen)
                await pilot.press("o")
                screen = app.screen
                assert isinstance(screen, ResultsScreen)
                await wait_for(
                    pilot,
                    lambda screen=screen: (
                        (screen.ready and screen.query_one(ResultList).current is not None)
                        or "Could not download" in str(screen.query_one("#results-state").render())
                    ),
                    timeout=60,
                )
                await pilot.press("escape", "escape", "escape")
                assert app.screen is app.main
            # Every retry fails for a while: the status line says so.
            emu.faults.clear()
            emu.faults.queue("500", count=4)
            await wait_for(pilot, lambda: "error" in status(app), timeout=60)
            assert any(n.title == "Sync failed" for n in app._notifications)
            # The API answers again: the app recovers by itself (backoff, no key pressed).
            await wait_for(
                pilot,
                lambda: (
                    app.main.feed.last_report is not None
                    and app.main.feed.last_report.ok
                    and "error" not in status(app)
                ),
                timeout=60,
            )
            assert len(rows(app)) == len(emu.store.all_batches())
