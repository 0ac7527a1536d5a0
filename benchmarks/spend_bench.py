"""Benchmark: the data query of `spend --json` over 10,000 batches with saved results.

Run: python benchmarks/spend_bench.py
A cache of 10,000 ended batches over 90 days, each with 10 saved results of two models (through the
results repository, as a download writes them: `begin`, `add`, `finish`), 20 labels and 50 jobs.
Measured, best of 10 each: `spend_report` and its JSON for every breakdown over the whole range,
against a plain `SELECT count(*) FROM result_sets` over the same table in the same run. Goal: every
breakdown <= 100 ms. Exits non-zero on a miss.

The goal is wall time on a machine with a core to spare. When the load average is above the number
of cores (a shared machine, busy), wall time mostly measures the wait for a core, so the CPU time of
the process (what the query itself took) is held to the goal instead; the run says which.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from batchdeck.core.results.ingest import IngestReport
from batchdeck.core.results.result_set import mark_complete
from batchdeck.core.spend.pricing import PriceBook
from batchdeck.core.spend.report import BREAKDOWNS, spend_report
from batchdeck.core.spend.span import SpendRange
from batchdeck.core.timefmt import iso
from batchdeck.core.workspace import Workspace

BATCHES = 10_000
ROWS = 10
GOAL_MS = 100.0
TIMES = 10
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
MODELS = ("claude-haiku-4-5-20251001", "claude-sonnet-4-5-20250929")


def batch_object(i: int, ended: datetime) -> dict[str, Any]:
    return {
        "id": f"msgbatch_bench{i:06d}",
        "type": "message_batch",
        "processing_status": "ended",
        "request_counts": {"processing": 0, "succeeded": ROWS, "errored": 0, "canceled": 0, "expired": 0},
        "created_at": iso(ended - timedelta(hours=1)),
        "ended_at": iso(ended),
        "expires_at": iso(ended + timedelta(hours=23)),
        "archived_at": None,
        "cancel_initiated_at": None,
        "results_url": None,
    }


def result_rows(rng: random.Random) -> list[tuple[Any, ...]]:
    """Staged rows (`ResultRepo.STAGE_COLUMNS`) of one batch: priced by `publish`, as a download's are."""
    rows = []
    for n in range(ROWS):
        model = MODELS[n % 3 == 0]
        tokens_in, tokens_out = rng.randint(100, 2000), rng.randint(10, 800)
        rows.append((f"r{n}", "succeeded", None, None, "end_turn", model, tokens_in, tokens_out, 0, 0, 0, 0, 1))
    return rows


def build(ws: Workspace) -> None:
    """10,000 batches whose results are saved the way a download saves them: stage, publish, totals, complete."""
    rng = random.Random(15)
    now = ws.now()
    prices = PriceBook()
    objects = [batch_object(i, NOW - timedelta(minutes=13 * i)) for i in range(BATCHES)]
    ws.batches.store(objects, now)
    jobs = [ws.jobs.new_job(f"job-{j}", None, None, 0, now).id for j in range(50)]
    for i, obj in enumerate(objects):
        batch_id = obj["id"]
        ws.results.begin(batch_id, f"/nowhere/{batch_id}.jsonl", now)
        ws.results.add(batch_id, result_rows(rng))
        ws.results.publish(batch_id, prices)
        report = IngestReport(batch_id, Path(f"/nowhere/{batch_id}.jsonl"), rows=ROWS)
        mark_complete(ws.results, report, ws.results.totals(batch_id), now)
        if i % 3:
            ws.batches.set_meta(batch_id, now, label=f"label-{i % 20}")
        if i % 2:
            ws.jobs.add_submissions(jobs[i % 50], [("submit", 0, None, [], 0)], now, "created", batch_id)


def best_ms(run: Any, times: int = TIMES) -> tuple[float, float]:
    """(wall, CPU) milliseconds of the fastest run: on a shared machine the best of several runs, and
    the CPU time, show what an idle one would take."""
    best = (float("inf"), float("inf"))
    for _ in range(times):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    return best[0] * 1000, best[1] * 1000


def main() -> int:
    with tempfile.TemporaryDirectory() as home:
        os.environ.update(XDG_DATA_HOME=home, XDG_CONFIG_HOME=home, ANTHROPIC_API_KEY="bench")
        with Workspace.open() as ws:
            started = time.perf_counter()
            build(ws)
            print(f"built {BATCHES:,} batches with {ROWS} saved results each in {time.perf_counter() - started:.1f} s")
            span = SpendRange.since("1y", NOW)
            baseline, _ = best_ms(lambda: ws.db.conn.execute("SELECT count(*) FROM result_sets").fetchone())
            print(f"baseline SELECT count(*) FROM result_sets: {baseline:.2f} ms")
            load, cores = os.getloadavg()[0], os.cpu_count() or 1
            busy = load > cores
            print(f"load average {load:.1f} on {cores} cores: the goal applies to {'CPU' if busy else 'wall'} time")
            missed = []
            for by in BREAKDOWNS:
                report = spend_report(ws, span, by)
                assert report.total.batches == BATCHES, (by, report.total.batches)
                elapsed, cpu = best_ms(lambda by=by: spend_report(ws, span, by).as_json())
                print(
                    f"spend --by {by:<8} {elapsed:6.1f} ms (CPU {cpu:5.1f} ms; {elapsed / baseline:,.0f}x the count), "
                    f"{len(report.groups)} groups"
                )
                if (cpu if busy else elapsed) > GOAL_MS:
                    missed.append(by)
    if missed:
        print(f"MISSED: {', '.join(missed)} over {GOAL_MS:.0f} ms")
        return 1
    print(f"ok: every breakdown within {GOAL_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
