"""Shared fixtures: an in-process emulator on an ephemeral port and real SDK clients for it.

Every test gets its tier's marker from its folder (see `TIERS`): `pytest -m unit` runs the pure tests,
`-m "not slow"` leaves out the few heavy ones (marked `slow` where they stand).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import anthropic
import pytest

from batchdeck.emulator import Emulator, FaultConfig

# A fixed virtual start time, so timestamps in assertions are predictable.
START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC).timestamp()
API_KEY = "sk-ant-test-0123456789"

TESTS = Path(__file__).parent
# The marker of each folder's tests; tests directly in tests/ run the CLI or the emulator as processes.
TIERS = {"unit": "unit", "core": "integration", "emulator": "integration", "ui": "tui", "reliability": "reliability"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier; the slow ones go first, so parallel workers never wait on one at the end."""
    for item in items:
        folder = item.path.relative_to(TESTS).parts[0] if item.path.is_relative_to(TESTS) else ""
        item.add_marker(TIERS.get(folder, "integration"))
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: file order otherwise


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A frozen-clock emulator (speed 0): time moves only through `advance()`."""
    with Emulator(speed=0, start_time=START, faults=FaultConfig(retry_after=0.01)) as emu:
        yield emu


@pytest.fixture
def client(emulator: Emulator) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=emulator.base_url, api_key=API_KEY, max_retries=2) as c:
        yield c


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def request(custom_id: str, text: str = "Classify: my invoice is wrong", **params: object) -> dict:
    """One valid batch request line in the API's own shape."""
    body: dict = {"model": "claude-haiku-4-5", "max_tokens": 256, "messages": [{"role": "user", "content": text}]}
    body.update(params)
    return {"custom_id": custom_id, "params": body}
