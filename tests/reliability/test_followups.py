"""Follow-ups of the reliability work: concurrent retries, garbage create answers, repairing a bad config,
watch's skipped objects, the debug traceback, and job names that match nothing."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from batchdeck.core.jobstore import JobStore
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from tests.core.conftest import run_cli
from tests.core.jobs_helpers import write_requests
from tests.core.test_retry import failing_job
from tests.reliability.fake_api import PREFIX, FakeApi, batch, environment

# A `batchdeck` that stops, before it adds any part to a job, until a line arrives on its stdin: two of them
# can be held at the moment between checking a retry plan and adding its parts.
PAUSING_BATCHDECK = """
import sys
from batchdeck.core.jobstore import JobStore
add_submissions = JobStore.add_submissions
def paused(self, *args, **kwargs):
    sys.stderr.write("PAUSED\\n")
    sys.stderr.flush()
    sys.stdin.readline()
    return add_submissions(self, *args, **kwargs)
JobStore.add_submissions = paused
from batchdeck.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def _pausing(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", PAUSING_BATCHDECK, *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _stderr_until_paused_or_exit(proc: subprocess.Popen[bytes], timeout: float = 60) -> bytes:
    """What `proc` wrote to stderr until it paused (b"PAUSED" at the end) or exited."""
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while b"PAUSED" not in seen:
        ready, _, _ = select.select([proc.stderr], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"batchdeck neither paused nor exited; it wrote {seen!r}"
        chunk = os.read(proc.stderr.fileno(), 4096)
        if not chunk:
            break
        seen += chunk
    return seen


# -- 1. two retries of the same rows confirmed at the same moment -------------------------------------

def test_two_concurrent_retries_of_the_same_rows_make_one_batch(home: Path, emulator: Emulator,
                                                                tmp_path: Path) -> None:
    """A is held after confirming, before it adds its parts; B, planned from the same state, confirms then.
    B used to pass the plan check too, and its parts were sent as well (the failed rows twice): now the
    check, the parts and the send are one step under the sending lock, and B sends nothing, in one line."""
    with Workspace.open() as ws:
        job_id, _, _ = failing_job(ws, emulator, tmp_path, 20)
    creates = emulator.stats.calls("create")
    first = _pausing("retry", job_id, "--yes")
    second = None
    try:
        assert _stderr_until_paused_or_exit(first).endswith(b"PAUSED\n")
        second = _pausing("retry", job_id, "--yes")
        held = _stderr_until_paused_or_exit(second)
        out_a, err_a = first.communicate(b"\n", timeout=60)
        out_b, err_b = second.communicate(b"\n", timeout=60)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
    assert emulator.stats.calls("create") == creates + 1  # the failed rows sent once
    assert first.returncode == 0, err_a
    assert f"{job_id}: resent ".encode() in out_a
    assert b"PAUSED" not in held and second.returncode == 1
    message = (held + err_b).decode()
    assert message.endswith(f"batchdeck: error: {job_id}: another batchdeck process is sending in this profile "
                            "(perhaps this same retry); nothing was sent; run the retry again when it has "
                            "finished\n"), message
    assert message.count("batchdeck: error:") == 1 and "Traceback" not in message
    with Workspace.open() as ws:
        subs = JobStore(ws.db, ws.profile.name).submissions(job_id)
    assert [(s.kind, s.state) for s in subs] == [("submit", "created"), ("retry", "created")]


# -- 2. a create answered with something that is not a batch -----------------------------------------

class CreatingApi(FakeApi):
    """Also answers create: it makes a batch (listed only once the test says so, as a list that lags
    behind), and answers with `create_answer`, whatever that is."""

    def __init__(self, create_answer: bytes, requests_per_batch: int) -> None:
        super().__init__()
        self.create_answer = create_answer
        self.requests_per_batch = requests_per_batch
        self.made: list[dict[str, Any]] = []

    def creates(self) -> int:
        return sum(1 for r in self.requests if r == f"POST {PREFIX}")

    def answer(self, method: str, target: str) -> tuple[int, bytes, str]:
        if method != "POST" or urlsplit(target).path != PREFIX:
            return super().answer(method, target)
        self.requests.append(f"{method} {target}")
        n = self.requests_per_batch
        self.made.append(batch(f"msgbatch_01Made{len(self.made) + 1}", "in_progress", request_counts={
            "processing": n, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}))
        return 200, self.create_answer, "application/json"


GARBLED_CREATES = {
    "a list": b"[1, 2]",
    "a string": b'"created"',
    "not JSON": b"<html>created</html>",
    "an id that leaves the data dir": json.dumps(batch("msgbatch_../../x/pwn", "in_progress")).encode(),
    "an id of another kind": json.dumps(batch("batch_01Made1", "in_progress")).encode(),
    "an object without an id": b'{"type": "message_batch"}',
}


@pytest.mark.parametrize("answer", GARBLED_CREATES.values(), ids=GARBLED_CREATES.keys())
def test_a_garbled_create_answer_is_reconciled_never_stored_or_resent(
        answer: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The API may have made the batch whatever it answered: the part stays open (nothing stored from the
    answer), and the next run adopts the batch the list shows instead of sending the requests again."""
    source = tmp_path / "requests.jsonl"
    write_requests(source, 3)
    with CreatingApi(answer, 3) as fake:
        for var, value in environment(tmp_path / "home", fake).items():
            monkeypatch.setenv(var, value)
        code, _, err = run_cli(capsys, "submit", str(source), "--yes")
        assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, err
        assert err.startswith("batchdeck: error: job-1 part 1: the create call got no clear answer (cannot create a "
                              "batch of 3 requests: the API answered with "), err
        assert "run `batchdeck job reconcile job-1` in a while" in err
        with Workspace.open() as ws:
            [sub] = JobStore(ws.db, ws.profile.name).submissions("job-1")
            assert (sub.state, sub.batch_id) == ("uncertain", None)
            assert ws.cache.query(include_deleted=True) == []
        fake.listed = list(fake.made)  # the list now shows the batch the garbled create made
        code, out, err = run_cli(capsys, "submit", str(source), "--yes")
        assert code == 0, err
        assert "job-1 part 1: adopted msgbatch_01Made1" in err
        assert fake.creates() == 1
        with Workspace.open() as ws:
            [sub] = JobStore(ws.db, ws.profile.name).submissions("job-1")
            assert (sub.state, sub.batch_id) == ("created", "msgbatch_01Made1")
            assert [b.id for b in ws.cache.query(include_deleted=True)] == ["msgbatch_01Made1"]
