"""Benchmark: TUI start to the first painted list with 10,000 cached batches, and idle CPU while polling.

Run: python benchmarks/tui_bench.py
1. From process start to the first painted batch list, 10,000 batches in the cache (median of 3),
   next to Textual's own floor (a one-widget app) measured in the same run. Goal: <= 1.0 s.
2. CPU use of the app left idle for 20 s with 5 live batches polling (the demo workspace on a
   frozen emulator in another process). Goal: < 2% of a core.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from batchdeck.core.config.model import Config  # noqa: E402
from batchdeck.core.config.profiles import Profile  # noqa: E402
from batchdeck.core.workspace import Workspace  # noqa: E402
from batchdeck.emulator import DEFAULT_WORKSPACE, Emulator, Rates  # noqa: E402
from batchdeck.emulator.sources import SyntheticSource, SyntheticSpec  # noqa: E402
from tests.emulator_process import EmulatorProcess  # noqa: E402

CHILD = str(Path(__file__).with_name("tui_child.py"))
PAINT_GOAL, CPU_GOAL = 1.0, 2.0
IDLE_SECONDS, WARMUP = 20.0, 5.0


def first_paint(mode: str, db: Path, base_url: str) -> float:
    started = time.time()
    out = subprocess.run(
        [sys.executable, CHILD, mode, str(db), base_url], capture_output=True, text=True, timeout=60, cwd=ROOT
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("PAINT"))
    return float(line.split()[1]) - started


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu(home: Path) -> float:
    with EmulatorProcess("--scenario", "demo", "--speed", "0", "--quiet") as emu:
        proc = subprocess.Popen(
            [sys.executable, CHILD, "idle", str(home / "idle.db"), emu.base_url, str(WARMUP + IDLE_SECONDS + 2)],
            stdout=subprocess.DEVNULL,
            cwd=ROOT,
        )
        time.sleep(WARMUP)
        before, t0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(IDLE_SECONDS)
        used, elapsed = cpu_seconds(proc.pid) - before, time.monotonic() - t0
        proc.wait(timeout=30)
    return 100.0 * used / elapsed


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, Emulator(speed=0) as emu:
        home = Path(tmp)
        start = emu.clock.now()
        for i in range(10_000):
            emu.store.new_batch(
                SyntheticSource(SyntheticSpec(f"b{i}", 10)),
                DEFAULT_WORKSPACE,
                Rates(),
                created_at=start - 20 * 86400 + i * 60,
            )
        profile = Profile("bench", api_key="bench-key", base_url=emu.base_url)
        with Workspace(Config(home / "config.toml"), profile, home / "cache.db") as ws:
            assert ws.syncer().sync().ok
        floor = statistics.median(first_paint("baseline", home / "cache.db", emu.base_url) for _ in range(3))
        paint = statistics.median(first_paint("paint", home / "cache.db", emu.base_url) for _ in range(3))
    cpu = idle_cpu(Path(tempfile.mkdtemp()))
    print(
        f"first painted list, 10,000 cached batches: {paint:.2f} s (goal <= {PAINT_GOAL}); "
        f"Textual's floor in this run: {floor:.2f} s; ratio {paint / floor:.2f}"
    )
    print(f"idle CPU with 5 live batches polling: {cpu:.2f}% of a core (goal < {CPU_GOAL}%)")
    return 0 if paint <= PAINT_GOAL and cpu < CPU_GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
