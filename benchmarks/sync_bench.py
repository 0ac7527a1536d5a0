"""Benchmark: a first sync of 10,000 batches against the plain SDK loop, and the cost of an incremental sync.

Run: python benchmarks/sync_bench.py
1. Syncing 10,000 batches into an empty cache, compared in the same run with
   `list(client.messages.batches.list(limit=1000))` (best of 3 each). Goal: ratio <= 1.3.
2. API requests used by an incremental sync while 50 batches are live. Goal: 1.
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
RATIO_GOAL = 1.3


def seed(emu: Emulator, n: int) -> None:
    start = emu.clock.now()
    for i in range(n):
        emu.store.new_batch(
            SyntheticSource(SyntheticSpec(f"b{i}", 10)),
            DEFAULT_WORKSPACE,
            Rates(),
            created_at=start - 30 * 86400 + i * 60,
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
        os.environ.update(
            XDG_DATA_HOME=home, XDG_CONFIG_HOME=home, ANTHROPIC_BASE_URL=emu.base_url, ANTHROPIC_API_KEY="bench"
        )
        with Workspace.open() as ws:
            ws.syncer().sync()
            emu.advance(3600)
            emu.stats.reset()
            ws.syncer().sync()
        return emu.stats.calls()


def main() -> int:
    with Emulator(speed=0) as emu:
        seed(emu, BATCHES)
        emu.store.snapshot(emu.store.all_batches()[0], emu.base_url)
        sdk_loop(emu.base_url)  # warm-up: imports, connection pool, final counts
        sdk = min(sdk_loop(emu.base_url) for _ in range(3))
        ours = min(first_sync(emu.base_url) for _ in range(3))
    requests = incremental_requests()
    ratio = ours / sdk
    print(
        f"first sync of {BATCHES:,} batches: {ours:.2f} s; plain SDK loop: {sdk:.2f} s; "
        f"ratio {ratio:.2f} (goal <= {RATIO_GOAL})"
    )
    print(f"incremental sync with {LIVE} live batches: {requests} API request(s) (goal: 1)")
    return 0 if ratio <= RATIO_GOAL and requests == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
