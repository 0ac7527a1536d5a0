"""Jobs merged across resubmissions: the latest attempt wins, and two rounds of retries clear transient failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batchdeck.core.jobs.merged import job_view
from batchdeck.core.jobs.retry import plan_retry, send_plan
from batchdeck.core.jobs.submit import SubmitSource, plan_submit, submit
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from tests.core.conftest import SECRET, run_cli
from tests.core.jobs_helpers import client_batches, end_all, write_requests


def test_two_rounds_of_retries_reach_full_success(ws: Workspace, emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_rates(error_rate=0.4, expire_rate=0.2)  # kept for every batch: attempts make failures clear
    source = tmp_path / "r.jsonl"
    write_requests(source, 80)
    job_id = submit(ws, plan_submit(ws, SubmitSource(source))).job_id
    end_all(emulator)
    first = job_view(ws, job_id)
    assert first.failing > 10 and first.counts.get("expired") and first.counts.get("errored")
    failing = [first.failing]
    for _ in range(2):
        send_plan(ws, plan_retry(ws, job_id))
        view = job_view(ws, job_id)
        assert view.counts.get("processing") == failing[-1]  # only the resent rows are in flight
        end_all(emulator)
        failing.append(job_view(ws, job_id).failing)
    final = job_view(ws, job_id)
    assert failing[0] > failing[1] > failing[2] == 0
    assert final.counts == {"succeeded": 80} and len(final.submissions) == 3
    assert [s.round for s in final.submissions] == [0, 1, 2]
    assert [s.parent_batch_id for s in final.submissions] == [
        None,
        final.submissions[0].batch_id,
        final.submissions[1].batch_id,
    ]
    assert max(r.attempts for r in final.rows.values()) == 3 and len(client_batches(emulator)) == 3
    assert plan_retry(ws, job_id).selected == ()


def test_job_commands(
    home: Path, emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.set_rates(error_rate=0.5)
    source = tmp_path / "nightly.jsonl"
    write_requests(source, 20)
    code, out, err = run_cli(capsys, "submit", str(source), "--yes", "--name", "nightly")
    assert code == 0, err
    end_all(emulator)
    code, out, _ = run_cli(capsys, "job", "list")
    assert code == 0 and "job-1" in out and "nightly" in out
    code, out, _ = run_cli(capsys, "job", "show", "nightly", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["requests"] == 20 and shown["failing"] == shown["counts"].get("errored", 0) > 0
    batch_id = shown["batches"][0]["batch_id"]
    code, out, _ = run_cli(capsys, "job", "show", batch_id[9:15])  # by a part of one of its batches
    assert code == 0 and "job-1  nightly" in out and "still failing" in out
    code, out, err = run_cli(capsys, "retry", "job-1", "--yes")
    assert code == 0, err
    end_all(emulator)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "job", "export", "1")
    assert code == 0 and "merged results" in out, err
    merged = [json.loads(x) for x in (tmp_path / "job-1.jsonl").read_text().splitlines()]
    assert [m["custom_id"] for m in merged] == [f"row-{i:04d}" for i in range(20)]
    code, out, _ = run_cli(capsys, "job", "show", "job-1", "--json")
    after = json.loads(out)
    assert sum(m["result"]["type"] != "succeeded" for m in merged) == after["failing"] < shown["failing"]
    code, _, err = run_cli(capsys, "job", "export", "1")
    assert code == 2 and "already exists" in err
    code, _, err = run_cli(capsys, "job", "show", "job-42")
    assert code == 2 and "no job 'job-42'" in err
    code, out, _ = run_cli(capsys, "job", "list", "--json")
    assert json.loads(out)[0]["batches"] == [b["batch_id"] for b in after["batches"]]
    with Workspace.open() as ws:
        assert SECRET.encode() not in ws.db.path.read_bytes()


def test_a_batch_deleted_remotely_does_not_break_the_view(ws: Workspace, emulator: Emulator, tmp_path: Path) -> None:
    source = tmp_path / "r.jsonl"
    write_requests(source, 3)
    result = submit(ws, plan_submit(ws, SubmitSource(source)))
    end_all(emulator)
    ws.api.delete(result.batch_ids[0])  # before its results were ever downloaded
    view = job_view(ws, result.job_id)
    assert view.counts == {"deleted": 3} and view.failing == 0 and "deleted" in "".join(view.summary_lines())
