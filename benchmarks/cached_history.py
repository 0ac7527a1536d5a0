"""A cache holding a long history of batches, written straight to SQLite through the sync's own store call.

Filling 100,000 batches through the emulator's list endpoint would time the sync, not the TUI; the rows are
the same shape a sync writes (`BatchRepo.store`). A few batches are live, about one in ten ended with failed
rows, one in five has a label.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from batchdeck.core.store.batch_repo import BatchRepo
from batchdeck.core.store.db import Database


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def batch_object(i: int, newest: datetime, live: bool) -> dict[str, Any]:
    created = newest - timedelta(minutes=i)
    failed = 10 if i % 10 == 3 else 0
    counts = {"processing": 10 if live else 0, "succeeded": 0 if live else 100 - failed, "errored": failed}
    return {
        "id": f"msgbatch_{i:026d}",
        "type": "message_batch",
        "processing_status": "in_progress" if live else "ended",
        "request_counts": counts | {"canceled": 0, "expired": 0},
        "created_at": _iso(created),
        "expires_at": _iso(created + timedelta(days=1)),
        "ended_at": None if live else _iso(created + timedelta(minutes=30 + i % 90)),
        "cancel_initiated_at": None,
        "archived_at": None,
        "results_url": None if live else f"https://api.example/v1/messages/batches/msgbatch_{i:026d}/results",
    }


def fill(db_path: Path, profile: str, count: int, live: int = 5, newest: datetime | None = None) -> None:
    """`count` batches one minute apart, the newest `live` of them in progress; labels on one in five."""
    newest = newest or datetime.now(UTC)
    db = Database(db_path)
    repo = BatchRepo(db, profile)
    stamp = _iso(newest)
    for start in range(0, count, 5000):
        repo.store([batch_object(i, newest, i < live) for i in range(start, min(count, start + 5000))], stamp)
    for i in range(0, count, 5):
        repo.set_meta(f"msgbatch_{i:026d}", stamp, label=f"nightly-{i % 997}")
    repo.record_sync(stamp, None)
    with db.transaction() as conn:
        conn.execute("UPDATE sync_state SET full_walk_done = 1 WHERE profile = ?", (profile,))
    db.close()
