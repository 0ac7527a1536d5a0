"""Bad input of every kind gets one clear line naming the problem, a non-zero exit, no traceback, and
nothing the user had is lost. Complements tests/core/test_submit_validation.py (its corpus is not repeated)."""

from __future__ import annotations

import errno
import io
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anthropic
import pytest

from batchdeck.core.api.client import BatchesApi, ResultsBody
from batchdeck.core.config import paths
from batchdeck.core.jobs import input_check as submit_input
from batchdeck.core.store.result_repo import ResultRepo
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from tests.conftest import request
from tests.core.conftest import run_cli, seed
from tests.core.jobs_helpers import line

GOOD = line("ok-1")
DEEP = b"[" * 100_000
SUBMIT_CORPUS: list[tuple[str, bytes, str]] = [
    ("nested too deep", DEEP, "line 2: not a request: JSON nested too deeply"),
    ("nested params", b'{"custom_id": "a", "params": ' + DEEP + b"}", "line 2: not a request: JSON nested too deeply"),
    ("huge line", line("big", "x" * 30_000), "line 2: the request is 30,"),
    ("nul bytes", b"\x00\x00\x00", "line 2: not valid JSON"),
    (
        "latin-1 text",
        line("a", "caf\xe9".encode("latin-1").decode("latin-1")).replace(b"caf\xc3\xa9", b"caf\xe9"),
        "line 2: not valid UTF-8 (byte 0xe9",
    ),
    ("messages a string", line("a", messages="hello"), "line 2: params.messages must be a non-empty list"),
    ("params a list", b'{"custom_id": "a", "params": []}', "line 2: params must be an object"),
    ("custom_id null", b'{"custom_id": null, "params": {}}', "line 2: custom_id missing is not valid"),
    ("custom_id a list", b'{"custom_id": ["a"], "params": {}}', 'line 2: custom_id ["a"] is not valid'),
    ("illegal characters", line("ticket/7"), 'line 2: custom_id "ticket/7" is not valid'),
    ("unicode custom_id", line("tícket-7"), 'line 2: custom_id "tícket-7" is not valid'),
    ("max_tokens a float", line("a", max_tokens=64.5), "line 2: params.max_tokens must be a positive integer"),
    (
        "truncated last line",
        b'{"custom_id": "z", "params": {"model": "claude-haiku-4-5", "max_tok',
        "line 2: not valid JSON",
    ),
]


def no_traceback(err: str) -> None:
    assert "Traceback" not in err and len(err.strip().splitlines()) >= 1
    assert err.startswith("batchdeck: error: ") or "nothing was submitted" in err, err


@pytest.mark.parametrize("name,bad,expected", SUBMIT_CORPUS, ids=[c[0] for c in SUBMIT_CORPUS])
def test_submit_corpus(
    name: str,
    bad: bytes,
    expected: str,
    home: Path,
    emulator: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(submit_input, "MAX_BATCH_BYTES", 20_000)  # "huge": a line above what one batch holds
    source = tmp_path / "requests.jsonl"
    source.write_bytes(GOOD + b"\n" + bad + (b"\n" + line("ok-3") + b"\n") * (name != "truncated last line"))
    code, _, err = run_cli(capsys, "submit", str(source), "--yes")
    assert code == 2 and expected in err, err
    no_traceback(err)
    assert emulator.stats.calls() == 0


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50, b"\xef\xbb\xbf" + GOOD + b"\n"],
    ids=["binary file", "byte order mark"],
)
def test_submit_whole_file(
    content: bytes, home: Path, emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "requests.jsonl"
    source.write_bytes(content)
    code, _, err = run_cli(capsys, "submit", str(source), "--yes")
    assert code == 2 and "line 1: " in err, err
    no_traceback(err)
    code, _, err = run_cli(capsys, "submit", str(tmp_path), "--yes")  # a directory
    assert code == 2 and f"{tmp_path}: is a directory, not a file of requests" in err
    assert emulator.stats.calls() == 0


BODY_LINES = [
    b"not json at all",
    b'["a list"]',
    b'{"custom_id": "no-result"}',
    b'{"result": {"type": "succeeded"}}',
    b'{"custom_id": "bad-\xff", "result": {"type": "succeeded"}}',
    DEEP,
    b'{"custom_id": 7, "result": 1}',
]


def test_malformed_results_lines(
    home: Path,
    emulator: Emulator,
    client: anthropic.Anthropic,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batch = client.messages.batches.create(requests=[request("good-1"), request("good-2")])
    emulator.advance(86400)
    real = BatchesApi.stream_results

    @contextmanager
    def spliced(self: BatchesApi, batch_id: str, chunk_size: int = 1 << 16) -> Iterator[ResultsBody]:
        with real(self, batch_id, chunk_size) as body:
            good = b"".join(body).splitlines(keepends=True)
            yield ResultsBody(iter([good[0], *(bad + b"\n" for bad in BODY_LINES), good[1]]), body.expected_rows)

    monkeypatch.setattr(BatchesApi, "stream_results", spliced)
    code, out, err = run_cli(capsys, "results", batch.id, "--json")
    assert code == 0 and [r["custom_id"] for r in json.loads(out)] == ["good-1", "good-2"], err
    with Workspace.open() as ws:
        state = ws.results.result_set(batch.id)
        assert state is not None and state.malformed == len(BODY_LINES)
        assert state.malformed_lines == tuple(range(2, 2 + len(BODY_LINES)))


CONFIGS = [
    (b"default_profile = \n", "is not valid TOML"),
    (b"[sync]\nmax_retries = 2\n\xff\xfe\n", "is not valid TOML"),
    (b"profiles = 3\n", "config file"),
    (b'[profiles.work]\napi_key_env = "sk-ant-oops"\n', "must name an environment variable"),
    (b"[sync]\ntimeout = -1\n", "bad value for sync.timeout"),
    (b'[prices."claude-haiku-4-5"]\ninput = "cheap"\n', "must be a number of USD"),
]


@pytest.mark.parametrize("content,expected", CONFIGS, ids=[str(i) for i in range(len(CONFIGS))])
def test_corrupt_config(content: bytes, expected: str, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths.private_dir(paths.config_dir())
    paths.config_file().write_bytes(content)
    code, _, err = run_cli(capsys, "list")
    assert code == 2 and expected in err and str(paths.config_file()) in err, err
    no_traceback(err)
    assert paths.config_file().read_bytes() == content  # left as it was, for the user to fix


def test_config_that_is_a_directory(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths.config_file().mkdir(parents=True)
    code, _, err = run_cli(capsys, "list")
    assert code == 2 and "cannot read config file" in err and str(paths.config_file()) in err, err
    no_traceback(err)


def damage(kind: str, db: Path) -> None:
    data = db.read_bytes()
    if kind == "garbage":
        db.write_bytes(os.urandom(len(data)))
    elif kind == "truncated":
        db.write_bytes(data[: len(data) // 3])
    elif kind == "pages zeroed":
        db.write_bytes(data[:4096] + b"\x00" * (len(data) - 4096))
    elif kind == "a directory":
        db.unlink()
        db.mkdir()
    elif kind == "unreadable":
        db.chmod(0)


@pytest.mark.parametrize("kind", ["garbage", "truncated", "pages zeroed", "a directory", "unreadable"])
def test_damaged_database(kind: str, home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    if kind == "unreadable" and os.geteuid() == 0:
        pytest.skip("root reads a chmod 000 file; 'a directory' takes the same path (SQLite cannot open it)")
    seed(emulator, 1500)
    assert run_cli(capsys, "sync")[0] == 0
    db = paths.database_file()
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    damage(kind, db)
    before = db.read_bytes() if db.is_file() and kind != "unreadable" else None
    for args in (["list"], ["sync"], ["show", "msgbatch"]):
        code, _, err = run_cli(capsys, *args)
        assert code == 1 and str(db) in err, (args, err)
        assert ("permission denied" in err) == (kind == "unreadable") and ("--rebuild" in err) != (kind == "unreadable")
        no_traceback(err)
        assert len(err.strip().splitlines()) == 1
    if before is not None:
        assert db.read_bytes() == before  # nothing overwritten: `sync --rebuild` can still salvage it


class FullDisk(io.RawIOBase):
    """A file that takes `room` bytes, then fails like a full disk."""

    def __init__(self, room: int) -> None:
        self.room = room

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return len(data)


@contextmanager
def full_disk(monkeypatch: pytest.MonkeyPatch, room: int = 100_000) -> Iterator[None]:
    """Every file opened with os.fdopen (results download, export) fills up after `room` bytes."""
    real = os.fdopen

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        os.close(fd)
        return io.BufferedWriter(FullDisk(room))

    with monkeypatch.context() as patch:
        patch.setattr(os, "fdopen", fdopen)
        yield
    assert os.fdopen is real


def test_full_disk_during_results_download_and_export(
    home: Path,
    emulator: Emulator,
    client: anthropic.Anthropic,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batch = client.messages.batches.create(requests=[request(f"row-{i}") for i in range(500)])
    emulator.advance(86400)
    with full_disk(monkeypatch):
        code, _, err = run_cli(capsys, "results", batch.id)
    assert code == 1 and f"cannot save the results of {batch.id}" in err and "No space left on device" in err, err
    no_traceback(err)
    with Workspace.open() as ws:
        state = ws.results.result_set(batch.id)
        assert state is not None and not state.complete and not list((paths.data_dir() / "results").rglob("*.part"))
    (tmp_path / "exports").mkdir()
    target = tmp_path / "exports" / "out.csv"
    code, _, err = run_cli(capsys, "export", batch.id, "-o", str(target), "--format", "csv")
    assert code == 0, err  # the disk has room again: the download starts afresh
    previous = target.read_bytes()
    with full_disk(monkeypatch, room=1000):
        code, _, err = run_cli(capsys, "export", batch.id, "-o", str(target), "--format", "jsonl", "--force")
    assert code == 1 and f"cannot write {target}" in err and "No space left on device" in err, err
    no_traceback(err)
    assert target.read_bytes() == previous and sorted(p.name for p in target.parent.iterdir()) == ["out.csv"]


def test_full_disk_under_the_cache(
    home: Path,
    emulator: Emulator,
    client: anthropic.Anthropic,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SQLite's own 'database or disk is full' is a full disk, not a damaged cache to rebuild."""
    batch = client.messages.batches.create(requests=[request(f"row-{i}") for i in range(50)])
    emulator.advance(86400)
    assert run_cli(capsys, "sync")[0] == 0

    def full(*args: Any, **kwargs: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    with monkeypatch.context() as patch:
        patch.setattr(ResultRepo, "add", full)
        code, _, err = run_cli(capsys, "results", batch.id)
    assert code == 1 and "disk is full" in err and "rebuild" not in err, err
    no_traceback(err)
    assert run_cli(capsys, "results", batch.id)[0] == 0
