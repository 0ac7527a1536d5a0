"""Under a 20% rate of injected API faults, sync, results and submit + retry end with the same data as a
fault-free run. Failures after the SDK's retries stop a run with one line; the rerun (what a user or cron
does) carries on, and the suite counts how many runs that took."""

from __future__ import annotations

import filecmp
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from batchdeck.core.errors import ApiFailure
from batchdeck.core.jobs import split
from batchdeck.core.jobs.merged import job_view
from batchdeck.core.results.download import ensure_downloaded, results_path
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import DEFAULT_WORKSPACE, Emulator, FaultConfig, Rates
from batchdeck.emulator.sources import SyntheticSource, SyntheticSpec
from tests.conftest import START
from tests.core.conftest import run_cli
from tests.core.jobs_helpers import end_all, settle_after, write_requests
from tests.reliability.conftest import COMBINED_RATE, faulted_share, faults, use_home

DAY = 86400.0
SYNC_BATCHES = 5_000
OLD_LIVE = 20  # running batches older than the newest 1,000: four list pages below the head reach them
RESULT_ROWS = 100_000
SUBMIT_REQUESTS, PART_SIZE = 300, 100
MAX_RUNS = 8  # reruns allowed before a run counts as not completing


def batch_rows(db: Path) -> list[tuple[Any, ...]]:
    """Every cached batch as the API sent it (raw JSON), and whether it is marked deleted."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT id, raw_json, deleted_at IS NULL FROM batches ORDER BY id").fetchall()
    finally:
        conn.close()


def result_rows(db: Path, batch_id: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT * FROM results WHERE batch_id = ? ORDER BY custom_id", (batch_id,)).fetchall()
    finally:
        conn.close()


def until_ok(run: Any) -> int:
    """Run `run()` until it returns true; how many runs it took."""
    for attempt in range(1, MAX_RUNS + 1):
        if run():
            return attempt
    raise AssertionError(f"still failing after {MAX_RUNS} runs")


def clean_workspace(ws: Workspace, root: Path) -> Workspace:
    """The same profile on a second cache file: the fault-free reference run."""
    return Workspace(ws.config, ws.profile, db_path=root / "cache.db")


def add_batches(emulator: Emulator, n: int, size: int, at: float, apart: float) -> None:
    """n batches of `size` rows created `at` s after the clock's time, `apart` s from each other.
    A batch of n rows runs (120 + 0.05 n) s × 0.6-1.4, so the clock decides which have ended."""
    start = emulator.clock.now()
    for i in range(n):
        emulator.store.new_batch(
            SyntheticSource(SyntheticSpec(f"b{at}-{i}", size)),
            DEFAULT_WORKSPACE,
            Rates(error_rate=0.1),
            created_at=start + at + i * apart,
        )


@pytest.mark.slow
def test_full_sync_of_5000_batches(ws: Workspace, emulator: Emulator, tmp_path: Path) -> None:
    add_batches(emulator, OLD_LIVE, 5_000, 0, 0)  # still running at +200 s, far below the first page
    add_batches(emulator, SYNC_BATCHES - OLD_LIVE - 10, 1, 10, 0.004)  # ended by +200 s
    add_batches(emulator, 10, 1, 195, 0)  # running, on the first page
    emulator.clock.set_time(emulator.clock.now() + 200)
    emulator.faults.configure(faults(seed=1))
    runs = [until_ok(lambda: ws.syncer().sync().ok)]  # the first, full walk
    runs.append(until_ok(lambda: ws.syncer().sync().ok))  # incremental: head page + pages down to the old live
    emulator.advance(DAY)  # everything ends
    runs.append(until_ok(lambda: ws.syncer().sync().ok))
    runs.append(until_ok(lambda: ws.syncer().sync(full=True).ok))
    bad, total = faulted_share(emulator)
    emulator.faults.clear()
    with clean_workspace(ws, tmp_path / "clean") as clean:
        assert clean.syncer().sync().ok
    assert len(batch_rows(ws.db.path)) == SYNC_BATCHES
    assert batch_rows(ws.db.path) == batch_rows(tmp_path / "clean" / "cache.db")
    assert bad >= 5 and 0.05 < bad / total < 0.45, (bad, total, runs)
    print(f"sync: {SYNC_BATCHES} batches, {bad}/{total} requests faulted, runs per sync {runs}")


@pytest.mark.slow
def test_results_download_of_100k_rows(ws: Workspace, emulator: Emulator, tmp_path: Path) -> None:
    batch = emulator.store.new_batch(
        SyntheticSource(SyntheticSpec("big", RESULT_ROWS)), DEFAULT_WORKSPACE, Rates(error_rate=0.05, expire_rate=0.02)
    )
    emulator.advance(2 * DAY)
    ws.syncer().sync()
    # Connections are also cut in the middle of the body (rate_cut): the download starts afresh.
    emulator.faults.configure(faults(seed=2, rate_cut=0.2))
    emulator.faults.set(cut_after_bytes=3_000_000)

    def attempt() -> bool:
        try:
            ensure_downloaded(ws, batch.id)
        except ApiFailure:
            return False
        return True

    runs = until_ok(attempt)
    bad, total = faulted_share(emulator)
    emulator.faults.clear()
    with clean_workspace(ws, tmp_path / "clean") as clean:
        ensure_downloaded(clean, batch.id)
        assert filecmp.cmp(results_path(ws, batch.id), results_path(clean, batch.id), shallow=False)
        faulted, reference = result_rows(ws.db.path, batch.id), result_rows(clean.db.path, batch.id)
    assert len(faulted) == RESULT_ROWS and faulted == reference
    assert not list(results_path(ws, batch.id).parent.glob("*.part"))
    print(f"results: {RESULT_ROWS} rows, {bad}/{total} requests faulted, {runs} runs")


def _submit_and_retry(home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """Submit a file in parts, let it end with failures, retry them: what the API received and the job's view."""
    bodies = emulator.record_create_bodies()
    emulator.set_rates(error_rate=0.3)
    source = home / "requests.jsonl"
    write_requests(source, SUBMIT_REQUESTS)
    errors: list[str] = []

    def command(*args: str) -> bool:
        code, _, err = run_cli(capsys, *args)
        errors.extend(err.splitlines())
        return code == 0

    runs = until_ok(lambda: command("submit", str(source), "--yes"))
    emulator.set_rates(error_rate=0.0)
    end_all(emulator)
    runs += until_ok(lambda: command("retry", "job-1", "--yes"))
    end_all(emulator)
    runs += until_ok(lambda: command("job", "show", "job-1"))
    emulator.faults.clear()
    with Workspace.open() as ws:
        view = job_view(ws, "job-1")
    import json

    sent = [[r["custom_id"] for r in json.loads(body)["requests"]] for body in bodies.values()]
    assert all(e.startswith("batchdeck: error: ") or e.startswith("job-1") or "resumed" in e or not e for e in errors)
    return {
        "sent": sent,
        "rows": {c: (r.outcome, r.error_type, r.attempts) for c, r in view.rows.items()},
        "parts": [(s.kind, s.round, s.request_count, s.state) for s in view.submissions],
        "runs": runs,
    }


def test_submit_and_retry(
    home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(split, "MAX_BATCH_REQUESTS", PART_SIZE)
    settle_after(0)  # a dropped connection is dropped before the emulator does anything
    emulator.faults.configure(faults(seed=3))
    faulted = _submit_and_retry(home, emulator, capsys)
    bad, total = faulted_share(emulator)
    with Emulator(speed=0, start_time=START, faults=FaultConfig(retry_after=0.01)) as quiet:
        use_home(monkeypatch, tmp_path / "clean", quiet)
        (tmp_path / "clean").mkdir()
        settle_after(0)
        reference = _submit_and_retry(tmp_path / "clean", quiet, capsys)
    assert reference["runs"] == 3 and faulted["runs"] > 3 and bad > 0, (faulted["runs"], bad, total)
    assert faulted["sent"] == reference["sent"]  # each part and the retry sent once, with the same rows
    assert len(faulted["sent"]) == len(faulted["parts"]) > SUBMIT_REQUESTS // PART_SIZE
    assert faulted["rows"] == reference["rows"] and faulted["parts"] == reference["parts"]
    assert COMBINED_RATE > 0.2
    print(f"submit+retry: {len(faulted['sent'])} batches, {bad}/{total} requests faulted, {faulted['runs']} runs")


NEAR_LIVE = 150  # live batches just below the newest 1,000: one list page refreshes them all
FAR_LIVE = 15  # live batches under 15,000 older ones: 15 more pages away, so a retrieve each


@pytest.mark.slow
def test_old_live_batches_converge_under_faults(ws: Workspace, emulator: Emulator, tmp_path: Path) -> None:
    """Without SDK retries, 20% of requests fail. The near live batches come through one list page below
    the newest; the far ones are retrieved. A failed retrieve used to stop the whole sync (0.8^n to
    finish); now each sync gets further, stalest first, and says how many are left."""
    ws.settings = ws.settings.with_values({"sync.max_retries": 0})
    add_batches(emulator, FAR_LIVE, 5_000, 0, 0)  # running at +200 s, at the bottom
    add_batches(emulator, 15_000, 1, 1, 0.001)  # ended by +200 s
    add_batches(emulator, NEAR_LIVE, 5_000, 20, 0)  # running, just below the first page
    add_batches(emulator, 1_000, 1, 25, 0.004)  # the newest 1,000, ended by +200 s
    emulator.clock.set_time(emulator.clock.now() + 200)
    assert ws.syncer().sync().ok  # the first walk, fault-free
    assert len(ws.batches.query({"live"})) == FAR_LIVE + NEAR_LIVE
    emulator.advance(DAY)  # every old batch ends
    emulator.stats.reset()
    emulator.faults.configure(faults(seed=7))
    reports = []
    while not (reports and reports[-1].ok) and len(reports) < 30:
        reports.append(ws.syncer().sync())
    emulator.faults.clear()
    assert reports[-1].ok, [r.error for r in reports]
    assert any(
        "live batch" in (r.error or "") and "not refreshed" in (r.error or "") for r in reports[:-1]
    )  # progress was reported
    assert emulator.stats.calls("list") <= 2 * len(reports)  # never listed down to the far ones
    assert ws.batches.query({"live"}) == []
    with clean_workspace(ws, tmp_path / "clean") as clean:
        assert clean.syncer().sync().ok
    assert batch_rows(ws.db.path) == batch_rows(tmp_path / "clean" / "cache.db")
    print(f"{NEAR_LIVE} + {FAR_LIVE} old live batches refreshed under faults in {len(reports)} syncs")
