"""Saved results against a hostile or broken server, racing processes and a lost index (issue 12: 2, 3, 4, 6, 8, 11).

The API side is `hostile_api.HostileApi` (a stdlib server on 127.0.0.1 whose answers the test
chooses) or the emulator; downloads run through the real SDK client into a real cache in a temp
home. The README's figures come from benchmarks/hostile_results_bench.py and
benchmarks/results_race_bench.py (bigger bodies, the shipped limits); these runs are kept small.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import anthropic
import pytest

from batchdeck.core.config import paths
from batchdeck.core.errors import ApiFailure, BatchdeckError
from batchdeck.core.results import download as results_mod
from batchdeck.core.results.download import download, ensure_downloaded, results_path
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from tests.conftest import request
from tests.core.conftest import SECRET, run_cli
from tests.reliability.hostile_api import (
    HostileApi,
    Seen,
    body_of,
    gzipped,
    held,
    plain,
    redirect,
    result_line,
    trickle,
)
from tests.reliability.killer import Killer

DAY = 86400.0
BATCH = "msgbatch_hostile0001"


@pytest.fixture
def hostile(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileApi]:
    """The default profile pointed at a hostile fake API."""
    with HostileApi() as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        yield api


def saved_set(batch_id: str = BATCH) -> tuple[bool, int]:
    """(complete, index rows) of a batch's saved results, read from a fresh workspace."""
    with Workspace.open() as ws:
        index = ws.results
        state = index.result_set(batch_id)
        return (state is not None and state.complete), len(index.rows(batch_id))


def one_line(text: str) -> None:
    assert text.strip() and "\n" not in text.strip() and "Traceback" not in text, text


# -- 2: a rebuild, or a lost index, never strands a saved results file -----------------------------
def test_rebuild_of_a_damaged_cache_keeps_saved_results_readable(
    home: Path, emulator: Emulator, client: anthropic.Anthropic, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = client.messages.batches.create(requests=[request(f"t{i}") for i in range(5)])
    emulator.advance(DAY)
    assert run_cli(capsys, "sync")[0] == 0
    code, before, err = run_cli(capsys, "results", batch.id, "--json")
    assert code == 0 and len(json.loads(before)) == 5, err
    db = paths.database_file()
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"not a database" * 100)
    code, out, err = run_cli(capsys, "sync", "--rebuild")
    assert code == 0 and "saved results of 1 batch indexed again" in out, err
    emulator.advance(30 * DAY)  # archived: the API has no results any more
    code, after, err = run_cli(capsys, "results", batch.id, "--json")
    assert code == 0 and json.loads(after) == json.loads(before), err
    assert json.loads(run_cli(capsys, "show", batch.id, "--json")[1])["results_saved"] is True


def test_results_indexes_a_kept_file_the_index_lost(
    home: Path, emulator: Emulator, client: anthropic.Anthropic, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = client.messages.batches.create(requests=[request(f"t{i}") for i in range(4)])
    emulator.advance(DAY)
    assert run_cli(capsys, "sync")[0] == 0
    with Workspace.open() as ws:
        download(ws, batch.id)
        kept = results_path(ws, batch.id).read_bytes()
        emulator.faults.set(cut_after_bytes=100)
        emulator.faults.queue("cut")
        with pytest.raises(ApiFailure, match="cut off"):
            download(ws, batch.id)  # a failed re-download: the index forgets the set, the file stays
    assert saved_set(batch.id) == (False, 0)
    emulator.advance(30 * DAY)
    code, out, err = run_cli(capsys, "results", batch.id, "--json")
    assert code == 0 and sorted(r["custom_id"] for r in json.loads(out)) == [f"t{i}" for i in range(4)], err
    assert saved_set(batch.id) == (True, 4)
    with Workspace.open() as ws:
        assert results_path(ws, batch.id).read_bytes() == kept


# -- 3: two processes downloading one batch -------------------------------------------------------
def waiting_or_downloading(pid: int, api: HostileApi, lock_name: str) -> str:
    """Wait until the second process either asked for the results too or holds the batch's lock file open."""
    give_up = time.monotonic() + 60
    while time.monotonic() < give_up:
        if len(api.results_requests()) > 1:
            return "downloading"
        try:
            if any(os.readlink(f"/proc/{pid}/fd/{fd}").endswith(lock_name) for fd in os.listdir(f"/proc/{pid}/fd")):
                return "waiting"
        except OSError:
            pass
        time.sleep(0.01)
    raise AssertionError("the second process neither downloaded nor waited")


@pytest.mark.parametrize("first_fails", [True, False], ids=["first-cut", "first-completes"])
def test_two_processes_downloading_one_batch(hostile: HostileApi, tmp_path: Path, first_fails: bool) -> None:
    """Real `batchdeck results ID` processes (forked from a preloaded server, see killer.py): the first
    is held mid-body until the second is under way, then cut off or let through."""
    body = body_of(3)
    release = threading.Event()
    first = held(body, len(body) // 2, release, cut=first_fails)
    whole = plain(body)
    calls = iter([first])
    hostile.add_batch(BATCH, 3, lambda h: next(calls, whole)(h))
    runs = [Killer(tmp_path / "a.out"), Killer(tmp_path / "b.out")]
    argv = ["results", BATCH, "--json"]
    a = runs[0].start(argv)
    b = None
    try:
        assert hostile.results_started.wait(60), runs[0].tail()
        b = runs[1].start(argv)
        state = waiting_or_downloading(b.pid, hostile, f".{BATCH}.jsonl.lock")
        release.set()
        a.join(60)
        b.join(60)
    finally:
        release.set()
        for proc in (a, b):
            if proc is not None and proc.exitcode is None:
                proc.kill()
    a_out, b_out = runs[0].tail(), runs[1].tail()
    if first_fails:
        assert a.exitcode == 1 and "cut off" in a_out, a_out
        one_line(a_out)
    else:
        assert a.exitcode == 0 and len(json.loads(a_out)) == 3, a_out
    assert b.exitcode == 0 and sorted(r["custom_id"] for r in json.loads(b_out)) == ["r0", "r1", "r2"], b_out
    assert saved_set() == (True, 3)
    with Workspace.open() as ws:
        final = results_path(ws, BATCH)
        assert final.read_bytes() == body
        assert not [p.name for p in final.parent.iterdir() if p.name.endswith(".part")]
    # nothing downloaded twice: the second process used the first one's copy when it had one
    assert len(hostile.results_requests()) == (2 if first_fails else 1)
    assert state == "waiting"  # for the batch's lock, while the first one was under way


# -- 4: a short body is not complete --------------------------------------------------------------
def test_short_body_is_not_kept_as_complete(hostile: HostileApi, capsys: pytest.CaptureFixture[str]) -> None:
    body = body_of(3)
    short = body_of(2)
    served = [short]
    hostile.add_batch(BATCH, 3, lambda h: plain(served[-1])(h))
    code, out, err = run_cli(capsys, "results", BATCH, "--json")
    assert code == 1 and "incomplete: 2 result lines for 3 requests" in err, err
    one_line(err)
    assert saved_set() == (False, 0)
    with Workspace.open() as ws:
        assert not results_path(ws, BATCH).exists()
    served.append(body)  # the next time: downloaded again, whole
    code, out, err = run_cli(capsys, "results", BATCH, "--json")
    assert code == 0 and len(json.loads(out)) == 3, err
    served.append(short)  # a forced re-download that comes back short never replaces the kept copy
    with Workspace.open() as ws:
        with pytest.raises(ApiFailure, match="incomplete"):
            download(ws, BATCH)
        assert results_path(ws, BATCH).read_bytes() == body
    assert run_cli(capsys, "results", BATCH, "--json")[0] == 0 and saved_set() == (True, 3)


def test_a_cut_last_line_does_not_count_as_a_result(hostile: HostileApi) -> None:
    body = body_of(3)
    hostile.add_batch(BATCH, 3, plain(body[:-20]))  # ends inside the third line, on a clean close
    with Workspace.open() as ws, pytest.raises(ApiFailure, match="incomplete: 2 result lines for 3"):
        download(ws, BATCH)
    assert saved_set() == (False, 0)


# -- 6: the key goes only to the profile's base URL -----------------------------------------------
def credentials(seen: Seen) -> str:
    """The key as this SDK sends it (`Authorization: Bearer`; older ones used `x-api-key`)."""
    return seen.headers.get("authorization", "") + seen.headers.get("x-api-key", "")


@pytest.mark.parametrize("how", ["results_url", "redirect"])
def test_key_is_never_sent_to_another_host(hostile: HostileApi, how: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A results_url on another origin (here localhost, another port) is refused, and so is a redirect there:
    the other server gets no request at all, so neither the key nor a request it could point elsewhere."""
    with HostileApi(host="localhost") as other:
        elsewhere = f"{other.base_url}/v1/messages/batches/{BATCH}/results"
        other.add_batch(BATCH, 1, plain(body_of(1)))
        if how == "results_url":
            hostile.add_batch(BATCH, 1, plain(body_of(1)), results_url=elsewhere)
        else:
            hostile.add_batch(BATCH, 1, redirect(elsewhere))
        code, _, err = run_cli(capsys, "results", BATCH)
        assert not any(SECRET in credentials(s) for s in other.requests)
        assert other.requests == []
        assert code == 1 and f"http://localhost:{other.server.server_address[1]}" in err, err
        assert "sends the key only to the profile's base URL" in err
        one_line(err)
    assert hostile.requests and all(SECRET in credentials(s) for s in hostile.requests)
    assert saved_set() == (False, 0)
    hostile.add_batch(BATCH, 2, plain(body_of(2)), results_url=f"/v1/messages/batches/{BATCH}/results")
    with Workspace.open() as ws:
        assert download(ws, BATCH).rows == 2  # a results_url on the base URL's own origin is followed


# -- 8: an id from the API never names a file outside the data dir --------------------------------
HOSTILE_IDS = ["msgbatch_../../../../escape", "msgbatch_..", "../escape", "msgbatch_a/../../../../escape"]


@pytest.mark.parametrize("batch_id", HOSTILE_IDS)
def test_hostile_id_never_writes_outside_the_data_dir(
    hostile: HostileApi, home: Path, batch_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Workspace.open() as ws:
        for attempt in (download, ensure_downloaded):
            with pytest.raises(BatchdeckError, match="batch id that is not of the form"):
                attempt(ws, batch_id)
    code, _, err = run_cli(capsys, "results", batch_id)
    assert code == 2  # refused as an argument, before any request
    one_line(err)
    data = paths.data_dir()
    outside = [p for p in home.rglob("*") if "escape" in p.name or (p.name.startswith("msgbatch_") and p.is_dir())]
    assert outside == [] and not (data / "results" / "default" / "msgbatch_..").exists()
    assert hostile.results_requests() == []


# -- 11: bounded against a hostile server ---------------------------------------------------------
def timed_download(batch_id: str = BATCH) -> tuple[float, Exception | None]:
    started = time.monotonic()
    try:
        with Workspace.open() as ws:
            download(ws, batch_id)
    except Exception as exc:
        return time.monotonic() - started, exc
    return time.monotonic() - started, None


def test_gzip_bomb_of_newlines_is_stopped(hostile: HostileApi) -> None:
    bomb = gzipped(b"\n" * (16 << 20))  # 16 KB on the wire, 16 MiB inflated
    hostile.add_batch(BATCH, 3, bomb)
    seconds, error = timed_download()
    assert isinstance(error, ApiFailure) and "more than 1,003 lines for 3 requests" in str(error), error
    assert seconds < 3 and saved_set() == (False, 0)


def test_gzip_bomb_of_one_endless_line_is_stopped(hostile: HostileApi) -> None:
    hostile.add_batch(BATCH, 1, gzipped(b" " * (64 << 20)))  # 64 KB on the wire, 64 MiB inflated, no newline
    seconds, error = timed_download()
    assert isinstance(error, ApiFailure) and "grew past 9.4 MB for 1 requests" in str(error), error
    assert seconds < 5 and saved_set() == (False, 0)
    with Workspace.open() as ws:
        assert not [p for p in results_path(ws, BATCH).parent.iterdir() if p.suffix in (".part", ".jsonl")]


def test_long_line_is_one_malformed_line_in_linear_time(hostile: HostileApi) -> None:
    long_line = b'{"custom_id": "' + b"x" * (40 << 20) + b'"}\n'  # 40 MiB: over LINE_MAX, under the body cap
    body = result_line("a") + long_line + b"".join(result_line(c) for c in "bcd")
    hostile.add_batch(BATCH, 5, plain(body))
    seconds, error = timed_download()
    assert error is None and seconds < 5, (seconds, error)
    with Workspace.open() as ws:
        state = ws.results.result_set(BATCH)
        assert state is not None and state.complete and state.rows == 4 and state.malformed_lines == (2,)
        assert results_path(ws, BATCH).read_bytes() == body  # the raw copy is still byte for byte


def test_trickle_is_cut_by_the_deadline(hostile: HostileApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(results_mod, "DEADLINE_GRACE", 0.5, raising=False)
    monkeypatch.setattr(results_mod, "MIN_RATE", 1_000, raising=False)
    hostile.add_batch(BATCH, 2, trickle(body_of(2), 0.01, hostile.stopping))  # ~500 bytes at 100 B/s: 5 s
    seconds, error = timed_download()
    assert isinstance(error, ApiFailure) and "came too slowly" in str(error), error
    assert seconds < 2 and saved_set() == (False, 0)


@pytest.mark.anyio
async def test_a_stuck_download_does_not_hold_up_the_tui_queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The TUI saves ended batches one at a time, oldest first: the oldest one trickles (an endless body at
    100 B/s), and the next one is saved once the deadline (0.5 s of grace here) has stopped the first."""
    from datetime import datetime

    from batchdeck.commands.demo_cmd import demo_session
    from batchdeck.tui.app import BatchdeckApp
    from batchdeck.tui.widgets.batch_list import BatchList
    from tests.ui.conftest import polled, rows, wait_for

    monkeypatch.setattr(results_mod, "DEADLINE_GRACE", 0.5, raising=False)
    monkeypatch.setattr(results_mod, "MIN_RATE", 1_000, raising=False)
    with HostileApi() as api:
        api.add_batch("msgbatch_stuck", 2, trickle(body_of(2) * 10_000, 0.01, api.stopping))
        api.add_batch("msgbatch_after", 2, plain(body_of(2)))
        api.batches["msgbatch_after"]["created_at"] = "2026-11-01T12:30:00Z"  # newer: saved second
        session = demo_session(api.base_url, tmp_path, clock=lambda: datetime(2026, 11, 1, 13, tzinfo=UTC))
        session.settings = session.settings.with_values({"results.auto_download": True})
        app = BatchdeckApp(session)
        async with app.run_test(size=(140, 30)) as pilot:
            await polled(pilot)
            await wait_for(pilot, lambda: any(b.id == "msgbatch_after" and b.results_saved for b in rows(app)))
            await pilot.pause()
            batch_list = app.main.query_one(BatchList)
            drawn = [batch_list.render_line(y).text for y in range(batch_list.size.height)]
            shown = {line.split()[0]: line for line in drawn if line.strip()}  # the ID column drops `msgbatch_`
            assert (
                "saved" in shown["after"] and "saved" not in shown["stuck"] and "arch " in shown["stuck"]
            )  # days by the API's clock
        assert [s.path.split("/")[-2] for s in api.results_requests()] == ["msgbatch_stuck", "msgbatch_after"]
