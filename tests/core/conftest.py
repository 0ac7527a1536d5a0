"""Core tests: a real cache file in a temp dir (XDG variables), the real SDK against the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from batchdeck.cli import main
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import DEFAULT_WORKSPACE, Emulator, Rates
from batchdeck.emulator.sources import SyntheticSource, SyntheticSpec

SECRET = "sk-ant-core-test-key-5f3a9c1e77d2"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Path:
    """Isolated config/data dirs, and the default profile pointed at the emulator."""
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", emulator.base_url)
    return tmp_path


@pytest.fixture
def ws(home: Path) -> Iterator[Workspace]:
    with Workspace.open() as workspace:
        yield workspace


def seed(emulator: Emulator, n: int, size: int = 1, rates: Rates | None = None) -> list[str]:
    """n batches one simulated second apart, newer than any before (the clock moves past them); ids newest first."""
    start = emulator.clock.now()
    ids = [
        emulator.store.new_batch(
            SyntheticSource(SyntheticSpec(f"s{i}", size)), DEFAULT_WORKSPACE, rates or Rates(), created_at=start + i + 1
        ).id
        for i in range(n)
    ]
    emulator.clock.set_time(start + n + 1)
    return ids[::-1]


def emulator_view(emulator: Emulator) -> dict[str, tuple[str, tuple[int, ...]]]:
    """What the API would list right now: id -> (status, counts)."""
    now = emulator.clock.now()
    return {b.id: (b.status(now), tuple(b.counts(now).values())) for b in emulator.store.all_batches() if not b.deleted}


def cache_view(ws: Workspace) -> dict[str, tuple[str, tuple[int, ...]]]:
    return {b.id: (b.processing_status, tuple(b.counts.as_dict().values())) for b in ws.batches.query()}


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err
