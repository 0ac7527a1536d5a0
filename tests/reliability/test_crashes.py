"""SIGKILL at seeded random moments of real `batchdeck` processes (sync, results ingest, export, submit):
afterwards the cache opens and passes `PRAGMA integrity_check`, a rerun completes, no result row is lost or
duplicated, no batch is submitted twice, and an export target is either absent or a whole file."""

from __future__ import annotations

import json
import random
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest

from batchdeck.cli import main
from batchdeck.core.config import paths
from batchdeck.core.results.download import download, ensure_downloaded, results_path
from batchdeck.core.results.export import export
from batchdeck.core.results.filter import ResultFilter
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import DEFAULT_WORKSPACE, Emulator, Rates
from batchdeck.emulator.sources import SyntheticSource, SyntheticSpec
from tests.core.conftest import cache_view, emulator_view, seed
from tests.core.jobs_helpers import client_batches, settle_after, write_requests
from tests.core.test_results import emulator_body
from tests.reliability.conftest import integrity
from tests.reliability.killer import Killer, kill_points

pytestmark = pytest.mark.slow  # whole processes killed at 20 points each, or 100,000 rows

KILLS = 20  # kill points that land while the process runs, per operation
SYNC_BATCHES = 3_000
INGEST_ROWS = 5_000
SUBMIT_REQUESTS, PART_SIZE = 60, 10
SETTLE = 0.3  # seconds before an unmatched interrupted create counts as lost (30 by default)
DAY = 86400.0


def reset_cache() -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{paths.database_file()}{suffix}").unlink(missing_ok=True)


def opens_whole() -> Workspace:
    """The cache after a kill: it opens (migrations and all) and SQLite finds nothing wrong."""
    assert integrity(paths.database_file()) == "ok"
    return Workspace.open()


def ended_batch(emulator: Emulator, rows: int) -> str:
    batch = emulator.store.new_batch(
        SyntheticSource(SyntheticSpec("kill", rows)), DEFAULT_WORKSPACE, Rates(error_rate=0.1, expire_rate=0.05)
    )
    emulator.advance(2 * DAY)
    return batch.id


def test_sync(home: Path, emulator: Emulator, tmp_path: Path) -> None:
    seed(emulator, SYNC_BATCHES, rates=Rates(error_rate=0.1))
    stored: list[int] = []

    def check() -> None:
        with opens_whole() as ws:
            count, distinct = ws.db.conn.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM batches").fetchone()
            stored.append(count)
            assert count == distinct and count % 1000 == 0  # whole pages only

    runs = kill_points(Killer(tmp_path / "out"), ["sync"], random.Random(71), KILLS, check, reset_cache)
    assert any(0 < n < SYNC_BATCHES for n in stored), stored  # kills landed mid-walk
    with Workspace.open() as ws:
        assert ws.syncer().sync().ok
        assert cache_view(ws) == emulator_view(emulator)
    print(f"sync: {KILLS} kills in {runs} runs; stored after kills {sorted(Counter(stored).items())}")


def test_results_ingest(home: Path, emulator: Emulator, tmp_path: Path) -> None:
    batch_id = ended_batch(emulator, INGEST_ROWS)
    states: list[str] = []

    def reset() -> None:
        reset_cache()
        shutil.rmtree(paths.data_dir() / "results", ignore_errors=True)
        with Workspace.open() as ws:
            ws.syncer().sync()

    def check() -> None:
        with opens_whole() as ws:
            index = ws.results
            state = index.result_set(batch_id)
            states.append(state.status if state else "none")
            count, distinct = ws.db.conn.execute("SELECT COUNT(*), COUNT(DISTINCT custom_id) FROM results").fetchone()
            assert count == distinct  # never a row twice
            if state is not None and state.complete:
                assert count == state.rows == INGEST_ROWS
                assert results_path(ws, batch_id).stat().st_size == state.bytes

    runs = kill_points(
        Killer(tmp_path / "out"), ["results", batch_id, "--limit", "1"], random.Random(72), KILLS, check, reset
    )
    assert "downloading" in states, states  # kills landed mid-ingest
    with Workspace.open() as ws:
        ensure_downloaded(ws, batch_id)
        index = ws.results
        assert index.result_set(batch_id).complete  # type: ignore[union-attr]
        assert len({r.custom_id for r in index.rows(batch_id)}) == len(index.rows(batch_id)) == INGEST_ROWS
        assert results_path(ws, batch_id).read_bytes() == emulator_body(emulator, batch_id)
    print(f"ingest: {KILLS} kills in {runs} runs; states after kills {sorted(Counter(states).items())}")


def test_export(home: Path, emulator: Emulator, tmp_path: Path) -> None:
    batch_id = ended_batch(emulator, INGEST_ROWS * 2)
    with Workspace.open() as ws:
        ws.syncer().sync()
        download(ws, batch_id)
        index = ws.results
        source = results_path(ws, batch_id)
        old = export(
            source, index.rows(batch_id, ResultFilter(("errored",)).where()), "csv", tmp_path / "old.csv"
        ).path.read_bytes()
        new = export(source, index.rows(batch_id), "csv", tmp_path / "new.csv").path.read_bytes()
    target = tmp_path / "out" / "export.csv"
    seen: list[str] = []
    rng = random.Random(73)

    def reset() -> None:  # half the time a previous export is there to be replaced
        target.unlink(missing_ok=True)
        if rng.random() < 0.5:
            target.write_bytes(old)

    def check() -> None:
        content = target.read_bytes() if target.exists() else None
        assert content in (None, old, new), f"half a file: {len(content or b'')} bytes"
        seen.append({None: "absent", old: "old", new: "new"}[content])
        if content == new:
            reset()

    argv = ["export", batch_id, "-o", str(target), "--format", "csv", "--force"]
    target.parent.mkdir()
    runs = kill_points(Killer(tmp_path / "output"), argv, rng, KILLS, check, reset)
    assert {"absent", "old"} <= set(seen), seen
    killed_leftovers = [p.name for p in target.parent.iterdir() if p != target]
    assert main(argv) == 0 and target.read_bytes() == new  # the next export clears the killed ones' temp files
    leftovers = [p.name for p in target.parent.iterdir() if p != target]
    assert leftovers == [], leftovers
    print(
        f"export: {KILLS} kills in {runs} runs; target after kills {sorted(Counter(seen).items())}; "
        f"{len(killed_leftovers)} temp files left by killed exports, removed by the next one"
    )


def test_submit(home: Path, emulator: Emulator, tmp_path: Path) -> None:
    bodies = emulator.record_create_bodies()
    source = tmp_path / "requests.jsonl"
    jobs = 0

    def reset() -> None:  # new content: a new job (a killed one is finished at the end)
        nonlocal jobs
        jobs += 1
        write_requests(source, SUBMIT_REQUESTS, prefix=f"f{jobs}")

    def sent() -> Counter[str]:
        return Counter(r["custom_id"] for body in list(bodies.values()) for r in json.loads(body)["requests"])

    settle_after(SETTLE)  # a create the killed process had sent is made by then, or never

    def check() -> None:
        time.sleep(SETTLE)
        with opens_whole():
            pass
        assert max(sent().values(), default=1) == 1  # never a request in two batches

    killer = Killer(tmp_path / "out", patches=[("batchdeck.core.jobs.split", "MAX_BATCH_REQUESTS", PART_SIZE)])

    def finished(code: int) -> bool:  # done, or killed after its last part was recorded and so refused now
        last = killer.tail().splitlines()[-1]
        return code == 0 or (code == 2 and "was already submitted as" in last)

    argv = ["submit", str(source), "--yes"]
    runs = kill_points(killer, argv, random.Random(74), KILLS, check, reset, finished)
    for n in range(1, jobs + 1):  # the same content again resumes its job: each one completes
        write_requests(source, SUBMIT_REQUESTS, prefix=f"f{n}")
        assert finished(killer.run(argv)), killer.tail()
    expected = [f"f{n}-{i:04d}" for n in range(1, jobs + 1) for i in range(SUBMIT_REQUESTS)]
    assert sent() == Counter(expected)  # every request of every job sent exactly once
    assert len(client_batches(emulator)) == jobs * (SUBMIT_REQUESTS // PART_SIZE)
    print(f"submit: {KILLS} kills in {runs} runs over {jobs} jobs, {len(client_batches(emulator))} batches")
