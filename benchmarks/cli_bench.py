"""Benchmark: start-up of a networked command against `list --cached` (no network) and `--help`.

Run: python benchmarks/cli_bench.py [--runs N] [--src PATH]
Each command runs as a fresh process (`python -m batchdeck ...`) against a loopback stdlib server
that answers from canned bytes in memory (not the emulator: the server must not be what is timed).
`show ID` syncs first (a list page, then the batch), so it pays for loading the API client.
`--src` times another checkout's `src/` (e.g. the main branch's, for a before/after).
Goal: the median of `show ID` within 2.5x the median of `list --cached`, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOAL = 2.5  # show ID / list --cached
BATCHES = 50


def canned_batches(count: int) -> list[dict[str, Any]]:
    """`count` ended batches, newest first, in the API's shape."""
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    batches = []
    for i in range(count):
        created = now - timedelta(minutes=10 * i)
        batch_id = f"msgbatch_bench{i:020d}"
        batches.append(
            {
                "id": batch_id,
                "type": "message_batch",
                "processing_status": "ended",
                "request_counts": {"processing": 0, "succeeded": 90, "errored": 5, "canceled": 0, "expired": 5},
                "created_at": created.isoformat().replace("+00:00", "Z"),
                "expires_at": (created + timedelta(hours=24)).isoformat().replace("+00:00", "Z"),
                "ended_at": (created + timedelta(minutes=5)).isoformat().replace("+00:00", "Z"),
                "cancel_initiated_at": None,
                "archived_at": None,
                "results_url": f"/v1/messages/batches/{batch_id}/results",
            }
        )
    return batches


class StaticApi(ThreadingHTTPServer):
    """Answers a list of the canned batches and a retrieve of each, from bytes built once."""

    daemon_threads = True

    def __init__(self, batches: list[dict[str, Any]]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        page = {"data": batches, "has_more": False, "first_id": batches[0]["id"], "last_id": batches[-1]["id"]}
        self.answers = {"/v1/messages/batches": json.dumps(page).encode()}
        self.answers.update({f"/v1/messages/batches/{b['id']}": json.dumps(b).encode() for b in batches})

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: StaticApi

    def do_GET(self) -> None:
        body = self.server.answers.get(self.path.split("?", 1)[0])
        status = 200 if body is not None else 404
        if body is None:
            body = b'{"type":"error","error":{"type":"not_found_error","message":"not found"},"request_id":"req_b"}'
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.send_header("request-id", "req_bench")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "batchdeck", *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"batchdeck {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (the median counts)")
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the src/ of the checkout to time")
    options = parser.parse_args()
    batches = canned_batches(BATCHES)
    server = StaticApi(batches)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "XDG_", "HTTP", "NO_PROXY"))}
        env.update({f"XDG_{d}_HOME": f"{home}/{d.lower()}" for d in ("CONFIG", "DATA", "CACHE", "STATE")})
        env.update(ANTHROPIC_API_KEY="sk-bench", ANTHROPIC_BASE_URL=server.base_url)
        env["PYTHONPATH"] = str(options.src.resolve())
        timed(["sync"], env)  # fills the cache, so `list --cached` draws rows
        commands = {"--help": ["--help"], "list --cached": ["list", "--cached"], "show ID": ["show", batches[3]["id"]]}
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(options.runs):  # interleaved, so a burst of load hits each command alike
            for name, args in commands.items():
                times[name].append(timed(args, env))
    server.shutdown()
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name:13s} median {medians[name]:.3f} s  (runs: {', '.join(f'{v:.2f}' for v in sorted(values))})")
    ratio = medians["show ID"] / medians["list --cached"]
    verdict = "ok" if ratio <= GOAL else "MISSED"
    print(f"show ID / list --cached = {ratio:.2f} (goal <= {GOAL}): {verdict}  [src: {options.src}]")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
