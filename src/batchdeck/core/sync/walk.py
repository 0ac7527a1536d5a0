"""Keeping the cache in step with the API at the least cost.

First sync: walk every list page (limit 1000), committing each page with the walk's position,
so a killed sync resumes where it stopped. Later syncs read from the newest page down to the
batch the last finished sync saw first (so an interrupted one carries on next time); one list
page refreshes up to 1000 batches, so an unchanged workspace costs one request, and live
batches among the newest 1000 cost nothing extra. Live batches older than the pages read are
refreshed with retrieve (404 → marked deleted). A cached batch missing from the range a page
covers is confirmed with retrieve before it is marked deleted. Deletions among older ended
batches are found by `sync --full`, which re-reads every page.

Everything from the API is untrusted: a batch object the cache cannot hold (a bad id, wrong types)
is skipped and reported, the rest of its page is stored; a cached copy of a batch the API now
sends malformed is kept, never marked deleted. A list that never ends (the same cursor again) stops
the sync with one line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from batchdeck.core.batches.models import CachedBatch, MalformedBatch
from batchdeck.core.clock import Clock, utcnow
from batchdeck.core.errors import ApiFailure
from batchdeck.core.store.batch_repo import BatchRepo
from batchdeck.core.terminal_text import visible
from batchdeck.core.timefmt import canonical, iso

if TYPE_CHECKING:
    from batchdeck.core.api.client import BatchesApi, Page

MAX_CONFIRMATIONS = 25  # retrieves per sync to confirm batches missing from a page (deletions are rare)
MAX_REFRESH_FAILURES = 5  # failed retrieves of old live batches before a sync stops trying (the API is struggling)


class ListWalk:
    """The cursors one walk of the list has followed.

    A list that answers `has_more` with a cursor already followed (the same `last_id` again, or a
    cycle) would be walked forever; `next_cursor` stops it with one line instead."""

    def __init__(self, start: str | None = None) -> None:
        self._followed: set[str] = {start} if start else set()

    def next_cursor(self, page: Page) -> str:
        cursor = page.last_id
        if cursor is None or cursor in self._followed:
            shown = "no cursor" if cursor is None else f"the cursor {cursor} again"
            raise ApiFailure(
                f"cannot list batches: the API's list never ends (it said there is more, with "
                f"{shown}, after {len(self._followed)} page(s)); stopped there",
                kind="other",
            )
        self._followed.add(cursor)
        return cursor


@dataclass
class SyncReport:
    new_ids: set[str] = field(default_factory=set)
    seen_ids: set[str] = field(default_factory=set)  # every batch read from the API, new or known
    deleted: int = 0
    requests: int = 0
    pages: int = 0
    full_walk: bool = False
    seconds: float = 0.0
    error: str | None = None
    error_kind: str | None = None
    retry_after: float | None = None
    skipped: dict[str, MalformedBatch] = field(default_factory=dict)  # each object once (pages are read twice)

    @property
    def skipped_ids(self) -> set[str]:
        """Well-formed ids among the skipped objects: their cached copies are kept as they are."""
        return {s.batch_id for s in self.skipped.values() if s.batch_id}

    def skip(self, malformed: MalformedBatch) -> None:
        self.skipped.setdefault(str(malformed), malformed)

    def skipped_line(self) -> str | None:
        """One line for the skipped objects (count and the first), or None when there were none."""
        if not self.skipped:
            return None
        first = next(iter(self.skipped.values()))
        count = len(self.skipped)
        return (
            f"skipped {count} malformed batch object{'s' * (count != 1)} from the API (first: {first.shown_id}: "
            f"{first.reason}); the rest were stored"
        )

    @property
    def new(self) -> int:
        return len(self.new_ids)

    @property
    def refreshed(self) -> int:
        return len(self.seen_ids - self.new_ids)

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        kind = "full sync" if self.full_walk else "sync"
        text = (
            f"{kind}: {self.new} new, {self.refreshed} refreshed, {self.deleted} deleted remotely "
            f"({self.requests} API request{'s' * (self.requests != 1)}, {self.seconds:.1f}s)"
        )
        return text if self.ok else f"{text}; stopped: {self.error}"


class Syncer:
    def __init__(self, api: BatchesApi, cache: BatchRepo, clock: Clock = utcnow) -> None:
        self.api = api
        self.cache = cache
        self.clock = clock

    def _now(self) -> str:
        return iso(self.clock())

    def sync(self, full: bool = False) -> SyncReport:
        """One sync (`full` re-reads every page and marks what is gone). API failures end it early
        without raising: what was stored stays, and the next sync carries on."""
        report = SyncReport()
        started, calls_before = time.monotonic(), self.api.calls
        head_id, head_done = None, False
        for bad_id in self.cache.forget_malformed_ids():
            report.skip(
                MalformedBatch(
                    repr(visible(bad_id)[:80]), "an id stored before ids were checked; removed from the cache"
                )
            )
        try:
            if full:
                self.cache.restart_walk()
            state = self.cache.sync_state()
            if not state.full_walk_done:
                report.full_walk = True
                self._walk(report, state.walk_cursor, reconcile=full)
                state = self.cache.sync_state()
            head_id = self._head(report, state.head_id)
            head_done = True
            self._refresh_unlisted(report)
        except ApiFailure as failure:
            report.error, report.error_kind, report.retry_after = str(failure), failure.kind, failure.retry_after
        report.requests = self.api.calls - calls_before
        report.seconds = time.monotonic() - started
        # The list pages were read in full even when refreshing old live batches failed part-way.
        # Stamped when it ends: by then the clock follows the API's Date (the CLI's first answer may
        # have corrected it), so "last sync" is never hours in the future or the past.
        self.cache.record_sync(self._now(), report.error, head_id if head_done else None)
        return report

    def _count(self, report: SyncReport, page: Page) -> set[str]:
        """Record a page in the report; returns the ids on it that the cache already had."""
        for malformed in page.skipped:
            report.skip(malformed)
        ids = [b["id"] for b in page.data]
        known = self.cache.known(ids)
        report.new_ids.update(i for i in ids if i not in known)
        report.seen_ids.update(ids)
        report.pages += 1
        return known

    def _walk(self, report: SyncReport, cursor: str | None, reconcile: bool) -> None:
        """Every page, newest first; resumes after `cursor` when a previous walk was cut short.
        With `reconcile`, cached batches the walk did not see (and older than its start) are marked deleted."""
        after, newest_at, walk = cursor, None, ListWalk(cursor)
        while True:
            try:
                page = self.api.list_page(after_id=after)
            except ApiFailure as failure:
                if after is None or failure.kind not in ("bad_request", "not_found"):
                    raise
                after, walk = None, ListWalk(None)  # the resume point is gone (deleted): walk again from the top
                continue
            self._count(report, page)
            done = not page.has_more
            top = page.data[0] if after is None and page.data else None
            if top is not None:
                newest_at = canonical(top["created_at"])
            self.cache.store(
                page.data,
                self._now(),
                cursor=None if done else page.last_id,
                walk_done=done,
                head_id=top["id"] if top else None,
            )
            if done:
                break
            after = walk.next_cursor(page)
        if reconcile and cursor is None:
            gone = self.cache.live_ids_not_after(newest_at) - self._accounted(report) if newest_at else set()
            report.deleted += self.cache.mark_deleted(gone, self._now())

    def _head(self, report: SyncReport, target_id: str | None) -> str | None:
        """Newest pages down to the batch the last finished sync saw first; returns today's newest id."""
        target = self.cache.get(target_id) if target_id else None
        after, newer_bound, newest, walk = None, None, None, ListWalk(None)
        while True:
            page = self.api.list_page(after_id=after)
            known = self._count(report, page)
            self.cache.store(page.data, self._now())
            if newest is None and page.data:
                newest = page.data[0]["id"]
            if page.data or not page.has_more:  # a page of malformed objects only bounds no range
                older_bound = canonical(page.data[-1]["created_at"]) if page.has_more else None
                self._confirm_vanished(
                    report, self.cache.ids_created_between(older_bound, newer_bound) - self._accounted(report)
                )
                newer_bound = older_bound
            if not page.has_more or self._reached(page, known, target_id, target):
                return newest
            after = walk.next_cursor(page)

    @staticmethod
    def _accounted(report: SyncReport) -> set[str]:
        """Ids this sync has heard of from the API: read, or skipped as malformed (so not gone)."""
        return report.seen_ids | report.skipped_ids

    @staticmethod
    def _reached(page: Page, known: set[str], target_id: str | None, target: CachedBatch | None) -> bool:
        if target is None:  # no record of the last sync's head: any cached batch will do
            return bool(known)
        oldest_here = canonical(page.data[-1]["created_at"]) if page.data else None
        return target_id in known or (oldest_here is not None and oldest_here < target.created_at)

    def _confirm_vanished(self, report: SyncReport, candidates: set[str]) -> None:
        """Cached batches missing from a page's range: deleted remotely, unless a retrieve finds them
        (another process may have stored a batch newer than the page we read)."""
        for batch_id in sorted(candidates)[:MAX_CONFIRMATIONS]:
            self._retrieve_one(report, batch_id)

    def _refresh_unlisted(self, report: SyncReport) -> None:
        """Retrieve live batches the pages did not cover, stalest first. One that fails (after the client's
        retries) is skipped, not fatal, so a large workspace still makes progress through flaky
        networks; the sync then reports how many were left, and the next one starts with them."""
        failures: list[ApiFailure] = []
        accounted = self._accounted(report)
        todo = [batch_id for batch_id, _ in self.cache.unended() if batch_id not in accounted]
        for batch_id in todo:
            try:
                self._retrieve_one(report, batch_id)
            except ApiFailure as failure:
                if failure.kind == "auth":
                    raise
                failures.append(failure)
                if len(failures) >= MAX_REFRESH_FAILURES:
                    break
        if failures:
            left = len(todo) - sum(1 for i in todo if i in report.seen_ids)
            last = failures[-1]
            raise ApiFailure(f"{left} live batch(es) not refreshed ({last})", last.kind, last.status, last.retry_after)

    def _retrieve_one(self, report: SyncReport, batch_id: str) -> None:
        """Refresh one batch by id; a 404 marks it deleted remotely."""
        try:
            batch = self.api.retrieve(batch_id)
        except MalformedBatch as malformed:  # the cached copy stays as it was
            report.skip(malformed)
            return
        except ApiFailure as failure:
            if failure.kind != "not_found":
                raise
            report.deleted += self.cache.mark_deleted([batch_id], self._now())
            return
        self.cache.store([batch], self._now())
        report.seen_ids.add(batch_id)
