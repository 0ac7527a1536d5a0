"""Waiting on a headless app in the screen benchmarks: poll a condition every millisecond, then let it paint."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.pilot import Pilot


async def until(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not answer")
        await asyncio.sleep(0.001)
    await pilot.pause()  # and painted
