"""Keeping the cache in step with the API at the least cost.

First sync: walk every list page (limit 1000), committing each page with the walk's position,
so a killed sync resumes where it stopped. Later syncs read from the newest page down to the
batch the last finished sync saw first (so an interrupted one carries on next time); one list
page refreshes up to 1000 batches, so an unchanged workspace costs one request, and live
batches among the newest 1000 cost nothing extra. Live batches older than the pages read are
refreshed the cheaper way (`cost`): more list pages down to the oldest of them, or one retrieve
each (404 → marked deleted); those the pages did not reach are retrieved. A cached batch missing
from the range a page covers is confirmed with retrieve before it is marked deleted. Deletions
among older ended batches below every page read are found by `sync --full`, which re-reads every page.

Everything from the API is untrusted: a batch object the cache cannot hold (a bad id, wrong types)
is skipped and reported, the rest of its page is stored; a cached copy of a batch the API now
sends malformed is kept, never marked deleted. A list that never ends (the same cursor again) stops
the sync with one line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from batchdeck.core.batches.models import CachedBatch, MalformedBatch
from batchdeck.core.clock import Clock, utcnow
from batchdeck.core.errors import ApiFailure
from batchdeck.core.store.batch_repo import BatchRepo
from batchdeck.core.sync.cost import PAGE_SIZE, cheaper_to_list
from batchdeck.core.sync.report import SyncReport
from batchdeck.core.sync.retrieves import Retrieves
from batchdeck.core.terminal_text import visible
from batchdeck.core.timefmt import canonical, iso

if TYPE_CHECKING:
    from batchdeck.core.api.client import BatchesApi, Page


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


@dataclass(frozen=True)
class Stop:
    """Where a read down the newest pages stopped."""

    page: Page  # the last page read
    bound: str | None  # created_at of the oldest batch read (the pages cover every newer one); None: the list ended
    newest: str | None  # id of the first batch read
    walk: ListWalk  # the cursors followed, for reading on from here


class Syncer:
    def __init__(self, api: BatchesApi, cache: BatchRepo, clock: Clock = utcnow) -> None:
        self.api = api
        self.cache = cache
        self.clock = clock
        self.retrieves = Retrieves(api, cache, self._now)

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
            head = self._head(report, state.head_id)
            head_id, head_done = head.newest, True
            self._refresh_old_live(report, head)
        except ApiFailure as failure:
            report.error, report.error_kind, report.retry_after = str(failure), failure.kind, failure.retry_after
        report.requests = self.api.calls - calls_before
        report.seconds = time.monotonic() - started
        # The newest pages were read in full even when refreshing old live batches failed part-way.
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
                page = self.api.list_page(limit=PAGE_SIZE, after_id=after)
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

    def _head(self, report: SyncReport, target_id: str | None) -> Stop:
        """Newest pages down to the batch the last finished sync saw first (its `newest` is today's)."""
        target = self.cache.get(target_id) if target_id else None
        return self._read_down(
            report, ListWalk(None), None, lambda page, known: self._reached(page, known, target_id, target)
        )

    def _read_down(
        self, report: SyncReport, walk: ListWalk, start: Stop | None, done: Callable[[Page, set[str]], bool]
    ) -> Stop:
        """List pages from the top (or on from where `start` stopped) until `done(page, known ids)` or the
        list ends, storing each; cached batches missing from the range a page covers are confirmed by retrieve."""
        cursor, newer_bound, newest = None, None, None
        if start is not None:
            cursor, newer_bound = walk.next_cursor(start.page), start.bound
        while True:
            page = self.api.list_page(limit=PAGE_SIZE, after_id=cursor)
            known = self._count(report, page)
            self.cache.store(page.data, self._now())
            if newest is None and page.data:
                newest = page.data[0]["id"]
            if page.data or not page.has_more:  # a page of malformed objects only bounds no range
                older_bound = canonical(page.data[-1]["created_at"]) if page.has_more else None
                vanished = self.cache.ids_created_between(older_bound, newer_bound) - self._accounted(report)
                self.retrieves.confirm_vanished(report, vanished)
                newer_bound = older_bound
            if not page.has_more or done(page, known):
                return Stop(page, newer_bound, newest, walk)
            cursor = walk.next_cursor(page)

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

    def _refresh_old_live(self, report: SyncReport, head: Stop) -> None:
        """Live batches the newest pages did not cover: more pages down while that is cheaper than
        retrieving them (judged again after each page), then a retrieve for each one still left."""
        if head.page.has_more and not self._enough(report, head.page):
            self._read_down(report, head.walk, head, lambda page, _: self._enough(report, page))
        self.retrieves.each(report, [batch_id for batch_id, _ in self._unlisted_live(report)])

    def _unlisted_live(self, report: SyncReport) -> list[tuple[str, str]]:
        """(id, created_at) of cached live batches this sync has not heard of, stalest first."""
        accounted = self._accounted(report)
        return [(batch_id, created) for batch_id, created in self.cache.unended() if batch_id not in accounted]

    def _enough(self, report: SyncReport, page: Page) -> bool:
        """Whether the live batches older than `page` are cheaper to retrieve than to reach with more pages."""
        bound = canonical(page.data[-1]["created_at"]) if page.data else None
        if bound is None:  # only malformed objects: no position to judge from, so leave the rest to retrieves
            return True
        below = [created for _, created in self._unlisted_live(report) if created < bound]
        return not cheaper_to_list(self.cache, below, bound)
