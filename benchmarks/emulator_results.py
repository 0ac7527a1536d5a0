"""Benchmark: how close the emulator's HTTP results stream is to generating the same lines in-process.

Run: python benchmarks/emulator_results.py
Prints the in-process generation time (the baseline), the HTTP download time of the same
100,000-row body, their ratio (target: <= 1.6), throughput, and the emulator's peak RSS growth
while streaming (target: < 25 MB), measured in a subprocess.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from batchdeck.emulator import Emulator
from batchdeck.emulator.results import result_chunks
from tests.emulator_process import EmulatorProcess

HEADERS = {"x-api-key": "bench", "anthropic-version": "2023-06-01"}
RATIO_TARGET = 1.6
RSS_TARGET = 25_000_000


def main() -> int:
    emu = Emulator(speed=0, scenario="demo")
    big = max(emu.store.all_batches(), key=lambda b: b.count)
    emu.store.snapshot(big, "http://x")  # final counts, outside the timing
    started = time.perf_counter()
    size = sum(len(c) for c in result_chunks(big))
    baseline = time.perf_counter() - started

    with EmulatorProcess("--scenario", "demo", "--quiet") as proc:
        page = httpx2.get(f"{proc.base_url}/v1/messages/batches", params={"limit": 100}, headers=HEADERS).json()
        url = max(page["data"], key=lambda b: sum(b["request_counts"].values()))["results_url"]
        httpx2.get(f"{proc.base_url}/v1/messages/batches/{url.split('/')[-2]}", headers=HEADERS)
        rss_before = proc.peak_rss()
        started = time.perf_counter()
        received = 0
        with httpx2.stream("GET", url, headers=HEADERS, timeout=120) as response:
            for chunk in response.iter_raw(1 << 16):
                received += len(chunk)
        over_http = time.perf_counter() - started
        rss_growth = proc.peak_rss() - rss_before

    ratio = over_http / baseline
    print(f"rows: {big.count:,}  body: {size / 1e6:.1f} MB (received {received / 1e6:.1f} MB)")
    print(f"baseline, in-process generation: {baseline:.2f} s ({size / 1e6 / baseline:.0f} MB/s)")
    print(f"over HTTP:                        {over_http:.2f} s ({received / 1e6 / over_http:.0f} MB/s)")
    print(f"ratio HTTP / baseline: {ratio:.2f} (target <= {RATIO_TARGET})")
    print(f"emulator peak RSS growth while streaming: {rss_growth / 1e6:.1f} MB (target < {RSS_TARGET / 1e6:.0f} MB)")
    return 0 if ratio <= RATIO_TARGET and rss_growth < RSS_TARGET and received == size else 1


if __name__ == "__main__":
    raise SystemExit(main())
