"""Benchmark: ingesting a 100,000-result batch, against the SDK loop and a bare stream-and-parse loop.

Run: python benchmarks/ingest_bench.py
Each contender runs in its own process (for a clean peak RSS) against `batchdeck emulator`
in another process, on the demo's 100,000-request batch (~131 MB of JSONL).
Goals: batchdeck <= 1.5x the bare loop's wall time, >= 5x faster than the SDK loop, peak RSS <= 80 MiB.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADERS = {"x-api-key": "bench", "anthropic-version": "2023-06-01"}


def child(kind: str, base_url: str, batch_id: str, home: str) -> None:
    import anthropic

    client = anthropic.Anthropic(base_url=base_url, api_key="bench")
    started = time.perf_counter()
    if kind == "sdk":
        rows = {r.custom_id: r for r in client.messages.batches.results(batch_id)}
        count = len(rows)
    elif kind == "bare":
        count = 0
        with (
            client.messages.batches.with_streaming_response.results(batch_id) as response,
            open(Path(home) / "bare.jsonl", "wb") as fh,
        ):
            pending = b""
            for chunk in response.iter_bytes(1 << 16):
                fh.write(chunk)
                lines = (pending + chunk).split(b"\n")
                pending = lines.pop()
                for line in lines:
                    json.loads(line)
                    count += 1
    else:
        from batchdeck.core.config.model import Config
        from batchdeck.core.config.profiles import Profile
        from batchdeck.core.results.download import download
        from batchdeck.core.workspace import Workspace

        profile = Profile("bench", api_key="bench", base_url=base_url)
        with Workspace(Config(Path(home) / "c.toml"), profile, Path(home) / "cache.db") as ws:
            count = download(ws, batch_id).rows
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": elapsed, "peak": peak, "rows": count}))


def run(kind: str, base_url: str, batch_id: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        out = subprocess.run(
            [sys.executable, __file__, "child", kind, base_url, batch_id, home],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    import httpx2

    from tests.emulator_process import EmulatorProcess

    with EmulatorProcess("--scenario", "demo", "--quiet", "--speed", "0") as emu:
        page = httpx2.get(f"{emu.base_url}/v1/messages/batches", params={"limit": 100}, headers=HEADERS).json()
        batch_id = max(page["data"], key=lambda b: sum(b["request_counts"].values()))["id"]
        run("bare", emu.base_url, batch_id)  # warm-up: the emulator counts the batch's rows once
        results = {kind: run(kind, emu.base_url, batch_id) for kind in ("bare", "ours", "sdk")}
    mib = 1024 * 1024
    for kind, r in results.items():
        print(f"{kind:5} {r['seconds']:6.2f} s  peak RSS {r['peak'] / mib:6.1f} MiB  rows {int(r['rows']):,}")
    vs_bare = results["ours"]["seconds"] / results["bare"]["seconds"]
    vs_sdk = results["sdk"]["seconds"] / results["ours"]["seconds"]
    peak = results["ours"]["peak"] / mib
    print(
        f"batchdeck / bare: {vs_bare:.2f}x (goal <= 1.5); SDK / batchdeck: {vs_sdk:.1f}x (goal >= 5); "
        f"peak {peak:.1f} MiB (goal <= 80)"
    )
    return 0 if vs_bare <= 1.5 and vs_sdk >= 5 and peak <= 80 else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child(*sys.argv[2:6])
    else:
        raise SystemExit(main())
