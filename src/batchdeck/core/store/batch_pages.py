"""The batch list read a page at a time: a view's filters and sort as SQL, keyset pages, counts and tallies.

A view (`BatchView`) is a quick filter (all, live, failed, ended, deleted), the `/` text filter (a
case-insensitive regex over id, label, note and status, `!` inverting; text that is no regex matches as
text), a sort, and optionally a scope (a set of batch ids). Rows come in the sort key's order, then newest
first (created_at DESC, id DESC) in either direction of the key, as the list always sorted them (a stable
sort of the newest-first list), so rows with equal keys keep one order and a page boundary between them is
exact: pages follow each other by keyset on (key, created_at, id), each keyset a few exact index ranges
merged in order. The id, created, requests and status sorts walk an index (migration 9), and so do label,
cost and left (their keys copied onto the row); time's ended rows walk one too (migration 10), and its few
rows not ended, whose key grows with the clock, are merged in. A view's count and a row's place in it are
counted over one narrow index holding every column the filters and sorts read.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.store.batch_order import (
    FAILED,
    GENERATED,
    INDEXED_SORTS,
    SORT_INDEXES,
    TIME_PARTS,
    Key,
    keyset_ranges,
    keyset_test,
    order_terms,
)
from batchdeck.core.store.batch_repo import BATCH_SELECT
from batchdeck.core.store.batch_text import TEXT_FUNCTIONS, text_condition
from batchdeck.core.store.db import Database
from batchdeck.core.store.repository import Repository

LIVE = "b.deleted_at IS NULL AND b.processing_status IN ('in_progress', 'canceling')"
ENDED_FAILED = f"b.deleted_at IS NULL AND b.processing_status = 'ended' AND {FAILED} > 0"

QUICK_FILTERS: dict[str, str] = {
    "all": "b.deleted_at IS NULL",
    "live": LIVE,
    "failed": ENDED_FAILED,
    "ended": "b.deleted_at IS NULL AND b.processing_status = 'ended'",
    "deleted": "b.deleted_at IS NOT NULL",
}


_JOINS = BATCH_SELECT[BATCH_SELECT.index("FROM batches b") + len("FROM batches b") :]
_LISTED = " INDEXED BY batches_listed_keys"  # every column a filter, count or sort reads (migration 9)


def _joins(view: BatchView) -> bool:
    """Whether a view's conditions read the metadata or results tables (a `/` filter other than ASCII text)."""
    return "m." in text_condition(view.text)[0]


def _from(indexed: str = _LISTED, joins: bool = True) -> str:
    """The batches, with their metadata and results joined when a `/` filter or a column reads them."""
    return f" FROM batches b{indexed}{_JOINS if joins else ''}"


# the short badge's length (`ended · 20 err · 1,049 exp`): what the STATUS column needs for failure counts
SHORT_BADGE_CHARS = (
    "(5 + CASE WHEN b.n_errored THEN 7 + length(printf('%,d', b.n_errored)) ELSE 0 END"
    " + CASE WHEN b.n_expired THEN 7 + length(printf('%,d', b.n_expired)) ELSE 0 END"
    " + CASE WHEN b.n_canceled THEN 8 + length(printf('%,d', b.n_canceled)) ELSE 0 END)"
)


@dataclass(frozen=True)
class BatchView:
    """What the list shows: a quick filter, the `/` text, a sort and its direction, and an optional scope."""

    quick: str = "all"
    text: str = ""
    sort: str = "created"
    descending: bool = True
    scope: tuple[str, ...] | None = None  # only these batch ids (None: every batch)

    def rows_key(self) -> tuple[object, ...]:
        """What decides which rows the view keeps (its sort only orders them)."""
        return self.quick, self.text, self.scope


@dataclass(frozen=True)
class ViewStats:
    """A view's row count and what its columns need (a keyset read leaves the needs 0: the list measures its rows)."""

    count: int
    badge_chars: int  # the longest short badge with failure counts (0: no row shows failures)
    label_chars: int  # the longest label of printable ASCII, in characters (= cells)
    odd_labels: tuple[str, ...]  # labels with other characters (wide, control): the widget measures them


@dataclass(frozen=True)
class Tallies:
    """The whole profile's counts for the status line (whatever the view)."""

    by_status: dict[str, int]  # not deleted, by processing_status
    failed: int  # ended with rows that did not succeed, not deleted
    total: int  # every batch, deleted ones too

    def count(self, quick: str) -> int:
        """The row count of a quick filter's view (no `/` text, no scope)."""
        kept = sum(self.by_status.values())
        live = self.by_status.get("in_progress", 0) + self.by_status.get("canceling", 0)
        ended, deleted = self.by_status.get("ended", 0), self.total - kept
        return {"all": kept, "live": live, "failed": self.failed, "ended": ended, "deleted": deleted}[quick]


@dataclass(frozen=True)
class Survey:
    """One pass over a view: its row count, the rows before a given row, and the ids of a view keeping few."""

    count: int
    rows_before: int | None  # None: no row was given
    ids: tuple[str, ...] | None  # None: it keeps more than were asked for


@dataclass(frozen=True)
class Page:
    rows: list[CachedBatch]
    keys: list[Key]


class BatchPages(Repository):
    """Pages, counts and positions of one view of the profile's batches (SQL of the `batches` table and its joins)."""

    def __init__(self, db: Database, profile: str) -> None:
        super().__init__(db, profile)
        for name, (arity, function) in TEXT_FUNCTIONS.items():
            self.conn.create_function(name, arity, function, deterministic=True)

    def _where(self, view: BatchView) -> tuple[str, dict[str, Any]]:
        sql = " WHERE b.profile = :profile AND " + QUICK_FILTERS[view.quick]
        args: dict[str, Any] = {"profile": self.profile}
        if view.scope is not None:
            sql += " AND b.id IN (SELECT value FROM json_each(:scope))"
            args["scope"] = json.dumps(list(view.scope))
        text_sql, text_args = text_condition(view.text)
        return sql + text_sql, args | text_args

    @staticmethod
    def _listed(view: BatchView) -> str:
        """Count over the narrow index, unless a scope names the few rows to look up."""
        return _LISTED if view.scope is None else ""

    def stats(self, view: BatchView) -> ViewStats:
        """The view's count and column needs: one pass over what its filters keep (the sort changes none of it)."""
        where, args = self._where(view)
        odd = "m.label GLOB '*[^ -~]*'"
        # the label's length from its sort key, which the narrow index holds (a label of printable ASCII keeps its
        # length lowercased; one with other characters keeps some, and is then read from batch_meta below)
        odd_key = "b.label_key GLOB '*[^ -~]*'"
        count, badge, plain, any_odd = self.conn.execute(
            f"SELECT COUNT(*), MAX(CASE WHEN {ENDED_FAILED} THEN {SHORT_BADGE_CHARS} END), "
            f"MAX(CASE WHEN {odd_key} THEN NULL ELSE length(b.label_key) END), MAX({odd_key})"
            + _from(self._listed(view), _joins(view))
            + where,
            args,
        ).fetchone()
        labels: tuple[str, ...] = ()
        if any_odd:
            found = self.conn.execute(
                f"SELECT DISTINCT m.label{_from(self._listed(view))}{where} AND {odd} "
                "ORDER BY length(m.label) DESC LIMIT 64",
                args,
            )
            labels = tuple(str(r[0]) for r in found)
        return ViewStats(int(count), int(badge or 0), int(plain or 0), labels)

    def count(self, view: BatchView, tallies: Tallies | None = None) -> int:
        """The view's row count: from the profile's tallies when they were read with it and the view is a quick
        filter alone, else one count over the narrow index."""
        if tallies is not None and not view.text and view.scope is None:
            return tallies.count(view.quick)
        where, args = self._where(view)
        return int(
            self.conn.execute("SELECT COUNT(*)" + _from(self._listed(view), _joins(view)) + where, args).fetchone()[0]
        )

    def position(self, view: BatchView, now: str, batch_id: str) -> int | None:
        """How many rows of the view come before this batch (None: the view leaves it out)."""
        key = self.key_of(view, now, batch_id)
        return None if key is None else self.rows_before(view, now, key)

    def rows_before(self, view: BatchView, now: str, key: Key) -> int:
        """How many rows of the view come before the row keyed `key`."""
        terms = [(GENERATED.get(e, e), not d) for e, d in order_terms(view.sort, view.descending)]
        where, args = self._where(view)
        where += f" AND ({keyset_test(terms, [f':k{i}' for i in range(len(terms))])})"
        args |= {"now": now} | {f"k{i}": value for i, value in enumerate(key)}
        # the narrow index holds every sort's columns: counting it beats a range of an order's index, which
        # reads each row it counts for the filters' columns
        found = self.conn.execute("SELECT COUNT(*)" + _from(self._listed(view), _joins(view)) + where, args)
        return int(found.fetchone()[0])

    def survey(self, view: BatchView, now: str, key: Key | None, few: int = 0) -> Survey:
        """In one pass over the narrow index: the view's row count, how many rows come before the row keyed `key`
        (when given), and, when it keeps at most `few` rows, their ids (in no order)."""
        terms = [(GENERATED.get(e, e), not d) for e, d in order_terms(view.sort, view.descending)]
        where, args = self._where(view)
        names = [f":k{i}" for i in range(len(terms))]
        before = "NULL" if key is None else f"COALESCE(SUM({keyset_test(terms, names)}), 0)"
        ids = f"CASE WHEN COUNT(*) <= {int(few)} THEN json_group_array(b.id) END" if few else "NULL"
        args |= {"now": now} | {f"k{i}": value for i, value in enumerate(key or ())}
        sql = f"SELECT COUNT(*), {before}, {ids}" + _from(self._listed(view), _joins(view)) + where
        count, rows_before, kept = self.conn.execute(sql, args).fetchone()
        return Survey(
            int(count),
            None if rows_before is None else int(rows_before),
            None if kept is None else tuple(str(i) for i in json.loads(kept)),
        )

    def page(
        self,
        view: BatchView,
        now: str,
        limit: int,
        after: Key | None = None,
        before: Key | None = None,
        offset: int = 0,
    ) -> Page:
        """Up to `limit` rows of the view in order: after the row keyed `after`, just before the row keyed
        `before` (still in order), or from `offset` (a jump: the next pages are keyset again). The keys are
        read first (from an index, never the rows' raw JSON), then the rows of the page by id."""
        terms = order_terms(view.sort, view.descending)
        backwards = before is not None
        where, args = self._where(view)
        mark = after if after is not None else before
        names = [f":k{i}" for i in range(len(terms))]
        if mark is not None:
            args |= {f"k{i}": value for i, value in enumerate(mark)}
        # an order's index is walked, except for the few live rows (found in the narrow index and sorted) and a
        # scope's few ids (looked up)
        walk = view.sort in INDEXED_SORTS and view.quick != "live" and view.scope is None
        if walk:
            indexed = f" INDEXED BY {SORT_INDEXES[view.sort][view.descending]}" if view.sort in SORT_INDEXES else ""
        else:
            indexed = "" if view.scope is not None else _LISTED
        parts = TIME_PARTS if walk and view.sort == "time" else (("", terms[0][0], None),)
        selects = []
        for condition, key, own_index in parts:
            index = indexed if own_index is None else f" INDEXED BY {own_index}"
            part = [(key, terms[0][1]), *terms[1:]]
            flipped = [(e, not d) for e, d in part] if backwards else part
            columns = ", ".join(f"{e} AS k{i}" for i, (e, _) in enumerate(part))
            test = f" AND {condition}" if condition else ""
            for keyset in [""] if mark is None else [f" AND {after}" for after in keyset_ranges(flipped, names)]:
                selects.append(f"SELECT {columns}, b.id AS id{_from(index, _joins(view))}{where}{test}{keyset}")
        # one range, or several (TIME's parts, a keyset's ranges) merged as each is read in order: SQLite reads
        # each only as far as the page needs
        order = ", ".join(f"k{i} {'DESC' if d != backwards else 'ASC'}" for i, (_, d) in enumerate(terms))
        sql = f"{' UNION ALL '.join(selects)} ORDER BY {order} LIMIT :limit OFFSET :offset"
        found = self.conn.execute(sql, args | {"now": now, "limit": limit, "offset": offset}).fetchall()
        if backwards:
            found.reverse()
        keys = [_key(r, len(terms)) for r in found]
        ids = [str(r[len(terms)]) for r in found]
        return Page(self.rows(ids), keys)

    def ordered(self, view: BatchView, now: str) -> tuple[list[str], ViewStats]:
        """Every id of the view in order, and its stats, from one pass and one sort: for a view keeping few rows,
        which an index walk would test row by row (pages are then read by id). A scope's ids are looked up one by
        one (the planner, left to itself, walks an order's whole index testing each row against them)."""
        where, args = self._where(view)
        order = ", ".join(f"{e} {'DESC' if d else 'ASC'}" for e, d in order_terms(view.sort, view.descending))
        source = _from(self._listed(view))
        if view.scope is not None:
            source, where = f" FROM json_each(:scope) s CROSS JOIN batches b{_JOINS}", f"{where} AND b.id = s.value"
        found = self.conn.execute(
            f"SELECT b.id, CASE WHEN {ENDED_FAILED} THEN {SHORT_BADGE_CHARS} END, m.label{source}{where} ORDER BY {order}",
            args | {"now": now},
        ).fetchall()
        labels = {str(r[2]) for r in found if r[2]}
        plain = [label for label in labels if label.isascii() and label.isprintable()]
        odd = sorted(labels.difference(plain), key=len, reverse=True)[:64]
        badge = max((int(r[1]) for r in found if r[1] is not None), default=0)
        stats = ViewStats(len(found), badge, max(map(len, plain), default=0), tuple(odd))
        return [str(r[0]) for r in found], stats

    def rows(self, ids: Sequence[str]) -> list[CachedBatch]:
        """These batches, in this order."""
        found = self.conn.execute(
            BATCH_SELECT + " WHERE b.profile = ? AND b.id IN (SELECT value FROM json_each(?))",
            (self.profile, json.dumps(list(ids))),
        )
        by_id = {b.id: b for b in map(CachedBatch.from_row, found)}
        return [by_id[i] for i in ids if i in by_id]

    def key_of(self, view: BatchView, now: str, batch_id: str) -> Key | None:
        """The sort values of a batch in this view, or None when the view leaves it out."""
        where, args = self._where(view)
        columns = ", ".join(f"{e} AS k{i}" for i, (e, _) in enumerate(order_terms(view.sort, view.descending)))
        tail = _from("") + where + " AND b.id = :id"
        row = self.conn.execute(f"SELECT {columns}" + tail, args | {"now": now, "id": batch_id}).fetchone()
        return None if row is None else _key(row, len(row))

    def tallies(self) -> Tallies:
        """Counts over the narrow index: by status (in its order, no sort), failed, and all (deleted too)."""
        listed = f"FROM batches b{_LISTED} WHERE b.profile = ?"
        by_status = {
            str(status): int(n)
            for status, n in self.conn.execute(
                f"SELECT b.processing_status, COUNT(*) {listed} AND b.deleted_at IS NULL GROUP BY b.processing_status",
                (self.profile,),
            )
        }
        failed = self.conn.execute(f"SELECT COUNT(*) {listed} AND {ENDED_FAILED}", (self.profile,)).fetchone()[0]
        total = self.conn.execute(f"SELECT COUNT(*) {listed}", (self.profile,)).fetchone()[0]
        return Tallies(by_status, int(failed), int(total))

    def live_or_among(self, ids: Sequence[str]) -> list[CachedBatch]:
        """Every live batch, and these batches whatever their state, newest first (the live ones found in the
        narrow index: the planner, left to itself, reads every row's raw JSON for five)."""
        live = self.conn.execute(
            f"SELECT b.id FROM batches b{_LISTED} WHERE b.profile = ? AND {LIVE}", (self.profile,)
        ).fetchall()
        found = self.rows(sorted({*ids, *(str(r[0]) for r in live)}))
        return sorted(found, key=lambda b: (b.created_at, b.id), reverse=True)


def _key(row: sqlite3.Row, size: int) -> Key:
    return tuple(row[i] for i in range(size))
