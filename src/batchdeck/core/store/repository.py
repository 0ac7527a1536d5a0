"""What every repository shares: one profile's rows in the cache, read and written through this thread's connection.

Each subclass owns the SQL of one table (or one table and its index), so a table's queries have one home."""

from __future__ import annotations

import sqlite3

from batchdeck.core.store.db import Database


class Repository:
    def __init__(self, db: Database, profile: str) -> None:
        self.db = db
        self.profile = profile

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (the `Database` keeps one per thread)."""
        return self.db.conn
