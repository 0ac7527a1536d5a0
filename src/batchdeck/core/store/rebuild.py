"""`sync --rebuild`: start the cache afresh from the API without losing local-only data.

Kept results files are local data too: every one the index no longer knows as complete (a
damaged cache starts empty) is indexed again from the file, so results saved before an
archive stay readable.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from batchdeck.core.batches.phrases import counted
from batchdeck.core.config import toml_file
from batchdeck.core.errors import CacheError
from batchdeck.core.results.reindex import reindex_saved
from batchdeck.core.spend.pricing import PriceBook
from batchdeck.core.store.batch_repo import BatchRepo
from batchdeck.core.store.db import Database, salvage_local_tables, set_aside


@dataclass
class RebuildReport:
    damaged_copy: Path | None = None
    salvaged: dict[str, int] = field(default_factory=dict)
    reindexed: list[str] = field(default_factory=list)  # batches whose kept results file was indexed again

    def summary(self) -> str:
        if self.damaged_copy is None:
            text = "cache cleared for a full sync (local labels and notes kept)"
        else:
            rows = ", ".join(f"{n} {t} rows" for t, n in self.salvaged.items()) or "nothing readable"
            text = f"the damaged cache was kept as {self.damaged_copy}; carried over: {rows}"
        if self.reindexed:
            text += f"; saved results of {counted(len(self.reindexed), 'batch')} indexed again from their files"
        return text


def prepare_rebuild(path: Path, profile: str, prices: PriceBook | None = None) -> tuple[Database, RebuildReport]:
    """A usable database with this profile's API data cleared (or a fresh one, if the file was damaged),
    and every kept results file indexed."""
    db, report = _fresh_or_cleared(path, profile)
    report.reindexed = reindex_saved(db, path.parent / "results", prices or PriceBook(toml_file.load().prices))
    return db, report


def _fresh_or_cleared(path: Path, profile: str) -> tuple[Database, RebuildReport]:
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
    BatchRepo(db, profile).clear_batches()
    return db, report
