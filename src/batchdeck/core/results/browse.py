"""Paged, filtered reads of one batch's result index, for a view that shows 100,000 rows at once.

A view never holds every row: it asks for the match count, then for 256-row pages as they
scroll into sight. Pages are fetched by keyset (`custom_id > last key of the page before`)
when a neighbour is known, which stays ~1 ms at any depth; a jump far away (End, a drag
of the scrollbar) falls back to OFFSET once, and the pages after it are keyset again.
One connection, guarded by a lock, so thread workers can share a browser.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from batchdeck.core.results.filter import ALL_ROWS, ResultFilter
from batchdeck.core.store.db import Database
from batchdeck.core.store.result_repo import ROW_COLUMNS, ResultRow

PAGE_ROWS = 256
PAGES_KEPT = 64  # 16,384 rows: a few screens either way of wherever the user is


class ResultsBrowser:
    def __init__(self, db_path: Path, profile: str, batch_id: str, flt: ResultFilter = ALL_ROWS) -> None:
        self.db = Database(db_path)
        self.profile = profile
        self.batch_id = batch_id
        self.filter = flt
        self._lock = threading.Lock()
        self._pages: OrderedDict[int, list[ResultRow]] = OrderedDict()
        self._count: int | None = None

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def set_filter(self, flt: ResultFilter) -> None:
        with self._lock:
            self.filter = flt
            self._pages.clear()
            self._count = None

    def _base(self, flt: ResultFilter) -> tuple[str, list[Any]]:
        where, args = flt.where()
        return " FROM results WHERE profile = ? AND batch_id = ?" + where, [self.profile, self.batch_id, *args]

    def count(self) -> int:
        with self._lock:
            if self._count is None:
                flt = self.filter
                if not flt.search and not flt.error_type and flt.outcomes in ((), ("succeeded",)):
                    # Most rows succeed: count them as "all but the failed" (the failed have their own index).
                    total = self._stored_rows()
                    self._count = total if not flt.outcomes else total - sum(self._failed_counts().values())
                else:
                    tail, args = self._base(flt)
                    self._count = int(self.db.conn.execute("SELECT COUNT(*)" + tail, args).fetchone()[0])
            return self._count

    def _stored_rows(self) -> int:
        """The row count the download recorded (no scan of 100,000 rows for it)."""
        found = self.db.conn.execute(
            "SELECT rows FROM result_sets WHERE profile = ? AND batch_id = ?", (self.profile, self.batch_id)
        ).fetchone()
        return int(found[0]) if found else 0

    def _failed_counts(self) -> dict[str, int]:
        return {
            o: n
            for o, n in self.db.conn.execute(
                "SELECT outcome, COUNT(*) FROM results WHERE profile = ? AND batch_id = ? AND outcome != 'succeeded' "
                "GROUP BY outcome",
                (self.profile, self.batch_id),
            )
        }

    def page(self, number: int) -> list[ResultRow]:
        """Rows number*256 … number*256+255 of the current filter, in custom_id order."""
        with self._lock:
            if number in self._pages:
                self._pages.move_to_end(number)
                return self._pages[number]
            tail, args = self._base(self.filter)
            select = f"SELECT {', '.join(ROW_COLUMNS)}" + tail
            before, after = self._pages.get(number - 1), self._pages.get(number + 1)
            if before:
                sql, extra = select + " AND custom_id > ? ORDER BY custom_id LIMIT ?", [before[-1].custom_id, PAGE_ROWS]
                backwards = False
            elif after:
                sql = select + " AND custom_id < ? ORDER BY custom_id DESC LIMIT ?"
                extra, backwards = [after[0].custom_id, PAGE_ROWS], True
            else:
                sql, extra, backwards = self._offset_query(select, number)
            rows = [ResultRow(*r) for r in self.db.conn.execute(sql, args + extra)]
            if backwards:  # read in descending order: put back in custom_id order
                rows.reverse()
            self._pages[number] = rows
            while len(self._pages) > PAGES_KEPT:
                self._pages.popitem(last=False)
            return rows

    def _offset_query(self, select: str, number: int) -> tuple[str, list[Any], bool]:
        """A page far from any known one: OFFSET from whichever end is nearer (End is as quick as Home)."""
        first = number * PAGE_ROWS
        total = self._count
        if total is None or first < total / 2:
            return select + " ORDER BY custom_id LIMIT ? OFFSET ?", [PAGE_ROWS, first], False
        last = min(first + PAGE_ROWS, total) - 1
        return (
            select + " ORDER BY custom_id DESC LIMIT ? OFFSET ?",
            [max(0, last - first + 1), total - 1 - last],
            True,
        )

    def position(self, custom_id: str) -> int | None:
        """Where a custom_id sits in the current view (for keeping the cursor on it), or None."""
        with self._lock:
            tail, args = self._base(self.filter)
            found = self.db.conn.execute("SELECT 1" + tail + " AND custom_id = ?", [*args, custom_id]).fetchone()
            if found is None:
                return None
            return int(
                self.db.conn.execute("SELECT COUNT(*)" + tail + " AND custom_id < ?", [*args, custom_id]).fetchone()[0]
            )

    def all_rows(self, custom_ids: Sequence[str] | None = None) -> list[ResultRow]:
        """Every row of the view (for an export), or just these custom_ids of the batch."""
        with self._lock:
            select = f"SELECT {', '.join(ROW_COLUMNS)}"
            if custom_ids is None:
                tail, args = self._base(self.filter)
                return [ResultRow(*r) for r in self.db.conn.execute(select + tail + " ORDER BY custom_id", args)]
            rows: list[ResultRow] = []
            chosen = sorted(custom_ids)
            for start in range(0, len(chosen), 500):
                part = chosen[start : start + 500]
                sql = (
                    select + " FROM results WHERE profile = ? AND batch_id = ? AND custom_id IN "
                    f"({', '.join('?' * len(part))}) ORDER BY custom_id"
                )
                rows += [ResultRow(*r) for r in self.db.conn.execute(sql, [self.profile, self.batch_id, *part])]
            return rows

    def facets(self) -> tuple[dict[str, int], dict[str, int]]:
        """Counts by outcome and by error type over the whole batch (the filter's choices)."""
        with self._lock:
            conn, key = self.db.conn, (self.profile, self.batch_id)
            outcomes = self._failed_counts()
            succeeded = self._stored_rows() - sum(outcomes.values())
            if succeeded:
                outcomes["succeeded"] = succeeded
            errors = {
                t: n
                for t, n in conn.execute(
                    "SELECT error_type, COUNT(*) FROM results WHERE profile = ? AND batch_id = ? "
                    "AND outcome = 'errored' AND outcome != 'succeeded' GROUP BY error_type",
                    key,
                )
                if t
            }
            return outcomes, errors
