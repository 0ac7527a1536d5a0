"""Submit: the job keeps the requests byte for byte, parts split at both limits, dry-run figures, no duplicates."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest

from batchdeck.core.jobs import split as split_mod
from batchdeck.core.jobs.split import ENVELOPE, MAX_BATCH_BYTES, MAX_BATCH_REQUESTS, envelope_bytes, split
from batchdeck.core.jobs.submit import SubmitSource, plan_submit, submit
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from tests.core.conftest import SECRET, run_cli
from tests.core.jobs_helpers import compact, line, received, write_requests


def test_submit_keeps_the_lines_and_sends_them(ws: Workspace, emulator: Emulator, tmp_path: Path) -> None:
    emulator.record_create_bodies()
    source = tmp_path / "tickets.jsonl"
    lines = write_requests(source, 12)
    result = submit(ws, plan_submit(ws, SubmitSource(source), name="tickets"))
    assert len(result.batch_ids) == 1 and emulator.stats.calls("create") == 1
    batch_id = result.batch_ids[0]
    kept = ws.db.conn.execute(
        "SELECT custom_id, line FROM job_requests WHERE job_id = ? ORDER BY seq", (result.job_id,)
    ).fetchall()
    assert [zlib.decompress(r[1]) for r in kept] == lines  # byte for byte, as in the file
    sent = received(emulator, batch_id)
    assert [compact(raw) for raw in lines] == [
        json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode() for r in sent
    ]
    assert emulator.api.bodies[batch_id] == b'{"requests":[' + b",".join(compact(r) for r in lines) + b"]}"  # type: ignore[index]
    cached = ws.batches.get(batch_id)
    assert cached is not None and cached.source_file == str(source.resolve())
    assert cached.created_by == f"batchdeck submit ({result.job_id} part 1)"
    assert SECRET.encode() not in ws.db.path.read_bytes()


def test_split_boundaries_exactly() -> None:
    assert envelope_bytes(1, 10) == ENVELOPE + 10 and envelope_bytes(3, 30) == ENVELOPE + 32
    assert split([10, 10, 10], max_bytes=ENVELOPE + 32) == [split_mod.Part(0, 3, ENVELOPE + 32)]
    assert split([10, 10, 10], max_bytes=ENVELOPE + 31) == [
        split_mod.Part(0, 2, ENVELOPE + 21),
        split_mod.Part(2, 3, ENVELOPE + 10),
    ]
    assert [p.count for p in split([1] * 7, max_requests=3)] == [3, 3, 1]
    at_limit = split([1] * MAX_BATCH_REQUESTS)
    assert len(at_limit) == 1 and at_limit[0].count == MAX_BATCH_REQUESTS
    over = split([1] * (MAX_BATCH_REQUESTS + 1))
    assert [p.count for p in over] == [MAX_BATCH_REQUESTS, 1]
    big = 1_000_000
    n = (MAX_BATCH_BYTES - ENVELOPE + 1) // (big + 1)  # as many as fit with their commas
    parts = split([big] * (n + 1))
    assert [p.count for p in parts] == [n, 1] and parts[0].bytes <= MAX_BATCH_BYTES
    assert envelope_bytes(n + 1, big * (n + 1)) > MAX_BATCH_BYTES
    assert MAX_BATCH_REQUESTS == 100_000 and MAX_BATCH_BYTES == 256_000_000


def test_split_at_the_request_limit(
    ws: Workspace, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.record_create_bodies()
    monkeypatch.setattr(split_mod, "MAX_BATCH_REQUESTS", 10)
    source = tmp_path / "r.jsonl"
    lines = write_requests(source, 25)
    result = submit(ws, plan_submit(ws, SubmitSource(source)))
    assert [len(received(emulator, b)) for b in result.batch_ids] == [10, 10, 5]
    order = [r["custom_id"] for b in result.batch_ids for r in received(emulator, b)]
    assert order == [json.loads(raw)["custom_id"] for raw in lines]


def test_split_at_the_byte_limit(
    ws: Workspace, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.record_create_bodies()
    source = tmp_path / "r.jsonl"
    lines = write_requests(source, 9)
    sizes = [len(compact(raw)) for raw in lines]
    limit = envelope_bytes(4, sum(sizes[:4]))  # exactly four fit in the first part
    monkeypatch.setattr(split_mod, "MAX_BATCH_BYTES", limit)
    plan = plan_submit(ws, SubmitSource(source))
    result = submit(ws, plan)
    bodies = [emulator.api.bodies[b] for b in result.batch_ids]  # type: ignore[index]
    assert len(bodies[0]) == limit and all(len(b) <= limit for b in bodies)
    assert [len(b) for b in bodies] == [p.bytes for p in plan.parts]
    assert sum(len(received(emulator, b)) for b in result.batch_ids) == 9


def test_a_line_too_big_for_any_batch(
    home: Path, emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("batchdeck.core.jobs.input_check.MAX_BATCH_BYTES", 300)
    source = tmp_path / "r.jsonl"
    source.write_bytes(line("small") + b"\n" + line("huge", "x" * 400) + b"\n")
    code, _, err = run_cli(capsys, "submit", str(source), "--yes")
    assert code == 2 and "line 2: the request is" in err and "more than one batch can hold" in err
    assert emulator.stats.calls() == 0


def test_dry_run_figures(home: Path, emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "r.jsonl"
    text = "x" * 396  # json of [system, messages, tools] adds 4 characters per message wrapper below
    source.write_bytes(b"\n".join(line(f"r{i}", text, max_tokens=1000) for i in range(4)) + b"\n")
    code, out, _ = run_cli(capsys, "submit", str(source), "--dry-run", "--json")
    plan = json.loads(out)
    tokens = len(json.dumps(["", [{"role": "user", "content": text}], ""])) // 4
    assert code == 0 and plan["requests"] == 4 and len(plan["parts"]) == 1
    assert plan["bytes"] == envelope_bytes(4, sum(len(compact(line(f"r{i}", text, max_tokens=1000))) for i in range(4)))
    est = plan["estimate"]
    assert est["input_tokens_estimate"] == 4 * tokens and est["max_output_tokens"] == 4000
    assert est["low_usd"] == pytest.approx(4 * tokens * 1.0 / 1e6 * 0.5)  # haiku-4-5: $1 in, $5 out, half price
    assert est["high_usd"] == pytest.approx(4 * tokens * 0.5e-6 + 4000 * 2.5e-6)
    code, out, _ = run_cli(capsys, "submit", str(source), "--dry-run")
    assert code == 0 and "4 requests in 1 batch" in out and "at batch prices" in out
    odd = tmp_path / "odd.jsonl"
    odd.write_bytes(line("a", model="claude-unheard-of") + b"\n")
    code, out, _ = run_cli(capsys, "submit", str(odd), "--dry-run")
    assert code == 0 and "unknown price (model claude-unheard-of)" in out
    assert emulator.stats.calls() == 0


def test_the_same_file_twice_is_refused(
    home: Path, emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "r.jsonl"
    write_requests(source, 3)
    code, out, err = run_cli(capsys, "submit", str(source), "--yes")
    assert code == 0 and "job-1: submitted; 1 batch created" in out, err
    code, out, err = run_cli(capsys, "submit", str(source), "--yes")
    assert code == 2 and "already submitted as job-1" in err and "--again" in err
    assert emulator.stats.calls("create") == 1
    code, out, _ = run_cli(capsys, "submit", str(source), "--yes", "--again", "--name", "second")
    assert code == 0 and "job-2" in out and emulator.stats.calls("create") == 2


def test_confirmation_is_needed(
    home: Path, emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "r.jsonl"
    write_requests(source, 2)
    code, _, err = run_cli(capsys, "submit", str(source))  # stdin is not a terminal here
    assert code == 2 and "pass --yes" in err and emulator.stats.calls("create") == 0
