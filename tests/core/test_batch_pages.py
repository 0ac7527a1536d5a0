"""The batch list's paged query: every sort and filter in SQL gives the rows the list showed when it sorted and
filtered in Python (the reference below is that code), page after page, with many equal sort keys."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from batchdeck.core import timefmt
from batchdeck.core.batches.browse import PAGE_ROWS, ListRequest, read_list, read_page
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.batches.phrases import archive_remaining, status_badge
from batchdeck.core.store import batch_repo as batch_repo_module
from batchdeck.core.store import db as db_module
from batchdeck.core.store.batch_order import INDEXED_SORTS, SORT_KEYS
from batchdeck.core.store.batch_pages import QUICK_FILTERS, BatchPages, BatchView
from batchdeck.core.store.batch_repo import BatchRepo
from batchdeck.core.store.db import Database
from batchdeck.core.store.result_repo import ResultRepo

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
NOW_TEXT = timefmt.iso(NOW)
LABELS = (None, "nightly", "Nightly-2", "ärger", "日本語ラベル", "a\x1bb", "", "zeta")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def batch_object(i: int) -> dict[str, Any]:
    """Batches in groups of three created at the same moment, in every state, many with equal counts."""
    created = NOW - timedelta(hours=2 * (i // 3))
    status = ("in_progress", "canceling", "ended", "ended", "ended")[i % 5]
    live = status != "ended"
    errored, expired, canceled = (i % 4 == 1) * 3, (i % 7 == 2) * 1500, (i % 6 == 3) * 2
    return {
        "id": f"msgbatch_{i:04d}x",
        "processing_status": status,
        "request_counts": {
            "processing": 5 if live else 0,
            "succeeded": 0 if live else 10 - (i % 3),
            "errored": 0 if live else errored,
            "expired": 0 if live else expired,
            "canceled": 0 if live else canceled,
        },
        "created_at": _iso(created),
        "expires_at": _iso(created + timedelta(days=1)),
        "ended_at": None if live else _iso(created + timedelta(minutes=10 * (i % 4))),
        "cancel_initiated_at": None,
        "archived_at": _iso(created + timedelta(days=29)) if i % 11 == 0 and not live else None,
        "results_url": None,
    }


@pytest.fixture
def store(tmp_path: Path) -> BatchPages:
    db = Database(tmp_path / "cache.db")
    repo, results = BatchRepo(db, "p"), ResultRepo(db, "p")
    repo.store([batch_object(i) for i in range(90)], NOW_TEXT)
    repo.mark_deleted([f"msgbatch_{i:04d}x" for i in range(2, 90, 17)], NOW_TEXT)
    for i in range(90):
        label = LABELS[i % len(LABELS)]
        if label is not None:
            repo.set_meta(f"msgbatch_{i:04d}x", NOW_TEXT, label=label, note="watch me" if i % 9 == 0 else None)
    for i in range(2, 90, 5):  # ended batches with saved results: LEFT says "saved", COST has a value
        batch_id = f"msgbatch_{i:04d}x"
        results.begin(batch_id, "/tmp/x", NOW_TEXT)
        cost = round((i % 4) * 0.25, 2)
        results.finish(
            batch_id,
            NOW_TEXT,
            size=1,
            rows=1,
            malformed_lines=[],
            malformed=0,
            cost=cost,
            standard=None,
            unpriced=0,
            usage=(),
        )
    repo.set_meta("msgbatch_0001x", NOW_TEXT, label="other")  # from here the reference reads the cache as stored
    return BatchPages(db, "p")


# -- the reference: what the list did in Python before it read pages ------------------------------
REFERENCE_QUICK: dict[str, Callable[[CachedBatch], bool]] = {
    "all": lambda b: b.deleted_at is None,
    "live": lambda b: b.is_live,
    "failed": lambda b: b.deleted_at is None and b.processing_status == "ended" and b.counts.failed > 0,
    "ended": lambda b: b.deleted_at is None and b.processing_status == "ended",
    "deleted": lambda b: b.deleted_at is not None,
}


def reference_match(pattern: str) -> Callable[[CachedBatch], bool]:
    invert = pattern.startswith("!")
    pattern = pattern[1:] if invert else pattern
    try:
        regex = re.compile(pattern, re.IGNORECASE)
        search: Callable[[str], bool] = lambda text: regex.search(text) is not None  # noqa: E731
    except re.error:
        needle = pattern.lower()
        search = lambda text: needle in text.lower()  # noqa: E731
    return lambda b: (
        any(search(t) for t in (b.id, b.label or "", status_badge(b), b.status_text(), b.note or "")) != invert
    )


def seconds_left(b: CachedBatch) -> float:
    if b.deleted_at or b.archived_at or b.results_saved:
        return float("inf")
    if b.is_live and b.expires_at:
        return (timefmt.parse(b.expires_at) - NOW).total_seconds()
    return archive_remaining(b, NOW)


RANK = {"in_progress": 0, "canceling": 1, "ended": 2}
REFERENCE_SORT: dict[str, Callable[[CachedBatch], Any]] = {
    "id": lambda b: b.id,
    "label": lambda b: (b.label or "").lower(),
    "status": lambda b: (b.counts.failed, 3 if b.deleted_at else RANK.get(b.processing_status, 3), b.processing_status),
    "requests": lambda b: b.counts.total,
    "created": lambda b: b.created_at,
    "time": lambda b: round(b.duration_seconds(NOW), 3),  # SQLite's julianday keeps milliseconds
    "left": seconds_left,
    "cost": lambda b: b.cost_usd if b.cost_usd is not None else -1.0,
}


def everything(store: BatchPages) -> list[CachedBatch]:
    rows = store.conn.execute(
        "SELECT b.*, m.label, m.note, r.status AS results_status, r.cost_usd FROM batches b "
        "LEFT JOIN batch_meta m ON m.batch_id = b.id LEFT JOIN result_sets r ON r.batch_id = b.id "
        "ORDER BY b.created_at DESC, b.id DESC"
    )
    return [CachedBatch.from_row(r) for r in rows]


def expected(store: BatchPages, view: BatchView) -> list[str]:
    rows = [b for b in everything(store) if REFERENCE_QUICK[view.quick](b)]
    if view.text:
        rows = [b for b in rows if reference_match(view.text)(b)]
    if view.scope is not None:
        rows = [b for b in rows if b.id in view.scope]
    rows.sort(key=REFERENCE_SORT[view.sort], reverse=view.descending)  # stable: newest first among equals
    return [b.id for b in rows]


def walk(store: BatchPages, view: BatchView, size: int) -> list[str]:
    """Every row, page after page by keyset."""
    ids: list[str] = []
    page = store.page(view, NOW_TEXT, size)
    while page.rows:
        ids += [b.id for b in page.rows]
        page = store.page(view, NOW_TEXT, size, after=page.keys[-1])
    return ids


def walk_back(store: BatchPages, view: BatchView, size: int, count: int) -> list[str]:
    """Every row, from the last page up, each page read before the one after it."""
    last = store.page(view, NOW_TEXT, size, offset=(count - 1) // size * size)
    pages = [last]
    while pages[0].rows and len(pages) * size < count + size:
        pages.insert(0, store.page(view, NOW_TEXT, size, before=pages[0].keys[0]))
    return [b.id for p in pages for b in p.rows]


# -- tests ------------------------------------------------------------------------------------
@pytest.mark.parametrize("sort", list(SORT_KEYS))
@pytest.mark.parametrize("descending", [True, False])
def test_every_sort_pages_through_equal_keys_as_the_list_sorted(store: BatchPages, sort: str, descending: bool) -> None:
    view = BatchView("all", "", sort, descending)
    want = expected(store, view)
    assert len(want) > 60
    for size in (4, 7, 256):  # 4 and 7 cut through runs of equal keys (three batches share each created_at)
        assert walk(store, view, size) == want
    assert walk_back(store, view, 7, len(want)) == want
    assert [b.id for b in store.page(view, NOW_TEXT, 10, offset=20).rows] == want[20:30]
    assert store.stats(view).count == len(want)
    for index in (0, 1, 2, 33, len(want) - 1):
        assert store.position(view, NOW_TEXT, want[index]) == index


@pytest.mark.parametrize("quick", list(QUICK_FILTERS))
@pytest.mark.parametrize(
    "text",
    [
        *(
            "",
            "nightly",
            "NIGHT",
            "^nightly$",
            "!ended",
            "1,500 expired",
            "1500 expired",
            "ärg",
            "日本",
            "watch",
            "[",
            "!",
        ),
        *(
            "MSGBATCH_0001",
            "1x",
            "x\x1fn",
            "in p",
            "leted",
            "ended · 3",
            "xpired",
            "d · ",
        ),  # an id in any case, a separator, statuses
    ],
)
def test_every_filter_keeps_what_the_list_kept(store: BatchPages, quick: str, text: str) -> None:
    for sort in ("created", "status", "label"):
        view = BatchView(quick, text, sort, True)
        want = expected(store, view)
        assert walk(store, view, 5) == want, (quick, text, sort)
        assert store.stats(view).count == len(want)


def test_a_scope_is_one_more_condition(store: BatchPages) -> None:
    ids = ("msgbatch_0004x", "msgbatch_0009x", "msgbatch_0010x", "msgbatch_0002x", "msgbatch_9999x")
    for view in (BatchView(scope=ids), BatchView("failed", "", "requests", False, ids), BatchView(scope=())):
        want = expected(store, view)
        assert walk(store, view, 2) == want
        assert store.stats(view).count == len(want)
    assert len(expected(store, BatchView(scope=ids))) == 3  # 0002 is deleted, 9999 unknown


def test_counts_and_column_needs_come_from_sql(store: BatchPages) -> None:
    batches = everything(store)
    kept = [b for b in batches if b.deleted_at is None]
    tallies = store.tallies()
    assert tallies.total == len(batches) == 90
    assert tallies.by_status == {
        s: sum(b.processing_status == s for b in kept) for s in ("in_progress", "canceling", "ended")
    }
    assert tallies.failed == sum(REFERENCE_QUICK["failed"](b) for b in batches) > 0
    stats = store.stats(BatchView())
    failed = [b for b in kept if REFERENCE_QUICK["failed"](b)]
    assert stats.badge_chars == max(len(status_badge(b, short=True)) for b in failed)
    plain = [b.label for b in kept if b.label and b.label.isascii() and b.label.isprintable()]
    assert stats.label_chars == max(len(label) for label in plain)
    assert set(stats.odd_labels) == {
        b.label for b in kept if b.label and not (b.label.isascii() and b.label.isprintable())
    }
    assert store.stats(BatchView("live")).badge_chars == 0  # no live row shows failure counts


def test_a_quick_filter_counts_from_the_tallies_read_with_it(store: BatchPages) -> None:
    """A snapshot reads the tallies and the list together: a quick filter's count is taken from them (no second
    pass over the index), and equals the count SQL gives; a `/` filter or a scope is counted in SQL."""
    tallies = store.tallies()
    for quick in QUICK_FILTERS:
        view = BatchView(quick)
        assert store.count(view, tallies) == store.count(view) == store.stats(view).count, quick
    for view in (BatchView("all", "nightly"), BatchView("ended", scope=("msgbatch_0001x", "msgbatch_0004x"))):
        assert store.count(view, tallies) == store.stats(view).count


def test_a_read_keeps_the_cursor_on_its_batch_and_reads_the_pages_in_sight(tmp_path: Path) -> None:
    db = Database(tmp_path / "cache.db")
    BatchRepo(db, "p").store([batch_object(i) for i in range(700)], NOW_TEXT)
    store = BatchPages(db, "p")
    view = BatchView(sort="requests")
    want = expected(store, view)
    keep = want[600]
    read = read_list(store, ListRequest(3, view, keep, cursor=5, top=590, height=30), NOW_TEXT)
    assert read.cursor == 600 and read.stats.count == 700
    assert sorted(read.pages) == [2]
    assert [b.id for b in read.pages[2].rows] == want[2 * PAGE_ROWS : 3 * PAGE_ROWS]
    straddling = read_list(store, ListRequest(3, view, want[250], top=240, height=30), NOW_TEXT)
    assert sorted(straddling.pages) == [0, 1]
    assert [b.id for n in (0, 1) for b in straddling.pages[n].rows] == want[: 2 * PAGE_ROWS]
    after = read_page(store, view, NOW_TEXT, 2, after=straddling.pages[1].keys[-1])
    assert [b.id for b in after.rows] == want[2 * PAGE_ROWS :]
    ended = "msgbatch_0602x"  # ended: the live view leaves it out
    gone = read_list(store, ListRequest(4, BatchView("live"), ended, cursor=500), NOW_TEXT)
    assert gone.cursor == gone.stats.count - 1  # the batch left the view: the cursor stays in the list


# -- the LABEL sort's stored key (migration 9) -------------------------------------------------------
def label_keys(store: BatchPages) -> dict[str, str]:
    return {str(r[0]): str(r[1]) for r in store.conn.execute("SELECT id, label_key FROM batches WHERE profile = 'p'")}


def test_the_stored_sort_keys_follow_the_label_and_the_results(store: BatchPages) -> None:
    repo = BatchRepo(store.db, "p")
    assert label_keys(store) == {b.id: (b.label or "").lower() for b in everything(store)}
    repo.set_meta("msgbatch_0003x", NOW_TEXT, label="ÄRGER Zwei")  # changed: Python's lower, not ASCII's
    repo.set_meta("msgbatch_0005x", NOW_TEXT, label=None)  # cleared
    repo.set_meta("msgbatch_0007x", NOW_TEXT, note="a note alone")  # the label untouched
    repo.set_meta("msgbatch_0999x", NOW_TEXT, label="First Then Stored")  # labelled before the batch is cached
    repo.store([batch_object(999) | {"id": "msgbatch_0999x"}], NOW_TEXT)
    keys = label_keys(store)
    assert (keys["msgbatch_0003x"], keys["msgbatch_0005x"]) == ("ärger zwei", "")
    assert keys["msgbatch_0007x"] == (LABELS[7 % len(LABELS)] or "").lower()
    assert keys["msgbatch_0999x"] == "first then stored"
    repo.store([batch_object(3)], NOW_TEXT)  # a sync's update keeps it
    assert label_keys(store)["msgbatch_0003x"] == "ärger zwei"
    results = ResultRepo(store.db, "p")
    results.begin("msgbatch_0004x", "/tmp/z", NOW_TEXT)  # downloading again: no cost, not complete
    results.begin("msgbatch_0009x", "/tmp/w", NOW_TEXT)
    results.finish(
        "msgbatch_0009x",
        NOW_TEXT,
        size=1,
        rows=1,
        malformed_lines=[],
        malformed=0,
        cost=9.5,
        standard=None,
        unpriced=0,
        usage=[],
    )
    results.begin("msgbatch_0013x", "/tmp/v", NOW_TEXT)
    results.fail("msgbatch_0013x", "boom", NOW_TEXT)
    stored = {str(r[0]): (r[1], r[2]) for r in store.conn.execute("SELECT id, cost_key, results_done FROM batches")}
    assert (stored["msgbatch_0004x"], stored["msgbatch_0009x"], stored["msgbatch_0013x"]) == (
        (-1.0, 0),
        (9.5, 1),
        (-1.0, 0),
    )
    for sort in ("label", "cost", "left"):
        for descending in (True, False):
            view = BatchView("all", "", sort, descending)
            assert walk(store, view, 7) == expected(store, view)
    repo.set_meta("msgbatch_0011x", NOW_TEXT, note="Find ME here")  # the `/` filter reads the note as stored
    repo.set_meta("msgbatch_0012x", NOW_TEXT, label="FIND me too")
    for text in ("find me", "!find me", "ärger zwei", "ÄRGER", "0005X", "0003X", "0999X"):  # ids whatever the label
        view = BatchView("all", text)
        assert walk(store, view, 7) == expected(store, view)
    assert walk(store, BatchView("all", "find me"), 7) == ["msgbatch_0011x", "msgbatch_0012x"]
    assert walk(store, BatchView("all", "0005X"), 7) == ["msgbatch_0005x"]  # its label cleared


def test_a_batch_that_ends_takes_its_place_in_time_order(store: BatchPages) -> None:
    repo, live = BatchRepo(store.db, "p"), batch_object(0)  # in progress: its time grows with the clock
    assert store.conn.execute("SELECT time_key FROM batches WHERE id = 'msgbatch_0000x'").fetchone()[0] is None
    ended = live | {"processing_status": "ended", "ended_at": _iso(NOW + timedelta(minutes=7))}
    repo.store([ended], NOW_TEXT)  # a sync's update: the run time is kept from here on
    kept = store.conn.execute("SELECT time_key FROM batches WHERE id = 'msgbatch_0000x'").fetchone()[0]
    assert kept == round(1000 * repo.get("msgbatch_0000x").duration_seconds(NOW))  # type: ignore[union-attr]
    for sort in ("time", "left"):  # LEFT counts down to its archival now, not its expiry
        for descending in (True, False):
            view = BatchView("all", "", sort, descending)
            assert walk(store, view, 4) == expected(store, view)


def test_migration_9_fills_the_sort_keys_of_an_existing_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_module, "SCHEMA_VERSION", 8)  # a cache as migration 8 left it
    db = Database(tmp_path / "cache.db")
    store_as_before(db, [batch_object(i) for i in range(6)])
    with db.transaction() as conn:  # written as batchdeck wrote them then (its repositories now keep the copies)
        conn.executemany(
            "INSERT INTO batch_meta (profile, batch_id, label, note, updated_at) VALUES ('p', ?, ?, ?, ?)",
            [
                ("msgbatch_0001x", "Nightly", None, NOW_TEXT),
                ("msgbatch_0002x", "日本語ÄB", None, NOW_TEXT),
                ("msgbatch_0003x", None, "no label", NOW_TEXT),
            ],
        )
        conn.executemany(
            "INSERT INTO result_sets (profile, batch_id, status, cost_usd, started_at) VALUES ('p', ?, ?, ?, ?)",
            [("msgbatch_0004x", "complete", 0.5, NOW_TEXT), ("msgbatch_0005x", "downloading", None, NOW_TEXT)],
        )
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == 8
    db.close()
    monkeypatch.undo()
    store = BatchPages(Database(tmp_path / "cache.db"), "p")
    keys = {
        str(r[0]): tuple(r[1:]) for r in store.conn.execute("SELECT id, label_key, cost_key, results_done FROM batches")
    }
    assert keys == {
        "msgbatch_0000x": ("", -1.0, 0),
        "msgbatch_0001x": ("nightly", -1.0, 0),
        "msgbatch_0002x": ("日本語äb", -1.0, 0),
        "msgbatch_0003x": ("", -1.0, 0),
        "msgbatch_0004x": ("", 0.5, 1),
        "msgbatch_0005x": ("", -1.0, 0),
    }
    for sort in ("label", "cost", "left"):
        for descending in (True, False):
            view = BatchView("all", "", sort, descending)
            assert walk(store, view, 4) == expected(store, view)
    for text in ("nightly", "no label", "ab", "!label"):
        assert walk(store, BatchView("all", text), 4) == expected(store, BatchView("all", text))
    assert walk(store, BatchView("all", "no label"), 4) == ["msgbatch_0003x"]


def store_as_before(db: Database, batches: list[dict[str, Any]]) -> None:
    """Batches written as batchdeck wrote them before migration 10: the columns of the API's fields only."""
    columns = (
        "profile, id, processing_status, n_processing, n_succeeded, n_errored, n_canceled, n_expired, created_at, "
        "expires_at, ended_at, cancel_initiated_at, archived_at, results_url, raw_json, first_seen_at, refreshed_at"
    )
    with db.transaction() as conn:
        conn.executemany(
            f"INSERT INTO batches ({columns}) VALUES ({', '.join('?' * 17)})",
            [batch_repo_module._row("p", b, NOW_TEXT) for b in batches],
        )


def test_migration_10_keeps_each_ended_batchs_run_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_module, "SCHEMA_VERSION", 9)  # a cache as migration 9 left it
    db = Database(tmp_path / "cache.db")
    store_as_before(db, [batch_object(i) for i in range(40)])
    db.close()
    monkeypatch.undo()
    store = BatchPages(Database(tmp_path / "cache.db"), "p")
    kept = dict(store.conn.execute("SELECT id, time_key FROM batches").fetchall())
    for b in everything(store):
        assert kept[b.id] == (None if b.ended_at is None else round(1000 * b.duration_seconds(NOW)))
    assert sum(v is None for v in kept.values()) == 16  # the live ones: their time grows with the clock
    assert walk(store, BatchView("all", "0003X"), 4) == ["msgbatch_0003x"]  # the id, kept lowercased for `/`
    for descending in (True, False):
        view = BatchView("all", "", "time", descending)
        assert walk(store, view, 4) == expected(store, view)
        assert walk_back(store, view, 5, len(expected(store, view))) == expected(store, view)


def query_plan(store: BatchPages, call: Callable[[], object]) -> list[str]:
    """The plans of the statements `call` runs that order rows (each as SQLite would run it, values bound)."""
    ran: list[str] = []
    store.conn.set_trace_callback(ran.append)
    try:
        call()
    finally:
        store.conn.set_trace_callback(None)
    plans = []
    for sql in (s for s in ran if "ORDER BY" in s and s.lstrip().upper().startswith("SELECT")):
        plans.append("\n".join(str(r[3]) for r in store.conn.execute("EXPLAIN QUERY PLAN " + sql)))
    return plans


@pytest.mark.parametrize(
    ("sort", "quick"),
    [(s, "all") for s in INDEXED_SORTS] + [(s, "ended") for s in ("label", "cost", "left", "created")],
)
@pytest.mark.parametrize("descending", [True, False])
def test_an_indexed_sort_reads_a_page_by_walking_an_index(
    store: BatchPages, sort: str, quick: str, descending: bool
) -> None:
    """No sort of what the filters keep: the first page, the next and the one before are index walks (the
    plan without statistics, as the app runs it, is the one SQLite picks for 100,000 rows of this shape)."""
    view = BatchView(quick, "", sort, descending)
    first = store.page(view, NOW_TEXT, PAGE_ROWS)
    plans = query_plan(store, lambda: store.page(view, NOW_TEXT, 4))
    plans += query_plan(store, lambda: store.page(view, NOW_TEXT, 4, after=first.keys[3]))
    plans += query_plan(store, lambda: store.page(view, NOW_TEXT, 4, before=first.keys[9]))
    assert len(plans) == 3
    for plan, ranges in zip(plans, (1, 3, 3), strict=True):  # a keyset is one range per term (key, created_at, id)
        lines = plan.splitlines()
        for line in (line for line in lines if line.startswith(("SEARCH", "SCAN"))):
            assert "USING INDEX batches_by" in line or (sort == "id" and "USING PRIMARY KEY" in line), plan
        # only TIME's few rows not ended (sought at its index's NULLs), once a range, are sorted
        sorted_after = [lines[i - 1] for i, line in enumerate(lines) if "USE TEMP B-TREE" in line]
        assert len(sorted_after) == (ranges if sort == "time" else 0), plan
        assert all("USING INDEX batches_by_time (profile=? AND time_key=?" in line for line in sorted_after), plan


@pytest.mark.parametrize("sort", ["label", "requests", "status", "cost", "left", "time"])
@pytest.mark.parametrize("descending", [True, False])
def test_a_page_next_to_a_row_deep_in_a_run_of_equal_keys_is_sought_not_walked(
    tmp_path: Path, sort: str, descending: bool
) -> None:
    """3,000 batches with the same key (no label, no cost, 10 requests, ended without failures): a page either
    side of a row in the middle reads a few rows, not the run (work counted in SQLite's VM steps, not time)."""
    db = Database(tmp_path / "cache.db")
    same = [batch_object(5 * i + 3) | {"request_counts": {"succeeded": 10}} for i in range(3000)]
    for b in same:  # one run time, one moment left
        b["ended_at"], b["created_at"] = _iso(NOW - timedelta(minutes=1)), _iso(NOW - timedelta(minutes=11))
        b["archived_at"] = None
    BatchRepo(db, "p").store(same, NOW_TEXT)
    store = BatchPages(db, "p")
    view = BatchView("all", "", sort, descending)
    middle = store.page(view, NOW_TEXT, 1, offset=1500).keys[0]
    assert len({k[0] for k in store.page(view, NOW_TEXT, 3000).keys}) == 1  # one run of equal keys
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0

    store.conn.set_progress_handler(step, 100)
    try:
        after = store.page(view, NOW_TEXT, 4, after=middle)
        before = store.page(view, NOW_TEXT, 4, before=middle)
    finally:
        store.conn.set_progress_handler(None, 0)
    want = [b.id for b in store.page(view, NOW_TEXT, 3000).rows]
    assert [b.id for b in before.rows] + [b.id for b in after.rows] == want[1496:1500] + want[1501:1505]
    assert steps < 60, steps  # a walk through the run takes thousands


@pytest.mark.parametrize(
    "statuses", [{"live"}, {"failed"}, {"ended"}, {"in_progress"}, {"canceling", "failed"}, {"live", "ended"}]
)
@pytest.mark.parametrize("include_deleted", [False, True])
def test_a_status_filter_keeps_what_the_python_filter_kept(
    store: BatchPages, statuses: set[str], include_deleted: bool
) -> None:
    """`BatchRepo.query` filters in SQL (the budget and `status` read the live batches of a long history each
    poll); the reference is the filter it ran over every batch in Python."""
    repo = BatchRepo(store.db, "p")
    every = repo.query(include_deleted=include_deleted)

    def kept(b: CachedBatch) -> bool:
        failed = b.processing_status == "ended" and b.counts.failed > 0
        return (
            b.processing_status in statuses or ("live" in statuses and b.is_live) or ("failed" in statuses and failed)
        )

    want = [b.id for b in every if kept(b)]
    assert want
    assert [b.id for b in repo.query(statuses, include_deleted=include_deleted)] == want
    assert [b.id for b in repo.query(statuses, limit=3, include_deleted=include_deleted)] == want[:3]


def test_a_sync_rewrites_only_the_batches_the_api_shows_changed(store: BatchPages) -> None:
    """Each poll lists the newest page (1,000 batches): a row shown as before is not rewritten (its entries in
    every index of the list would be), only its `refreshed_at`; a changed one is, and one deleted here that the
    API still shows comes back."""
    repo, later = BatchRepo(store.db, "p"), timefmt.iso(NOW + timedelta(minutes=5))
    page = [batch_object(i) for i in range(30)]
    changed = page[4] | {"processing_status": "ended", "ended_at": _iso(NOW), "request_counts": {"succeeded": 5}}
    page[4] = changed
    repo.mark_deleted(["msgbatch_0007x"], NOW_TEXT)
    deleted = {b.id for b in repo.query(include_deleted=True) if b.deleted_at} & {b["id"] for b in page}
    assert len(deleted) == 3  # 7, and the fixture's 2 and 19
    left = "SELECT id, left_key FROM batches WHERE profile = 'p'"
    left_before, before = dict(store.conn.execute(left).fetchall()), store.conn.total_changes
    repo.store(page, later)
    stored = store.conn.total_changes - before
    moved = {i for i, key in store.conn.execute(left).fetchall() if key != left_before[i]}
    assert moved == {"msgbatch_0019x"}  # undeleted, without saved results: LEFT counts down again
    assert (
        stored == 1 + len(deleted) + 30
    )  # the changed row and those undeleted (LEFT's key with them), every refreshed_at
    every = {b.id: b for b in repo.query(include_deleted=True)}
    assert all(every[b["id"]].refreshed_at == later for b in page)
    assert every["msgbatch_0004x"].processing_status == "ended" and every["msgbatch_0007x"].deleted_at is None
    for sort in ("time", "status", "requests"):
        view = BatchView("all", "", sort, True)
        assert walk(store, view, 7) == expected(store, view)
