"""Waiting on a headless app in the screen benchmarks: poll a condition every millisecond, then let it paint."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.pilot import Pilot

from batchdeck.tui.app import BatchdeckApp


async def until(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not answer")
        await asyncio.sleep(0.001)
    await pilot.pause()  # and painted


async def details_screen_ms(pilot: Pilot[None], app: BatchdeckApp) -> float:
    """The screen benchmarks' baseline: `enter` on the list until the batch details are up (Textual pushing a
    plain screen), in milliseconds; then back to the list."""
    started = time.perf_counter()
    await pilot.press("enter")
    await until(pilot, lambda: app.screen is not app.main)
    elapsed_ms = (time.perf_counter() - started) * 1000
    await pilot.press("escape")
    await until(pilot, lambda: app.screen is app.main)
    return elapsed_ms
