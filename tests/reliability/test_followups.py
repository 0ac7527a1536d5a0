"""Follow-ups of the reliability work: concurrent retries, garbage create answers, repairing a bad config,
watch's skipped objects, the debug traceback, and job names that match nothing."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

from batchdeck.core.jobstore import JobStore
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from tests.core.test_retry import failing_job

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
