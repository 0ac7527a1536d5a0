"""Start-up rules: the CLI's scripted paths never load Textual or rich, and no command loads the SDK.

The static layer rules (core imports no textual, rich or front end; the emulator imports nothing of
batchdeck; tui imports neither commands nor cli) are import-linter contracts in pyproject.toml, checked
by `make imports`, imports inside functions included. What a contract cannot see is what a command
actually loads when it runs, so these tests run the CLI in a fresh interpreter and read what it imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from batchdeck.cli import main
from batchdeck.emulator import DEFAULT_WORKSPACE, Emulator, Rates
from batchdeck.emulator.sources import SyntheticSource, SyntheticSpec
from tests.conftest import API_KEY, request

PROBE = """\
import sys
from batchdeck.cli import main
try:
    main(["--help"])
except SystemExit:
    pass
print("list exit", main(["list", "--cached"]))
print("loaded", *sys.modules)
"""


def test_cli_help_and_cached_list_load_neither_textual_nor_rich(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", emulator.base_url)
    batch = emulator.store.new_batch(SyntheticSource(SyntheticSpec("row", 3)), DEFAULT_WORKSPACE, Rates())
    assert main(["sync"]) == 0  # a cached batch, so `list --cached` draws a row, not "No batches yet"
    capsys.readouterr()

    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout

    assert "usage: batchdeck" in out and batch.id in out and "list exit 0" in out
    loaded = out.rpartition("loaded ")[2].split()
    assert "batchdeck.commands.list_cmd" in loaded
    assert [m for m in loaded if m.split(".")[0] in ("textual", "rich")] == []


def imported(args: list[str], env: dict[str, str], code: int = 0) -> set[str]:
    """The modules `batchdeck ARGS` imported, read from `-X importtime` (which lists each on its first import)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "batchdeck", *args], env=env, capture_output=True, text=True
    )
    assert done.returncode == code, (args, done.stderr[-2000:])
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {line.rpartition("|")[2].strip() for line in lines[1:]}  # the first line is the header


@pytest.mark.slow
def test_no_command_that_talks_to_the_api_imports_the_sdk(emulator: Emulator, tmp_path: Path) -> None:
    """The SDK costs seconds of start-up; batchdeck's own client speaks its wire format without it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "XDG_"))}
    env.update({var: str(tmp_path / var.lower()) for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")})
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), ANTHROPIC_API_KEY=API_KEY, ANTHROPIC_BASE_URL=emulator.base_url)
    requests = tmp_path / "requests.jsonl"
    requests.write_text("".join(json.dumps(request(f"row-{i}")) + "\n" for i in range(4)))

    loaded = {"submit": imported(["submit", str(requests), "--yes"], env)}
    batch = emulator.store.all_batches()[-1].id
    loaded["cancel"] = imported(["cancel", batch, "--yes"], env)
    emulator.advance(2 * 86_400)  # the canceled batch ends: its rows end canceled
    loaded["sync"] = imported(["sync"], env)
    loaded["list"] = imported(["list"], env)
    loaded["show"] = imported(["show", batch], env)
    loaded["status"] = imported(["status"], env)
    loaded["watch"] = imported(["watch", batch], env, code=3)  # 3: it ended with canceled rows
    loaded["results"] = imported(["results", batch], env)  # the first use downloads them
    loaded["retry"] = imported(["retry", batch, "--yes"], env)
    child = emulator.store.all_batches()[-1].id
    emulator.advance(2 * 86_400)
    loaded["export"] = imported(["export", child, "-o", str(tmp_path / "out.jsonl")], env)  # downloads too
    loaded["delete"] = imported(["delete", batch, "--yes"], env)

    assert child != batch and (tmp_path / "out.jsonl").stat().st_size > 0
    assert emulator.stats.calls("create") == 2 and emulator.stats.calls("delete") == 1  # each command did its work
    for command, modules in loaded.items():
        assert "batchdeck.core.api.client" in modules, command  # it did load the API client
        assert [m for m in modules if m.split(".")[0] == "anthropic"] == [], command


FIRST_FRAME = """\
import sys
from pathlib import Path
from benchmarks.cached_history import fill
from batchdeck.core.config.model import Config
from batchdeck.core.config.profiles import Profile
from batchdeck.core.session import Session
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.widgets.batch_list import BatchList

db = Path(sys.argv[1])
fill(db, "p", 50)
profile = Profile("p", api_key="k", base_url="http://127.0.0.1:9")
session = Session(Config(db.parent / "config.toml", profiles={"p": profile}), profile, db_path=db)


class FirstFrame(BatchdeckApp):
    def on_data_loaded(self) -> None:
        if self.main.query_one(BatchList).row_at(0) is not None:
            self.call_after_refresh(self.exit)


FirstFrame(session, poll=False).run(headless=True, size=(120, 40))
print("loaded", *sys.modules)
"""
LATER = (
    "batchdeck.tui.screens.detail",
    "batchdeck.tui.screens.results",
    "batchdeck.tui.screens.job",
    "batchdeck.tui.screens.prompt",
    "batchdeck.tui.screens.help",
    "batchdeck.tui.screens.retry_preview",
    "batchdeck.tui.screens.spend",
    "pygments",
)
"""Loaded when a key first asks for them, not for the first frame of the list."""


def test_the_first_frame_loads_only_the_list(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    done = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME, str(tmp_path / "cache.db")],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(done.stdout.rpartition("loaded ")[2].split())
    assert "batchdeck.tui.screens.main" in loaded
    assert sorted(m for m in loaded if m.startswith(LATER)) == []
