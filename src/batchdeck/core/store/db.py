"""Opening the cache: one SQLite file, mode 0600, WAL, migrated forward, with clear errors.

Every write goes through `transaction()`, so a process killed at any point leaves either
the whole change or none of it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from batchdeck.core.config.paths import private_dir
from batchdeck.core.errors import CacheError
from batchdeck.core.store.batch_text import TEXT_FUNCTIONS
from batchdeck.core.store.migrations import LOCAL_TABLES, MIGRATIONS, SCHEMA_VERSION

REBUILD_HINT = "rebuild it with `batchdeck sync --rebuild` (labels, notes and other local data are carried over)"


# SQLite errors that say nothing about the file's health: rebuilding would not help.
NOT_DAMAGE = {
    "database or disk is full": "the disk is full; free some space and run the command again",
    "database is locked": "another batchdeck process is writing to it; try again when it has finished",
}


def unreadable(path: Path, exc: Exception) -> CacheError:
    denied = [p for p in (path, path.parent) if p.exists() and not os.access(p, os.R_OK | os.W_OK)]
    if denied:  # a permission problem, not damage: a rebuild would not help either
        return CacheError(
            f"cannot use the cache {path}: permission denied on {denied[0]} (it should belong to you, "
            "mode 0600 for the file and 0700 for its directory)"
        )
    for text, advice in NOT_DAMAGE.items():
        if text in str(exc):
            return CacheError(f"cannot use the cache {path} ({exc}): {advice}")
    return CacheError(f"the cache {path} is unreadable ({exc}); {REBUILD_HINT}")


class Database:
    """A connection to the cache file. Use one per thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        private_dir(self.path.parent)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
            self.conn.row_factory = sqlite3.Row
            for name, (arity, function) in TEXT_FUNCTIONS.items():  # a migration and the list's SQL call them
                self.conn.create_function(name, arity, function, deterministic=True)
            _use_wal(self.conn)
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA busy_timeout=10000")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise unreadable(self.path, exc) from None
        for suffix in ("", "-wal", "-shm"):
            sidecar = Path(f"{self.path}{suffix}")
            if sidecar.exists():
                os.chmod(sidecar, 0o600)

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise CacheError(
                f"the cache {self.path} was written by a newer batchdeck (schema {version}, this "
                f"version knows {SCHEMA_VERSION}); upgrade batchdeck"
            )
        for number in range(version, SCHEMA_VERSION):
            with self.transaction():
                # Another process may have migrated while we waited for the write lock.
                if self.conn.execute("PRAGMA user_version").fetchone()[0] > number:
                    continue
                for statement in _statements(MIGRATIONS[number]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number + 1}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextmanager
    def bulk_transaction(self) -> Iterator[sqlite3.Connection]:
        """`transaction()` for a write of many pages (a download's rows): its commit leaves the WAL
        checkpoint it would run (copying those pages into the file, and syncing it) to a thread of its
        own on a connection of its own, so the disk's work overlaps what the caller does next."""
        (every,) = self.conn.execute("PRAGMA wal_autocheckpoint").fetchone()
        self.conn.execute("PRAGMA wal_autocheckpoint=0")
        try:
            with self.transaction() as conn:
                yield conn
        finally:
            self.conn.execute(f"PRAGMA wal_autocheckpoint={int(every)}")
        threading.Thread(target=_checkpoint, args=(self.path,), name="batchdeck-checkpoint").start()

    def close(self) -> None:
        self.conn.close()


def _use_wal(conn: sqlite3.Connection, patience: float = 10.0) -> None:
    """WAL mode. A new cache is converted by the first process to get there: two processes converting it at once
    deadlock on its lock, and SQLite answers one of them "database is locked" at once, without waiting (the busy
    timeout does not apply), so that one asks again until the other has finished (`patience` seconds at most,
    as the busy timeout)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _checkpoint(path: Path) -> None:
    """A passive WAL checkpoint of the cache at `path` (readers and writers go on meanwhile). When it
    cannot run (the file is gone, or busy), the next commit's own checkpoint does the work."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, isolation_level=None, timeout=0)
    except sqlite3.Error:
        return
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error:
        pass
    finally:
        conn.close()


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def set_aside(path: Path) -> Path:
    """Move a damaged cache (and its WAL files) out of the way; returns where it went."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = path.with_name(f"{path.name}.corrupt-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            os.replace(source, Path(f"{kept}{suffix}"))
    return kept


def salvage_local_tables(damaged: Path, into: Database) -> dict[str, int]:
    """Copy what can still be read of the local-only tables from a damaged file; rows copied per table."""
    copied: dict[str, int] = {}
    try:
        old = sqlite3.connect(f"file:{damaged}?mode=ro", uri=True)
    except sqlite3.DatabaseError:
        return copied
    try:
        for table in LOCAL_TABLES:
            columns = [r[1] for r in into.conn.execute(f"PRAGMA table_info({table})")]
            rows: list[tuple[object, ...]] = []
            try:
                old_columns = {r[1] for r in old.execute(f"PRAGMA table_info({table})")}
                shared = [c for c in columns if c in old_columns]
                if not shared:
                    continue
                for row in old.execute(f"SELECT {', '.join(shared)} FROM {table}"):
                    rows.append(tuple(row))
            except sqlite3.DatabaseError:
                if not rows:
                    continue  # nothing readable; the damaged file is kept for manual recovery
            marks = ", ".join("?" * len(shared))
            with into.transaction() as conn:
                conn.executemany(f"INSERT OR REPLACE INTO {table} ({', '.join(shared)}) VALUES ({marks})", rows)
            copied[table] = len(rows)
    finally:
        old.close()
    return copied
