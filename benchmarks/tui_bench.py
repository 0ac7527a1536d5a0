"""Benchmark: TUI start to the first painted list at 10,000 and 100,000 cached batches, keystrokes on 100,000,
the demo's first paint, and idle CPU once background work has settled.

Run: python benchmarks/tui_bench.py
Every figure is measured in its own process, next to Textual's own floor (a one-widget app) measured in the
same run, so a loaded machine moves both. Goals (the run exits 1 when one is missed):
1. First painted list with 10,000 cached batches (median of 3): <= 2x the floor.
2. The same with 100,000: <= 1.2x the 10,000 figure (history size must not matter).
3. Each sort key (every sort, both directions) and quick filter key, and each character typed into `/`, on 100,000
   batches, from the key event
   posted (as a terminal's driver posts it) to the first frame drawn with the new view, its terminal bytes
   rendered; each key's median of 3 runs: every key <= 100 ms (their median is reported too, and a cursor
   step, a key and one frame alone, as the floor of this measure).
4. `batchdeck demo` from process start to its first painted row: <= 1.5 s (its emulator, job and folder
   included; the floor is shown beside it).
5. Idle CPU with the demo workspace's 5 live batches polling, measured once background work (the results
   downloads the demo starts) has settled: < 2% of a core. The downloads' own CPU and time are reported apart.
The caches are written straight through the sync's store call (`cached_history.py`); the app polls a port
nothing listens on, so no sync changes them between runs.
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
sys.path.insert(0, str(ROOT / "src"))

from benchmarks.cached_history import fill  # noqa: E402

from tests.emulator_process import EmulatorProcess  # noqa: E402

CHILD = str(Path(__file__).with_name("tui_child.py"))
NOWHERE = "http://127.0.0.1:9"  # connection refused: the first poll fails at once and writes nothing
FLOOR_RATIO, HISTORY_RATIO, KEY_GOAL, DEMO_GOAL, CPU_GOAL = 2.0, 1.2, 0.100, 1.5, 2.0
IDLE_SECONDS, SETTLE_WINDOW, SETTLE_LIMIT = 20.0, 3.0, 240.0


def child(mode: str, db: Path, base_url: str = NOWHERE, *extra: str) -> tuple[float, list[str]]:
    """Run the child; (its PAINT time from process start, or 0, and its output lines)."""
    started = time.time()
    out = subprocess.run(
        [sys.executable, CHILD, mode, str(db), base_url, *extra],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT / "src")},
    ).stdout
    lines = out.splitlines()
    paint = next((float(line.split()[1]) - started for line in lines if line.startswith("PAINT")), 0.0)
    return paint, lines


def median_paint(mode: str, db: Path) -> float:
    return statistics.median(child(mode, db)[0] for _ in range(3))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu(home: Path) -> tuple[float, float, float]:
    """(idle % of a core once settled, CPU seconds and wall seconds of the work before: the first sync and the
    results downloads, which end when the app says so)."""
    with EmulatorProcess("--scenario", "demo", "--speed", "0", "--quiet") as emu:
        proc = subprocess.Popen(
            [sys.executable, CHILD, "idle", str(home / "idle.db"), emu.base_url, str(SETTLE_LIMIT + IDLE_SECONDS + 5)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=os.environ | {"PYTHONPATH": str(ROOT / "src")},
        )
        started = time.monotonic()
        assert proc.stdout is not None
        for line in proc.stdout:  # the downloads end with SETTLED (or the run ends: then nothing settles)
            if line.startswith("SETTLED") or time.monotonic() - started > SETTLE_LIMIT:
                break
        settle_cpu, settle_wall = cpu_seconds(proc.pid), time.monotonic() - started
        time.sleep(SETTLE_WINDOW)  # the last download's cache reload lands
        before, t0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(IDLE_SECONDS)
        used, elapsed = cpu_seconds(proc.pid) - before, time.monotonic() - t0
        proc.kill()
        proc.wait(timeout=30)
    return 100.0 * used / elapsed, settle_cpu, settle_wall


def key_times(db: Path, runs: int = 3) -> dict[str, float]:
    """Each key's median over `runs` runs, each in its own process."""
    times: dict[str, list[float]] = {}
    for _ in range(runs):
        for line in child("keys", db)[1]:
            if line.startswith("KEY"):
                times.setdefault(line.split()[1], []).append(float(line.split()[2]))
    return {key: statistics.median(seen) for key, seen in times.items()}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        for count in (10_000, 100_000):
            fill(home / f"cache-{count}.db", "bench", count)
        floor = median_paint("baseline", home / "cache-10000.db")
        paint10 = median_paint("paint", home / "cache-10000.db")
        paint100 = median_paint("paint", home / "cache-100000.db")
        keys = key_times(home / "cache-100000.db")
        demo = statistics.median(child("demo", home / "unused.db")[0] for _ in range(3))
        cpu, settle_cpu, settle_wall = idle_cpu(home)
    floor_key = statistics.median(t for k, t in keys.items() if k.startswith("floor"))
    keys = {k: t for k, t in keys.items() if not k.startswith("floor")}
    key_median, (slowest, slow_key) = statistics.median(keys.values()), max((t, k) for k, t in keys.items())
    print(f"Textual's floor (one-widget app), first paint: {floor:.2f} s")
    print(f"first painted list, 10,000 cached batches: {paint10:.2f} s = {paint10 / floor:.2f}x the floor (goal <= 2x)")
    print(
        f"first painted list, 100,000 cached batches: {paint100:.2f} s = {paint100 / paint10:.2f}x the 10,000 figure "
        f"(goal <= {HISTORY_RATIO}x), {paint100 / floor:.2f}x the floor"
    )
    print(
        f"keys on 100,000 batches ({len(keys)} presses: 8 sorts, reverse, 8 sorts ascending, 5 quick filters, `/` and 9 characters): "
        f"each key's median of 3 runs, key event to frame drawn: slowest {1000 * slowest:.0f} ms ({slow_key}; "
        f"goal: every key <= {1000 * KEY_GOAL:.0f} ms), median {1000 * key_median:.0f} ms; "
        f"a cursor step: {1000 * floor_key:.0f} ms"
    )
    print(
        f"`batchdeck demo`, process start to first painted row: {demo:.2f} s (goal <= {DEMO_GOAL} s), {demo / floor:.2f}x the floor"
    )
    print(f"idle CPU with 5 live batches polling, once settled: {cpu:.2f}% of a core (goal < {CPU_GOAL}%)")
    print(
        f"background work before it settled (first sync, results downloads): {settle_cpu:.1f} s of CPU over {settle_wall:.0f} s"
    )
    missed = [
        paint10 > FLOOR_RATIO * floor,
        paint100 > HISTORY_RATIO * paint10,
        slowest > KEY_GOAL,
        demo > DEMO_GOAL,
        cpu >= CPU_GOAL,
    ]
    return 1 if any(missed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
