"""Benchmark: a first sync of 10,000 batches against the plain SDK loop, and the cost of an incremental sync.

Run: python benchmarks/sync_bench.py
1. Syncing 10,000 batches into an empty cache, compared in the same run with
   `list(client.messages.batches.list(limit=1000))` (best of 3 each). Goal: ratio <= 1.3.
2. API requests used by an incremental sync while 50 batches are live, all among the newest 1,000. Goal: 1.
3. API requests used by an incremental sync while 1,100 batches are live and nothing changed: 100 of them
   are older than the newest page. Goal: <= 2 (the newest page and the one below it; one retrieve each
   would be 101).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import anthropic

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from batchdeck.core.workspace import Workspace
from batchdeck.emulator import DEFAULT_WORKSPACE, Emulator, Rates
from batchdeck.emulator.sources import SyntheticSource, SyntheticSpec

BATCHES = 10_000
LIVE = 50
MANY_LIVE = 1100
MANY_LIVE_GOAL = 2
RATIO_GOAL = 1.3
STAYS_LIVE = Rates(expire_rate=1.0)  # no row ever runs: in progress until it expires at 24 h


def seed(emu: Emulator, n: int, rates: Rates | None = None, age: float = 30 * 86400, spacing: float = 60) -> None:
    """n batches, the oldest created `age` seconds ago, `spacing` seconds apart."""
    start = emu.clock.now()
    for i in range(n):
        emu.store.new_batch(
            SyntheticSource(SyntheticSpec(f"b{i}", 10)),
            DEFAULT_WORKSPACE,
            rates or Rates(),
            created_at=start - age + i * spacing,
        )


def sdk_loop(base_url: str) -> float:
    with anthropic.Anthropic(base_url=base_url, api_key="bench") as client:
        started = time.perf_counter()
        batches = list(client.messages.batches.list(limit=1000))
        elapsed = time.perf_counter() - started
    assert len(batches) == BATCHES
    return elapsed


def first_sync(base_url: str) -> float:
    with tempfile.TemporaryDirectory() as home:
        os.environ.update(
            XDG_DATA_HOME=home, XDG_CONFIG_HOME=home, ANTHROPIC_BASE_URL=base_url, ANTHROPIC_API_KEY="bench"
        )
        with Workspace.open() as ws:
            _ = ws.api  # client construction is not part of the loop being compared
            started = time.perf_counter()
            report = ws.syncer().sync()
            elapsed = time.perf_counter() - started
            assert report.ok and report.new == BATCHES
    return elapsed


def incremental_requests() -> int:
    with Emulator(speed=0) as emu, tempfile.TemporaryDirectory() as home:
        seed(emu, 2000)
        emu.set_rates(expire_rate=1.0)  # the live ones stay in progress
        client = anthropic.Anthropic(base_url=emu.base_url, api_key="bench")
        for i in range(LIVE):
            client.messages.batches.create(
                requests=[
                    {
                        "custom_id": f"r{i}",
                        "params": {
                            "model": "claude-haiku-4-5",
                            "max_tokens": 10,
                            "messages": [{"role": "user", "content": "hi"}],
                        },
                    }
                ]
            )
        return second_sync_requests(emu, home, LIVE)


def many_live_requests() -> int:
    with Emulator(speed=0) as emu, tempfile.TemporaryDirectory() as home:
        seed(emu, MANY_LIVE, STAYS_LIVE, age=MANY_LIVE, spacing=1)  # all created in the last 20 minutes
        return second_sync_requests(emu, home, MANY_LIVE)


def second_sync_requests(emu: Emulator, home: str, live: int) -> int:
    """Requests of the sync after a first one, an hour later (the `live` batches are still live)."""
    os.environ.update(
        XDG_DATA_HOME=home, XDG_CONFIG_HOME=home, ANTHROPIC_BASE_URL=emu.base_url, ANTHROPIC_API_KEY="bench"
    )
    with Workspace.open() as ws:
        ws.syncer().sync()
        emu.advance(3600)
        emu.stats.reset()
        report = ws.syncer().sync()
        assert report.ok, report.error
        cached_live = len(ws.batches.query({"live"}))
    assert cached_live == live, (cached_live, live)
    return emu.stats.calls()


def main() -> int:
    with Emulator(speed=0) as emu:
        seed(emu, BATCHES)
        emu.store.snapshot(emu.store.all_batches()[0], emu.base_url)
        sdk_loop(emu.base_url)  # warm-up: imports, connection pool, final counts
        sdk = min(sdk_loop(emu.base_url) for _ in range(3))
        ours = min(first_sync(emu.base_url) for _ in range(3))
    requests = incremental_requests()
    many = many_live_requests()
    ratio = ours / sdk
    print(
        f"first sync of {BATCHES:,} batches: {ours:.2f} s; plain SDK loop: {sdk:.2f} s; "
        f"ratio {ratio:.2f} (goal <= {RATIO_GOAL})"
    )
    print(f"incremental sync with {LIVE} live batches: {requests} API request(s) (goal: 1)")
    print(
        f"incremental sync with {MANY_LIVE:,} live batches, nothing changed: {many} API request(s) "
        f"(goal: <= {MANY_LIVE_GOAL})"
    )
    return 0 if ratio <= RATIO_GOAL and requests == 1 and many <= MANY_LIVE_GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
