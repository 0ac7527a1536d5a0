"""Snapshots of the main screens at fixed sizes with a frozen clock (layout only; behaviour is in test_app)."""

from __future__ import annotations

import time
from pathlib import Path

from textual.pilot import Pilot

from batchdeck.emulator import Emulator
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.screens.results import ResultsScreen
from batchdeck.tui.widgets.result_list import ResultList
from tests.ui.conftest import make_session, move_to, open_spend, polled, wait_for, with_saved_history


def frozen_app(demo: Emulator, home: Path) -> BatchdeckApp:
    app = BatchdeckApp(make_session(demo, home, frozen=True))
    app.main.feed.schedule.live_seconds = app.main.feed.schedule.idle_seconds = 3600
    return app


def after_first_sync(*keys: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await polled(pilot)
        if keys:
            await pilot.press(*keys)
        await pilot.pause()

    return run_before


def test_main_screen(snap_compare, demo: Emulator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(frozen_app(demo, tmp_path), terminal_size=(110, 34), run_before=after_first_sync())


def test_main_screen_80x24(snap_compare, demo: Emulator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(frozen_app(demo, tmp_path), terminal_size=(80, 24), run_before=after_first_sync())


def test_detail_view(snap_compare, demo: Emulator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(frozen_app(demo, tmp_path), terminal_size=(100, 30), run_before=after_first_sync("enter"))


def test_confirm_dialog(snap_compare, demo: Emulator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(frozen_app(demo, tmp_path), terminal_size=(100, 30), run_before=after_first_sync("c"))


def test_help_screen(snap_compare, demo: Emulator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(
        frozen_app(demo, tmp_path), terminal_size=(100, 34), run_before=after_first_sync("question_mark")
    )


def results_of_a_failed_batch(*keys: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        await polled(pilot)
        move_to(app, lambda b: b.processing_status == "ended" and b.counts.errored and b.counts.total <= 800)  # type: ignore[arg-type]
        await pilot.press("o")
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        await wait_for(pilot, lambda: screen.ready and screen.detail is not None)
        generation = screen.generation
        await pilot.press(*keys)
        await wait_for(
            pilot,
            lambda: (
                screen.query_one(ResultList).current is not None
                and screen.generation > generation
                and screen.query_one(ResultList).generation == screen.generation
            ),
        )
        await pilot.pause()

    return run_before


def test_results_screen(snap_compare, demo: Emulator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(frozen_app(demo, tmp_path), terminal_size=(130, 34), run_before=results_of_a_failed_batch("f"))


def test_results_screen_80x24(snap_compare, demo: Emulator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(frozen_app(demo, tmp_path), terminal_size=(80, 24), run_before=results_of_a_failed_batch("f"))


def test_spend_screen_80x24(snap_compare, demo: Emulator, saved_history: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TZ", "UTC")  # days are local days: one zone, whatever the machine's
    time.tzset()
    with_saved_history(saved_history, tmp_path)

    async def run_before(pilot: Pilot[None]) -> None:
        await open_spend(pilot, pilot.app)

    try:
        assert snap_compare(frozen_app(demo, tmp_path), terminal_size=(80, 24), run_before=run_before)
    finally:
        monkeypatch.undo()
        time.tzset()
