"""Benchmark: ingesting a 100,000-result batch, against a bare stream-and-parse loop and the SDK loop.

Run: python benchmarks/ingest_bench.py [--rounds N]
The server is static and in memory: a process of its own generates the demo's 100,000-result body
once (the emulator's own lines, mixed outcomes, ~131 MB of JSONL) and then serves those bytes, and
the batch object for retrieve, from memory with the stdlib's `http.server`. The emulator is not the
server: its ~41 MB/s generation would hide the client's cost. A raw read of the body (no parsing,
no disk) shows the server is not the bottleneck.

Contenders, each in its own process (a clean peak RSS), rounds interleaved, medians of N (3):
- raw: read the body and drop it (the server's floor);
- bare: stream to disk and `json.loads` each line;
- batchdeck: `ensure_downloaded`, the path `batchdeck export ID --outcome errored` takes on first use;
- sdk: `{r.custom_id: r for r in client.messages.batches.results(id)}`.
Each child times its work from the retrieve to the last row (imports excluded: every contender
pays its own) and reports its peak RSS (imports included) and its RSS before the work.
Goals: batchdeck <= 1.5x bare's wall, peak RSS <= bare + 30 MiB, >= 5x faster than the SDK.

`--before SRC` adds the batchdeck contender on another checkout's `src/` (before vs after in one
run); `--profile` runs batchdeck once under cProfile and prints the top of the profile.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
if len(sys.argv) > 7 and sys.argv[1] == "child" and sys.argv[7]:
    sys.path.insert(0, sys.argv[7])  # `--before SRC`: the batchdeck contender runs another checkout's code

HEADERS = {"x-api-key": "bench", "anthropic-version": "2023-06-01"}
MIB = 1024 * 1024
KINDS = ("raw", "bare", "batchdeck", "sdk")
BEFORE = "before"  # the batchdeck contender on `--before SRC`
WALL_VS_BARE, RSS_OVER_BARE, SDK_OVER_US = 1.5, 30.0, 5.0


def serve() -> None:
    """The static server: generate the body once, print `base_url batch_id`, serve from memory until killed."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from batchdeck.emulator import Emulator
    from batchdeck.emulator.results import result_chunks

    emu = Emulator(speed=0, scenario="demo")
    big = max(emu.store.all_batches(), key=lambda b: b.count)
    body = b"".join(result_chunks(big))
    view = memoryview(body)
    holder: dict[str, bytes] = {}

    class Static(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path == f"/v1/messages/batches/{big.id}":
                self._send(holder["batch"], "application/json")
            elif path == f"/v1/messages/batches/{big.id}/results":
                self._send(view, "application/binary")
            else:
                self._send(
                    b'{"type":"error","error":{"type":"not_found_error","message":"no"}}', "application/json", 404
                )

        def _send(self, data: bytes | memoryview, content_type: str, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            for start in range(0, len(data), 1 << 20):
                self.wfile.write(data[start : start + (1 << 20)])

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Static)
    server.daemon_threads = True
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    holder["batch"] = json.dumps(emu.store.snapshot(big, base_url)).encode()
    print(base_url, big.id, len(body), flush=True)
    server.serve_forever()


def child(kind: str, base_url: str, batch_id: str, home: str, profiled: str = "") -> None:
    """One contender's run; prints its figures as one JSON line (and its profile to stderr when `profiled`)."""
    work, count = _contender(kind, base_url, batch_id, Path(home))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    profiler = cProfile.Profile() if profiled else None
    started, cpu = time.perf_counter(), time.process_time()
    rows = profiler.runcall(work) if profiler else work()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if profiler:
        for order, top in (("tottime", 25), ("cumulative", 30)):
            pstats.Stats(profiler, stream=sys.stderr).sort_stats(order).print_stats(top)
    figures = {"seconds": elapsed, "cpu": cpu, "peak": peak, "before": before, "rows": count(rows)}
    print(json.dumps(figures))


def _contender(kind: str, base_url: str, batch_id: str, home: Path) -> tuple[Callable[[], int], Callable[[int], int]]:
    """(the timed work, what it counted): imports and set-up happen here, before the clock starts."""
    if kind == "sdk":
        import anthropic

        def sdk() -> int:
            client = anthropic.Anthropic(base_url=base_url, api_key="bench")
            return len({r.custom_id: r for r in client.messages.batches.results(batch_id)})

        return sdk, int
    if kind == "batchdeck":
        import batchdeck.core.api.client  # noqa: F401  (the transport, imported before the clock as the SDK is)
        from batchdeck.core.config.model import Config
        from batchdeck.core.config.profiles import Profile
        from batchdeck.core.results.download import ensure_downloaded
        from batchdeck.core.workspace import Workspace

        ws = Workspace(Config(home / "c.toml"), Profile("bench", api_key="bench", base_url=base_url), home / "cache.db")
        return lambda: ensure_downloaded(ws, batch_id) or 0, lambda _: sum(ws.results.outcome_counts(batch_id).values())
    import httpx2  # noqa: F401  (imported before the clock, as the others' imports are)

    return lambda: _plain(kind, base_url, batch_id, home / "bare.jsonl"), int


def _plain(kind: str, base_url: str, batch_id: str, path: Path) -> int:
    """raw: the body's bytes, dropped (returns bytes); bare: to disk and `json.loads` per line (returns lines)."""
    import httpx2

    with httpx2.Client(base_url=base_url, headers=HEADERS, timeout=120) as client:
        url = client.get(f"/v1/messages/batches/{batch_id}").json()["results_url"]
        with client.stream("GET", url) as response:
            if kind == "raw":
                return sum(len(chunk) for chunk in response.iter_raw())
            count = 0
            pending = b""
            with open(path, "wb") as fh:
                for chunk in response.iter_raw():
                    fh.write(chunk)
                    lines = (pending + chunk).split(b"\n")
                    pending = lines.pop()
                    for line in lines:
                        json.loads(line)
                        count += 1
            return count


def run(kind: str, base_url: str, batch_id: str, profiled: bool = False, src: str = "") -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        done = subprocess.run(
            [sys.executable, __file__, "child", kind, base_url, batch_id, home, "profile" if profiled else "", src],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
    if profiled:
        print(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="*", choices=KINDS, default=list(KINDS))
    parser.add_argument("--profile", action="store_true", help="one batchdeck run under cProfile, printed")
    parser.add_argument("--before", metavar="SRC", help="also run batchdeck from another checkout's src/")
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, __file__, "serve"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert server.stdout is not None
        base_url, batch_id, size = server.stdout.readline().split()
        if args.profile:
            run("batchdeck", base_url, batch_id, profiled=True)
            return 0
        kinds = [*args.only, *([BEFORE] if args.before else [])]
        runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
        for _ in range(args.rounds):
            for kind in kinds:
                before = kind == BEFORE
                runs[kind].append(
                    run("batchdeck" if before else kind, base_url, batch_id, src=args.before if before else "")
                )
    finally:
        server.terminate()
        server.wait()
    return report(runs, int(size))


def report(runs: dict[str, list[dict[str, float]]], size: int) -> int:
    """Print each contender's medians and the ratios; 0 when every goal is met."""
    med = {k: {f: statistics.median(r[f] for r in rs) for f in rs[0]} for k, rs in runs.items()}
    print(f"body: {size / 1e6:.1f} MB; medians of {len(next(iter(runs.values())))} runs, each in its own process")
    for kind, m in med.items():
        walls = ", ".join(f"{r['seconds']:.2f}" for r in runs[kind])
        print(
            f"{kind:9} {m['seconds']:6.2f} s ({walls}), CPU {m['cpu']:5.2f} s; peak RSS {m['peak'] / MIB:6.1f} MiB "
            f"({m['before'] / MIB:5.1f} before the work); {int(m['rows']):,} {'bytes' if kind == 'raw' else 'rows'}"
        )
    if "raw" in med and "bare" in med:
        raw, bare = med["raw"]["seconds"], med["bare"]["seconds"]
        print(f"server: the raw read takes {raw / bare:.2f}x the bare loop's wall ({size / 1e6 / raw:.0f} MB/s)")
    if BEFORE in med and "batchdeck" in med:
        then, now = med[BEFORE], med["batchdeck"]
        print(
            f"before / after: {then['seconds'] / now['seconds']:.2f}x wall, {then['cpu'] / now['cpu']:.2f}x CPU"
            + (f"; before / bare: {then['seconds'] / med['bare']['seconds']:.2f}x wall" if "bare" in med else "")
        )
    if not {"bare", "batchdeck", "sdk"} <= med.keys():
        return 0
    ours, bare, sdk = med["batchdeck"], med["bare"], med["sdk"]
    vs_bare, vs_sdk = ours["seconds"] / bare["seconds"], sdk["seconds"] / ours["seconds"]
    over = (ours["peak"] - bare["peak"]) / MIB
    print(
        f"batchdeck / bare: {vs_bare:.2f}x wall (goal <= {WALL_VS_BARE}), {ours['cpu'] / bare['cpu']:.2f}x CPU; "
        f"SDK / batchdeck: {vs_sdk:.1f}x wall (goal >= {SDK_OVER_US:.0f}); peak RSS bare + {over:.1f} MiB "
        f"(goal <= {RSS_OVER_BARE:.0f}; imports alone: + {(ours['before'] - bare['before']) / MIB:.1f} MiB)"
    )
    rows_agree = ours["rows"] == bare["rows"] == sdk["rows"]
    if not rows_agree:
        print("the contenders counted different numbers of rows")
    return 0 if rows_agree and vs_bare <= WALL_VS_BARE and vs_sdk >= SDK_OVER_US and over <= RSS_OVER_BARE else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve()
    elif len(sys.argv) > 1 and sys.argv[1] == "child":
        child(*sys.argv[2:7])
    else:
        raise SystemExit(main())
