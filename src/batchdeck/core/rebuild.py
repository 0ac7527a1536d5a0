"""`sync --rebuild`: start the cache afresh from the API without losing local-only data."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from batchdeck.core.cache import BatchCache
from batchdeck.core.db import Database, salvage_local_tables, set_aside
from batchdeck.core.errors import CacheError


@dataclass
class RebuildReport:
    damaged_copy: Path | None = None
    salvaged: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        if self.damaged_copy is None:
            return "cache cleared for a full sync (local labels and notes kept)"
        rows = ", ".join(f"{n} {t} rows" for t, n in self.salvaged.items()) or "nothing readable"
        return f"the damaged cache was kept as {self.damaged_copy}; carried over: {rows}"


def prepare_rebuild(path: Path, profile: str) -> tuple[Database, RebuildReport]:
    """A usable database with this profile's API data cleared (or a fresh one, if the file was damaged)."""
    report = RebuildReport()
    try:
        db = Database(path)
        problem = db.conn.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            db.close()
            raise CacheError(problem)
    except (CacheError, sqlite3.DatabaseError):
        report.damaged_copy = set_aside(path)
        db = Database(path)
        report.salvaged = salvage_local_tables(report.damaged_copy, db)
        return db, report
    BatchCache(db, profile).clear_batches()
    return db, report
