"""Figures for the README's "Reliability and security": results downloads against a hostile server.

Run: python benchmarks/hostile_results_bench.py [case ...]
Each case runs `batchdeck.core.results.download.download` in its own process (for a clean peak RSS)
against `tests/reliability/hostile_api.py` with the shipped limits, and prints the outcome,
wall time and peak RSS. Cases: bomb (16 KB of gzip -> 16 MiB of newlines), spaces (64 KB of gzip
-> 64 MiB without a newline), long (one 64 MiB line and 7 good ones, plain), trickle (1 byte/s;
takes a minute), normal (10,000 good rows: the baseline for time and RSS).
With PYTHONPATH pointing at an older tree it measures that one (the trickle never ends there).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.reliability.hostile_api import HostileApi, body_of, gzipped, plain, trickle  # noqa: E402

BATCH = "msgbatch_bench0001"
CASES = {  # name -> (requests the batch counts, body writer factory)
    "bomb": (3, lambda stop: gzipped(b"\n" * (16 << 20))),
    "spaces": (1, lambda stop: gzipped(b" " * (64 << 20))),
    "long": (8, lambda stop: plain(b'{"x": "' + b"y" * (64 << 20) + b'"}\n' + body_of(7))),
    "normal": (10_000, lambda stop: plain(body_of(10_000))),  # the baseline: a well-formed 10,000-row body
    "trickle": (2, lambda stop: trickle(body_of(100), 1.0, stop)),
}


def peak_rss() -> float:
    """This process's peak RSS in MiB (VmHWM: ru_maxrss would count the parent's peak from before the exec)."""
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024


def child(home: str) -> None:
    import batchdeck.core.api.client  # noqa: F401 (the SDK loads before the clock starts)
    from batchdeck.core.results.download import download
    from batchdeck.core.workspace import Workspace

    started = time.perf_counter()
    try:
        with Workspace.open() as ws:
            outcome = download(ws, BATCH).summary()
    except Exception as exc:
        outcome = f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - started
    rss = peak_rss()
    print(f"{seconds:.2f} s, peak RSS {rss:.0f} MiB: {outcome}")


def run(case: str) -> None:
    total, factory = CASES[case]
    stop = threading.Event()
    with HostileApi() as api, tempfile.TemporaryDirectory() as home:
        api.add_batch(BATCH, total, factory(stop))
        env = {
            **os.environ,
            "ANTHROPIC_BASE_URL": api.base_url,
            "ANTHROPIC_API_KEY": "sk-ant-bench",
            **{var: f"{home}/{var.lower()}" for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")},
        }
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--child", home], env=env, capture_output=True, text=True, timeout=900
            ).stdout.strip()
        except subprocess.TimeoutExpired:
            out = "did not end in 900 s"
        stop.set()
        print(f"{case}: {out}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
    else:
        for name in sys.argv[1:] or list(CASES):
            run(name)
