"""TUI tests: the real app, driven by Pilot, against the emulator's demo workspace on a virtual clock."""

from __future__ import annotations

import asyncio
import functools
import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from batchdeck.commands.demo_cmd import demo_session
from batchdeck.commands.demo_history import label_history, save_results
from batchdeck.core.session import Session
from batchdeck.emulator import Emulator, FaultConfig
from batchdeck.emulator.batch import Batch
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.screens.results import ResultsScreen
from batchdeck.tui.screens.spend import SpendScreen
from batchdeck.tui.widgets.batch_list import BatchList
from batchdeck.tui.widgets.result_list import ResultList
from tests.conftest import START


def _definition(batch: Batch) -> str:
    """Everything a batch's final counts follow from: its stored form without the counts and the deleted flag."""
    data = batch.to_json()
    del data["final_counts"], data["deleted"]
    return json.dumps(data, sort_keys=True)


@functools.cache
def _demo_final_counts() -> dict[str, dict[str, int]]:
    """The final counts of the demo's ended batches, counted once per process by a demo emulator of its own.

    Counting them walks the fate of all 250,000 rows (4 s on an idle machine, 15 s on a busy one): every
    test that starts a demo emulator paid it again on its first list call."""
    reference = Emulator(speed=0, start_time=START, scenario="demo")
    now = reference.clock.now()
    counts: dict[str, dict[str, int]] = {}
    for batch in reference.store.all_batches():
        batch.counts(now)
        if batch.final_counts is not None:
            counts[_definition(batch)] = batch.final_counts
    return counts


@contextmanager
def demo_emulator() -> Iterator[Emulator]:
    """A running demo emulator on the frozen clock, its ended batches' counts already known.

    A batch gets the counts only when its whole definition (source, seed, rates, times) is the one
    counted, so the emulator answers exactly as it would have after counting them itself."""
    emu = Emulator(speed=0, start_time=START, scenario="demo", faults=FaultConfig(retry_after=0.01))
    known = _demo_final_counts()
    for batch in emu.store.all_batches():
        counts = known.get(_definition(batch))
        if counts is not None:
            batch.final_counts = dict(counts)
    with emu:
        yield emu


@pytest.fixture
def demo() -> Iterator[Emulator]:
    with demo_emulator() as emu:
        yield emu


def make_session(emu: Emulator, home: Path, frozen: bool = False, auto_download: bool = False) -> Session:
    """The demo profile; the app's clock follows the emulator's (or stays at START for snapshots)."""
    start = datetime.fromtimestamp(START, tz=UTC)
    session = demo_session(emu.base_url, home, clock=(lambda: start) if frozen else emu.clock.now_dt)
    session.settings = session.settings.with_values(
        {"sync.max_retries": 1, "results.auto_download": auto_download}
    )  # the demo's 100k batch is 131 MB
    return session


@pytest.fixture(scope="session")
def saved_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo cache with the history labelled and its results saved (as the demo's background downloads leave
    it), made once per process: `with_saved_history` copies it into a test's home."""
    home = tmp_path_factory.mktemp("saved-history")
    with demo_emulator() as emu:
        session = make_session(emu, home, frozen=True)
        with session.workspace() as ws:
            label_history(ws, emu)
            save_results(ws)
        session.close()
    return home


def with_saved_history(saved_history: Path, home: Path) -> None:
    """The demo's labelled history, its results saved, in `home` (for a demo emulator of the test's own)."""
    shutil.copytree(saved_history, home, dirs_exist_ok=True)


@pytest.fixture
def app(demo: Emulator, tmp_path: Path) -> BatchdeckApp:
    return BatchdeckApp(make_session(demo, tmp_path))


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Let the app run until `condition` holds (workers finish on their own time; never a fixed sleep)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            notes = [n.message for n in getattr(pilot.app, "_notifications", [])]
            raise AssertionError(f"timed out waiting for the app; notifications: {notes}")
        await pilot.pause(0.02)


async def polled(pilot: Pilot[None], times: int = 1) -> None:
    """Wait until `times` polls have finished since the app started (the first sync, usually)."""
    app = pilot.app
    assert isinstance(app, BatchdeckApp)
    await wait_for(pilot, lambda: app.main.feed.polls_done >= times)


async def press_and_poll(pilot: Pilot[None], *keys: str) -> None:
    """Press keys that lead to a poll (r, or a confirmed action) and wait until it has finished."""
    app = pilot.app
    assert isinstance(app, BatchdeckApp)
    before = app.main.feed.polls_done
    await pilot.press(*keys)
    await wait_for(pilot, lambda: app.main.feed.polls_done > before and not app.main.feed.polling)


def rows(app: BatchdeckApp) -> list:
    return list(app.main.query_one(BatchList).rows)


def move_to(app: BatchdeckApp, predicate: Callable[[object], bool]) -> None:
    """Put the list cursor on the first row matching `predicate`."""
    batch_list = app.main.query_one(BatchList)
    index = next(i for i, b in enumerate(batch_list.rows) if predicate(b))
    batch_list._go(index)


async def open_results(pilot: Pilot[None], app: BatchdeckApp, predicate: Callable[[Any], bool]) -> ResultsScreen:
    """After the first poll, `o` on the first batch matching `predicate`: its results screen, once a row is current."""
    await polled(pilot)
    move_to(app, predicate)
    await pilot.press("o")
    screen = app.screen
    assert isinstance(screen, ResultsScreen)
    await wait_for(pilot, lambda: screen.ready and screen.query_one(ResultList).current is not None)
    await pilot.pause()
    return screen


async def open_spend(pilot: Pilot[None], app: BatchdeckApp) -> SpendScreen:
    """`$` from the main screen, once polled; returns when the Spend screen has drawn its data."""
    await polled(pilot)
    await pilot.press("dollar_sign")
    screen = app.screen
    assert isinstance(screen, SpendScreen)
    await wait_for(pilot, lambda: screen.ready)
    await pilot.pause()
    return screen


def screen_lines(app: BatchdeckApp) -> list[str]:
    """Every line of the current screen, toasts and dialogs included, as the compositor sends it to the terminal."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def screen_text(app: BatchdeckApp) -> str:
    """The whole current screen, toasts and dialogs included."""
    return "\n".join(screen_lines(app))
