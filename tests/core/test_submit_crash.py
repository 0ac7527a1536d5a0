"""Crash-safe submission: an intent before each create, reconciled before anything is sent again."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import anthropic
import pytest

from batchdeck.core.errors import BatchdeckError
from batchdeck.core.jobs import send as sender
from batchdeck.core.jobs.send import SendCheckpoints
from batchdeck.core.jobs.submit import SubmitSource, plan_submit, submit
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from tests.conftest import request
from tests.core.conftest import run_cli
from tests.core.jobs_helpers import client_batches, settle_after, write_requests


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs (not even `except Exception`)."""


def crash() -> None:
    raise Crash


def states(ws: Workspace, job_id: str) -> list[str]:
    return [s.state for s in ws.jobs.submissions(job_id)]


@pytest.fixture(autouse=True)
def _settle_at_once(home: Path) -> None:
    settle_after(0)


def test_crash_between_intent_and_create(ws: Workspace, emulator: Emulator, tmp_path: Path) -> None:
    source = tmp_path / "r.jsonl"
    write_requests(source, 5)
    dies = SendCheckpoints(after_intent=crash)
    with pytest.raises(Crash):
        submit(ws, plan_submit(ws, SubmitSource(source)), checkpoints=dies)
    assert states(ws, "job-1") == ["intent"] and emulator.stats.calls("create") == 0
    result = submit(ws, plan_submit(ws, SubmitSource(source)))  # the same command again resumes the job
    assert result.resumed and result.job_id == "job-1" and len(result.batch_ids) == 1
    assert emulator.stats.calls("create") == 1 and len(client_batches(emulator)) == 1
    assert states(ws, "job-1") == ["created"]


def test_crash_after_the_api_created_the_batch(
    ws: Workspace, emulator: Emulator, tmp_path: Path, client: anthropic.Anthropic
) -> None:
    client.messages.batches.create(requests=[request("someone-else")])  # an older batch: below the anchor
    source = tmp_path / "r.jsonl"
    write_requests(source, 5)
    dies = SendCheckpoints(after_create=crash)
    with pytest.raises(Crash):
        submit(ws, plan_submit(ws, SubmitSource(source)), checkpoints=dies)
    assert states(ws, "job-1") == ["intent"] and emulator.stats.calls("create") == 2
    client.messages.batches.create(requests=[request(f"other-{i}") for i in range(3)])  # newer, other count
    made = client_batches(emulator)
    result = submit(ws, plan_submit(ws, SubmitSource(source)))
    assert result.resumed and result.batch_ids == []  # nothing new: the batch was adopted
    assert emulator.stats.calls("create") == 3 and len(client_batches(emulator)) == len(made) == 3
    sub = ws.jobs.submissions("job-1")[0]
    ours = [b.id for b in made if b.count == 5]
    assert sub.state == "created" and [sub.batch_id] == ours and ws.batches.get(ours[0]) is not None


def test_create_answer_dropped_is_adopted_not_resent(ws: Workspace, emulator: Emulator, tmp_path: Path) -> None:
    source = tmp_path / "r.jsonl"
    write_requests(source, 4)
    emulator.faults.queue("drop_after", endpoint="create")  # the emulator creates it, then drops the answer
    result = submit(ws, plan_submit(ws, SubmitSource(source)))
    assert emulator.stats.calls("create") == 1 and len(client_batches(emulator)) == 1  # no SDK retry either
    assert result.batch_ids == [client_batches(emulator)[0].id] and states(ws, result.job_id) == ["created"]


def test_dropped_before_doing_anything_is_sent_on_the_next_run(
    ws: Workspace, emulator: Emulator, tmp_path: Path
) -> None:
    source = tmp_path / "r.jsonl"
    write_requests(source, 4)
    emulator.faults.queue("drop", endpoint="create")  # never reached the API
    with pytest.raises(sender.Uncertain, match="no matching batch is listed yet; run `batchdeck job reconcile job-1"):
        submit(ws, plan_submit(ws, SubmitSource(source)))
    assert len(client_batches(emulator)) == 0
    assert states(ws, "job-1") == ["uncertain"]  # not found yet is not "never made": a later run decides
    result = submit(ws, plan_submit(ws, SubmitSource(source)))
    assert len(result.batch_ids) == 1 and len(client_batches(emulator)) == 1 and states(ws, "job-1") == ["created"]


def test_ambiguous_candidates_stop_for_a_human(
    ws: Workspace,
    emulator: Emulator,
    tmp_path: Path,
    client: anthropic.Anthropic,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "r.jsonl"
    write_requests(source, 3)
    dies = SendCheckpoints(after_create=crash)
    with pytest.raises(Crash):
        submit(ws, plan_submit(ws, SubmitSource(source)), checkpoints=dies)
    other = client.messages.batches.create(requests=[request(f"x-{i}") for i in range(3)]).id  # same count
    with pytest.raises(BatchdeckError, match="several batches could be the one"):
        submit(ws, plan_submit(ws, SubmitSource(source)))
    assert emulator.stats.calls("create") == 2
    ours = next(b.id for b in client_batches(emulator) if b.id != other)
    code, out, err = run_cli(capsys, "job", "reconcile", "job-1", "--adopt", f"1={ours}")
    assert code == 0 and f"adopted {ours}" in out, err
    code, out, _ = run_cli(capsys, "job", "reconcile", "job-1")
    assert code == 0 and "nothing to reconcile" in out
    assert emulator.stats.calls("create") == 2


@pytest.mark.slow
def test_sigkill_after_the_intent(home: Path, emulator: Emulator, tmp_path: Path) -> None:
    """A real process killed right after committing its intent; the next run sends exactly once."""
    source = tmp_path / "r.jsonl"
    write_requests(source, 3)
    dies_after_intent = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from batchdeck.core.jobs.send import SendCheckpoints\n"
        "from batchdeck.core.jobs.submit import SubmitSource, plan_submit, submit\n"
        "from batchdeck.core.workspace import Workspace\n"
        "with Workspace.open() as ws:\n"
        "    die = SendCheckpoints(after_intent=lambda: os.kill(os.getpid(), signal.SIGKILL))\n"
        "    submit(ws, plan_submit(ws, SubmitSource(Path(sys.argv[1]))), checkpoints=die)\n"
    )
    proc = subprocess.run([sys.executable, "-c", dies_after_intent, str(source)], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    with Workspace.open() as ws:
        assert states(ws, "job-1") == ["intent"]
    assert emulator.stats.calls("create") == 0
    proc = subprocess.run(
        [sys.executable, "-m", "batchdeck", "submit", str(source), "--yes"], capture_output=True, timeout=120, text=True
    )
    assert proc.returncode == 0 and "job-1: resumed" in proc.stdout, proc.stderr
    assert "never reached the API; it will be sent" in proc.stderr
    assert emulator.stats.calls("create") == 1 and len(client_batches(emulator)) == 1


def test_a_rerun_right_after_a_crash_waits_before_calling_the_create_lost(
    home: Path, emulator: Emulator, tmp_path: Path
) -> None:
    from datetime import timedelta

    from batchdeck.core.jobs.send import Uncertain

    settle_after(30)  # the default: a create cut short may still be being made by the API
    source = tmp_path / "r.jsonl"
    write_requests(source, 5)
    with Workspace.open() as ws:
        dies = SendCheckpoints(after_intent=crash)
        with pytest.raises(Crash):
            submit(ws, plan_submit(ws, SubmitSource(source)), checkpoints=dies)
        with pytest.raises(Uncertain, match=r"job-1 part 1: .* run again in (29|30)s \(nothing was sent\)"):
            submit(ws, plan_submit(ws, SubmitSource(source)))
        assert emulator.stats.calls("create") == 0 and states(ws, "job-1") == ["intent"]
    later = Workspace.open(clock=lambda: datetime.now(UTC) + timedelta(seconds=31))
    with later as ws:
        result = submit(ws, plan_submit(ws, SubmitSource(source)))
    assert result.resumed and emulator.stats.calls("create") == 1 and len(client_batches(emulator)) == 1
