"""TUI tests: the real app, driven by Pilot, against the emulator's demo workspace on a virtual clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot

from batchdeck.commands.demo_cmd import demo_session
from batchdeck.core.session import Session
from batchdeck.emulator import Emulator, FaultConfig
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.widgets.batch_list import BatchList
from tests.conftest import START


@pytest.fixture
def demo() -> Iterator[Emulator]:
    with Emulator(speed=0, start_time=START, scenario="demo", faults=FaultConfig(retry_after=0.01)) as emu:
        yield emu


def make_session(emu: Emulator, home: Path, frozen: bool = False, auto_download: bool = False) -> Session:
    """The demo profile; the app's clock follows the emulator's (or stays at START for snapshots)."""
    start = datetime.fromtimestamp(START, tz=UTC)
    session = demo_session(emu.base_url, home, clock=(lambda: start) if frozen else emu.clock.now_dt)
    session.settings = session.settings.with_values(
        {"sync.max_retries": 1, "results.auto_download": auto_download}
    )  # the demo's 100k batch is 131 MB
    return session


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
