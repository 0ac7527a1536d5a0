"""The API key never lands in a file or an output: a representative session with a distinctive key, then
every file under the test's home and every captured stdout/stderr is searched for it. Files and dirs are
private; the emulator listens on loopback and, given keys, refuses requests without one."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx2
import pytest

from batchdeck.core.config import paths
from batchdeck.core.jobs import split
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import DEFAULT_WORKSPACE, Emulator, EmulatorConfig
from tests.core.conftest import run_cli
from tests.core.jobs_helpers import end_all, write_requests
from tests.reliability.killer import Killer

KEY = "sk-ant-api03-RELIABILITY-7f3e9a1c5b2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f-AAAA"
LEAKS = (KEY.encode(), KEY[:20].encode(), KEY[-12:].encode())


def session(capsys: pytest.CaptureFixture[str], tmp_path: Path, emulator: Emulator, keyed: Emulator) -> list[str]:
    """sync, show, results, export, submit, retry, job, config, and errors: a bad URL, a 401, a failed create."""
    outputs: list[str] = []

    def cli(*args: str) -> int:
        code, out, err = run_cli(capsys, *args)
        outputs.extend([out, err])
        return code

    emulator.set_rates(error_rate=0.3)
    source = tmp_path / "requests.jsonl"
    write_requests(source, 40)
    assert cli("submit", str(source), "--yes") == 0
    end_all(emulator)
    emulator.set_rates(error_rate=0.0)
    assert cli("sync") == 0 and cli("list", "--json") == 0
    batch_id = json.loads(outputs[-2])[0]["id"]
    assert cli("show", batch_id) == 0 and cli("results", batch_id, "--json") == 0
    for fmt in ("jsonl", "csv", "text"):
        assert cli("export", batch_id, "--format", fmt, "-o", str(tmp_path / f"export.{fmt}")) == 0
    assert cli("retry", "job-1", "--yes") == 0 and cli("job", "show", "job-1") == 0
    emulator.faults.queue("500", endpoint="create")
    write_requests(source, 5, prefix="later")
    assert cli("submit", str(source), "--yes") != 0  # an uncertain create, reported
    assert cli("profile", "add", "nowhere", "--base-url", "http://127.0.0.1:9") == 0
    assert cli("--profile", "nowhere", "sync") == 1
    assert cli("--profile", "nowhere", "results", batch_id) != 0
    assert cli("profile", "add", "keyed", "--base-url", keyed.base_url) == 0
    assert cli("--profile", "keyed", "sync") == 1 and cli("--profile", "keyed", "cancel", "msgbatch_x", "--yes") != 0
    assert cli("config", "show") == 0
    killer = Killer(tmp_path / "crash-output")
    assert killer.run(["sync"], kill_at=2000) == -9  # a crash mid-run, its output kept
    assert "rejected the key" in "".join(outputs) and "cannot reach" in "".join(outputs)
    return outputs


def test_key_appears_nowhere(
    home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("BATCHDECK_DEBUG", "")
    monkeypatch.setattr(split, "MAX_BATCH_REQUESTS", 15)
    with Emulator(EmulatorConfig(api_keys={"sk-ant-someone-else-0000000000": DEFAULT_WORKSPACE})) as keyed:
        outputs = session(capsys, tmp_path, emulator, keyed)
        no_key = httpx2.get(f"{keyed.base_url}/v1/messages/batches", headers={"anthropic-version": "2023-06-01"})
        assert no_key.status_code == 401 and keyed.config.host == "127.0.0.1" == Emulator().config.host
    for text in outputs:
        assert not any(leak.decode() in text for leak in LEAKS), text
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) >= 10
    for path in files:
        data = path.read_bytes()
        assert not any(leak in data for leak in LEAKS), path
    print(f"secrets: {len(files)} files and {len(outputs)} outputs searched")
    with Workspace.open() as ws:  # a write while open: the -wal and -shm files exist
        ws.batches.set_meta(ws.batches.query()[0].id, ws.now(), label="x")
        private = [
            paths.config_file(),
            paths.database_file(),
            Path(f"{paths.database_file()}-wal"),
            Path(f"{paths.database_file()}-shm"),
            *(paths.data_dir() / "results").rglob("*.jsonl"),
        ]
        for path in private:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    results = paths.data_dir() / "results"
    for directory in [paths.config_dir(), paths.data_dir(), results, *results.rglob("*")]:
        if directory.is_dir():
            assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
