"""Races for the README's "Reliability and security": two downloads of one batch at the same time.

Run: python benchmarks/results_race_bench.py [ROUNDS]
Each round starts two real `batchdeck results ID --json` processes together (forked from a
preloaded server, tests/reliability/killer.py) against tests/reliability/hostile_api.py, whose
first results answer is cut mid-body (2,000 rows); it counts the rounds that end with the whole
set saved: `complete`, every row indexed, the file byte for byte.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.reliability.hostile_api import HostileApi, body_of, held, plain
from tests.reliability.killer import Killer

BATCH = "msgbatch_race0001"
ROWS = 2_000


def saved_whole(home: str, body: bytes) -> bool:
    """The set is complete, every row indexed, and the file is the body byte for byte."""
    db = sqlite3.connect(f"{home}/xdg_data_home/batchdeck/cache.db")
    try:
        found = db.execute("SELECT status FROM result_sets WHERE batch_id = ?", (BATCH,)).fetchone()
        rows = db.execute("SELECT COUNT(*) FROM results WHERE batch_id = ?", (BATCH,)).fetchone()[0]
    finally:
        db.close()
    final = Path(f"{home}/xdg_data_home/batchdeck/results/default/{BATCH}.jsonl")
    return found == ("complete",) and rows == ROWS and final.exists() and final.read_bytes() == body


def one_round(number: int) -> bool:
    with HostileApi() as api, tempfile.TemporaryDirectory() as home:
        os.environ.update(
            {
                "ANTHROPIC_BASE_URL": api.base_url,
                "ANTHROPIC_API_KEY": "sk-ant-race",
                **{v: f"{home}/{v.lower()}" for v in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")},
            }
        )
        body = body_of(ROWS)
        go = threading.Event()
        go.set()
        answers = iter([held(body, len(body) // 2, go, cut=True)])
        api.add_batch(BATCH, ROWS, lambda h: next(answers, plain(body))(h))
        procs = [Killer(Path(home) / f"{i}.out").start(["results", BATCH, "--json"]) for i in range(2)]
        for proc in procs:
            proc.join(120)
        whole = saved_whole(home, body)
        print(
            f"round {number}: exit codes {[p.exitcode for p in procs]}, "
            f"{len(api.results_requests())} results requests, whole set saved: {whole}"
        )
        return whole


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    held_up = sum(one_round(n) for n in range(rounds))
    print(f"{held_up} of {rounds} rounds ended with the whole set saved")


if __name__ == "__main__":
    main()
