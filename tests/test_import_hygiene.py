"""Start-up rule: the CLI's scripted paths never load Textual or rich.

The static layer rules (core imports no textual, rich or front end; the emulator imports nothing of
batchdeck; tui imports neither commands nor cli) are import-linter contracts in pyproject.toml, checked
by `make imports`, imports inside functions included. What a contract cannot see is what a command
actually loads when it runs, so this test runs the CLI in a fresh interpreter and reads `sys.modules`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from batchdeck.cli import main
from batchdeck.emulator import DEFAULT_WORKSPACE, Emulator, Rates
from batchdeck.emulator.sources import SyntheticSource, SyntheticSpec
from tests.conftest import API_KEY

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
