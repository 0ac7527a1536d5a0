"""Resubmitting failed rows: exactly the intended custom_ids, with their original params, as a child batch."""

from __future__ import annotations

import json
from pathlib import Path

import anthropic
import pytest

from batchdeck.core.errors import UsageError
from batchdeck.core.jobs.retry import DEFAULT_INCLUDE, parse_include, plan_retry, send_plan
from batchdeck.core.jobs.submit import SubmitSource, plan_submit, submit
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from tests.core.conftest import SECRET, run_cli
from tests.core.jobs_helpers import compact, end_all, line, received, write_requests


def failing_job(ws: Workspace, emulator: Emulator, tmp_path: Path, n: int = 60) -> tuple[str, str, dict[str, bytes]]:
    """A submitted, ended job with transient errors, validation errors and canceled rows."""
    emulator.record_create_bodies()
    emulator.set_rates(error_rate=0.3)
    source = tmp_path / "r.jsonl"
    extra = [line("bad-model", model="claude-nope"), line("too-long", max_tokens=999_999)]
    lines = write_requests(source, n, extra=extra)
    result = submit(ws, plan_submit(ws, SubmitSource(source)))
    batch_id = result.batch_ids[0]
    batch = emulator.store.all_batches()[-1]
    emulator.advance(batch.duration * 0.3)
    ws.api.cancel(batch_id)  # the slowest rows end canceled
    end_all(emulator)
    emulator.set_rates(error_rate=0.0)
    return result.job_id, batch_id, {json.loads(raw)["custom_id"]: raw for raw in lines}


def outcomes(ws: Workspace, batch_id: str) -> dict[str, tuple[str, str | None]]:
    return {r.custom_id: (r.outcome, r.error_type) for r in ws.results.rows(batch_id)}


def test_selects_exactly_the_intended_rows_and_sends_the_originals(
    ws: Workspace, emulator: Emulator, tmp_path: Path
) -> None:
    job_id, batch_id, originals = failing_job(ws, emulator, tmp_path)
    plan = plan_retry(ws, job_id)
    rows = outcomes(ws, batch_id)
    transient = {"overloaded_error", "api_error", "rate_limit_error", "timeout_error"}
    expected = {c for c, (o, e) in rows.items() if o in ("expired", "canceled") or (o == "errored" and e in transient)}
    assert {"canceled", "errored:overloaded_error", "errored:api_error"} <= set(plan.categories)
    assert plan.categories["errored:not_found_error"] == 1 and plan.categories["errored:invalid_request_error"] == 1
    assert set(plan.selected) == expected and "bad-model" not in plan.selected and not plan.missing
    assert list(plan.selected) == [c for c in originals if c in expected]  # original order
    assert plan.parent_batch_id == batch_id and plan.sources == ("job store",)
    made = send_plan(ws, plan)
    assert len(made) == 1
    sent = received(emulator, made[0])
    assert [r["custom_id"] for r in sent] == list(plan.selected)
    for request in sent:  # the same params, and the same bytes on the wire as a first submission would send
        assert request == json.loads(originals[request["custom_id"]])
        assert json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode() == compact(
            originals[request["custom_id"]]
        )
    child = ws.batches.get(made[0])
    assert child is not None and child.parent_batch_id == batch_id
    subs = ws.jobs.submissions(job_id)
    assert [(s.kind, s.round, s.batch_id) for s in subs] == [("submit", 0, batch_id), ("retry", 1, made[0])]


def test_include_chooses_categories(ws: Workspace, emulator: Emulator, tmp_path: Path) -> None:
    job_id, batch_id, _ = failing_job(ws, emulator, tmp_path, 30)
    only_errors = plan_retry(ws, job_id, parse_include("errored"))  # downloads the results
    rows = outcomes(ws, batch_id)
    assert set(only_errors.selected) == {c for c, (o, _) in rows.items() if o == "errored"}
    assert "bad-model" in only_errors.selected and "too-long" in only_errors.selected
    nf = plan_retry(ws, batch_id, parse_include("errored:not_found_error"))
    assert nf.selected == ("bad-model",) and nf.target_batch == batch_id
    assert parse_include(None) == DEFAULT_INCLUDE
    assert set(plan_retry(ws, job_id, parse_include("all")).selected) == {
        c for c, (o, _) in rows.items() if o != "succeeded"
    }
    for bad in ("expird", "errored:oops", "succeeded"):
        with pytest.raises(UsageError, match=f"unknown category '{bad}' for --include"):
            parse_include(f"expired,{bad}")


def test_a_batch_already_resent_is_not_resent_twice(ws: Workspace, emulator: Emulator, tmp_path: Path) -> None:
    _, batch_id, _ = failing_job(ws, emulator, tmp_path, 30)
    first = plan_retry(ws, batch_id)
    send_plan(ws, first)
    again = plan_retry(ws, batch_id)  # the child is still running: nothing of the parent is resent
    assert again.selected == () and again.already_resent == len(first.selected)
    with pytest.raises(UsageError, match="changed since this plan was made"):
        send_plan(ws, first)


def test_a_batch_must_have_ended(ws: Workspace, emulator: Emulator, tmp_path: Path) -> None:
    source = tmp_path / "r.jsonl"
    write_requests(source, 3)
    batch_id = submit(ws, plan_submit(ws, SubmitSource(source))).batch_ids[0]
    with pytest.raises(
        UsageError, match=f"cannot resubmit the failed rows of {batch_id}: it is still running; its results"
    ):
        plan_retry(ws, batch_id)


def test_attach_then_retry_a_batch_made_elsewhere(
    ws: Workspace,
    emulator: Emulator,
    tmp_path: Path,
    client: anthropic.Anthropic,
    capsys: pytest.CaptureFixture[str],
    home: Path,
) -> None:
    emulator.record_create_bodies()
    emulator.set_rates(expire_rate=0.3)
    source = tmp_path / "theirs.jsonl"
    lines = write_requests(source, 20, prefix="t")
    batch_id = client.messages.batches.create(requests=[json.loads(raw) for raw in lines]).id
    emulator.set_rates(expire_rate=0.0)
    end_all(emulator)
    code, _, err = run_cli(capsys, "retry", batch_id, "--yes")
    assert code == 2 and f"batchdeck attach {batch_id} FILE.jsonl" in err
    partial = tmp_path / "partial.jsonl"
    partial.write_bytes(b"\n".join(lines[:18]) + b"\n")
    code, out, err = run_cli(capsys, "attach", batch_id, str(partial))
    assert (
        code == 0
        and "18 requests indexed" in out
        and "2 custom_id(s) of the batch are not in the file: t-0018, t-0019" in out
    ), err
    code, out, err = run_cli(capsys, "attach", batch_id, str(source))
    assert code == 0 and "20 requests indexed" in out and "not in the file" not in out
    code, out, _ = run_cli(capsys, "retry", batch_id, "--dry-run", "--json")
    plan = json.loads(out)
    expired = [c for c, (o, _) in outcomes(ws, batch_id).items() if o == "expired"]
    assert expired and code == 0 and sorted(plan["custom_ids"]) == sorted(expired)
    assert plan["categories"] == {"expired": len(expired)}
    assert plan["sources"] == [f"attached file {source.resolve()}"]
    creates = emulator.stats.calls("create")
    source.write_bytes(source.read_bytes() + b"\n")  # changed after attaching: refused, never misread
    code, _, err = run_cli(capsys, "retry", batch_id, "--yes")
    assert code == 1 and "changed since it was attached" in err and emulator.stats.calls("create") == creates
    code, out, err = run_cli(capsys, "attach", batch_id, str(source))
    code, out, err = run_cli(capsys, "retry", batch_id, "--yes")
    assert code == 0 and "resent" in out, err
    assert emulator.stats.calls("create") == creates + 1
    child = out.split()[-1]
    by_id = {json.loads(raw)["custom_id"]: raw for raw in lines}
    sent = received(emulator, child)
    assert sorted(r["custom_id"] for r in sent) == sorted(expired)
    assert [compact(by_id[r["custom_id"]]) for r in sent] == [
        json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode() for r in sent
    ]
    with Workspace.open() as fresh:
        assert fresh.batches.get(child).parent_batch_id == batch_id  # type: ignore[union-attr]
    assert SECRET not in out + err


def test_retry_cli_plan_confirm_and_errors(
    home: Path, emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Workspace.open() as ws:
        job_id, _, _ = failing_job(ws, emulator, tmp_path, 30)
    code, out, _ = run_cli(capsys, "retry", job_id, "--dry-run")
    assert code == 0 and "errored:not_found_error" in out and "keep" in out and "resend" in out
    assert "estimated cost: $" in out and "originals from: job store" in out
    assert "this month so far $" in out and "with this batch $" in out  # the budget line (issue 15)
    creates = emulator.stats.calls("create")
    code, _, err = run_cli(capsys, "retry", job_id)
    assert code == 2 and "pass --yes" in err and emulator.stats.calls("create") == creates
    code, _, err = run_cli(capsys, "retry", job_id, "--include", "bogus")
    assert code == 2 and "unknown category 'bogus'" in err
    code, _, err = run_cli(capsys, "retry", "job-99")
    assert code in (1, 2) and "Traceback" not in err
    code, out, err = run_cli(capsys, "retry", job_id, "--yes", "--json")
    assert code == 0 and json.loads(out)["batches"], err
    month = json.loads(out)["month"]
    assert month["budget_usd"] is None and month["with_batch_low_usd"] <= month["with_batch_high_usd"]
    assert emulator.stats.calls("create") == creates + 1
