"""The batch list's sort orders as SQL: each sort's key, the index it walks, and the keyset conditions that
read the rows after (or before) a given row, as exact index ranges for a page and as one test for a count.

Rows come in the sort key's order, then newest first (created_at DESC, id DESC) in either direction of the key,
so rows with equal keys keep one order and a keyset on (key, created_at, id) is exact.
"""

from __future__ import annotations

from typing import Any

Key = tuple[Any, ...]  # a row's sort values, then created_at and id
FAILED = "(b.n_errored + b.n_canceled + b.n_expired)"


def ms(days: str) -> str:
    """A number of days (a julianday, or a difference of two) as whole milliseconds, SQLite's own precision."""
    return f"CAST(round(86400000 * {days}) AS INTEGER)"


RUNNING_TIME = ms("(julianday(:now) - julianday(b.created_at))")
"""A batch's run time so far, in whole milliseconds: the TIME sort's key while it has not ended."""

SORT_KEYS: dict[str, tuple[str, ...]] = {
    "id": ("b.id",),
    "label": ("b.label_key",),  # the label lowercased, '' for none, kept in step by BatchRepo (migration 9)
    # failures first, then where the batch is in its life (in progress, canceling, ended, deleted), then the status
    "status": ("b.failures_key", "b.stage_key", "b.processing_status"),
    "requests": ("b.requests_key",),  # every request of the batch
    "created": ("b.created_at",),
    # in whole milliseconds, so equal durations compare equal (julianday differences are not exact): an ended
    # batch's is kept on its row (migration 10), a live one's grows with the clock
    "time": (f"COALESCE(b.time_key, {RUNNING_TIME})",),
    # LEFT counts down to the same moment whatever the clock says: expiry while live, archival after (saved
    # results, deleted: last), in whole milliseconds; kept on the row (migration 10, list_keys.keep_left_key)
    "left": ("b.left_key",),
    "cost": ("b.cost_key",),  # the results' cost, -1 for none, kept in step (migration 9)
}
# an index walks them in order (migrations 9, 10); TIME's ended rows walk one, its few others are merged in
INDEXED_SORTS = ("id", "created", "requests", "status", "label", "cost", "left", "time")
# the index each sort walks, ascending and descending (migrations 9, 10; ID walks the primary key): named, as
# the planner without statistics may walk the primary key for a keyset range of ids instead
SORT_INDEXES = {
    "created": ("batches_by_created_asc", "batches_by_created"),
    "requests": ("batches_by_requests_key", "batches_by_requests_key_desc"),
    "status": ("batches_by_failures_key", "batches_by_failures_key_desc"),
    "label": ("batches_by_label", "batches_by_label_desc"),
    "cost": ("batches_by_cost", "batches_by_cost_desc"),
    "left": ("batches_by_left", "batches_by_left_desc"),
    "time": ("batches_by_time", "batches_by_time_desc"),
}
# TIME's two parts, each with its key as a plain expression and the index it reads (None: the sort's own):
# ended rows (`time_key`'s index walked in order), and those not ended (found at the ascending index's NULLs,
# few, sorted by their time so far)
TIME_PARTS: tuple[tuple[str, str, str | None], ...] = (
    ("b.time_key IS NOT NULL", "b.time_key", None),
    ("b.time_key IS NULL", RUNNING_TIME, "batches_by_time"),
)


# The generated columns' expressions (migration 9), which a count reads from the narrow index: SQLite reads a
# virtual generated column from the table, never from an index holding the columns it is made of
GENERATED = {
    "b.requests_key": "(b.n_processing + b.n_succeeded + b.n_errored + b.n_canceled + b.n_expired)",
    "b.failures_key": FAILED,
    "b.stage_key": (
        "(CASE WHEN b.deleted_at IS NOT NULL THEN 3 WHEN b.processing_status = 'in_progress' THEN 0 "
        "WHEN b.processing_status = 'canceling' THEN 1 WHEN b.processing_status = 'ended' THEN 2 ELSE 3 END)"
    ),
}

TIE_BREAK = ("b.created_at", "b.id")  # always descending: newest first among equal keys


def order_terms(sort: str, descending: bool) -> list[tuple[str, bool]]:
    """(expression, descending) in order: the sort key, then newest first (the key's columns not repeated)."""
    keys = SORT_KEYS[sort]
    return [(k, descending) for k in keys] + [(t, True) for t in TIE_BREAK if t not in keys]


def keyset_ranges(terms: list[tuple[str, bool]], names: list[str]) -> list[str]:
    """Rows after the one whose term values are `names` (named parameters), in the terms' order, as disjoint
    conditions in that order: the first term past the row's, or it equal and the second past, and so on. Each is
    one range of an index on the terms (equal columns, then one bound), which SQLite seeks to exactly: a single
    test mixing directions would seek by its first term alone and walk a long run of equal keys row by row (most
    batches have no label, no cost, and 100 requests), and a row value over several of an index's generated
    columns is sought by the first one only."""
    return [
        " AND ".join(
            [
                *(f"{e} = {n}" for (e, _), n in zip(terms[:i], names[:i], strict=True)),
                f"{expr} {'<' if desc else '>'} {names[i]}",
            ]
        )
        for i, (expr, desc) in enumerate(terms)
    ]


def keyset_test(terms: list[tuple[str, bool]], names: list[str]) -> str:
    """`keyset_ranges` as one test, for a count over the narrow index (which seeks nothing): each run of terms in one
    direction is one row value, so a key's expression (LEFT's julian days) is computed once or twice a row."""
    tests: list[str] = []
    equal: list[str] = []
    start = 0
    while start < len(terms):
        end = start + 1
        while end < len(terms) and terms[end][1] == terms[start][1]:
            end += 1
        row, values = ", ".join(e for e, _ in terms[start:end]), ", ".join(names[start:end])
        tests.append(" AND ".join([*equal, f"({row}) {'<' if terms[start][1] else '>'} ({values})"]))
        equal.append(f"({row}) = ({values})")
        start = end
    return " OR ".join(f"({test})" for test in tests)
