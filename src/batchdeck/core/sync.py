"""Keeping the cache in step with the API at the least cost.

First sync: walk every list page (limit 1000), committing each page with the walk's position,
so a killed sync resumes where it stopped. Later syncs read from the newest page only until
they reach batches already known; one list page refreshes up to 1000 batches, so an unchanged
workspace costs one request, and live batches among the newest 1000 cost nothing extra.
Live batches older than the pages read are refreshed with retrieve (404 → marked deleted).
Cached batches missing from the range a page covers were deleted remotely.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from batchdeck.core.cache import BatchCache
from batchdeck.core.clock import Clock, utcnow
from batchdeck.core.errors import ApiFailure
from batchdeck.core.timefmt import canonical, iso

if TYPE_CHECKING:
    from batchdeck.core.api import BatchesApi, Page


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
        text = (f"{kind}: {self.new} new, {self.refreshed} refreshed, {self.deleted} deleted remotely "
                f"({self.requests} API request{'s' * (self.requests != 1)}, {self.seconds:.1f}s)")
        return text if self.ok else f"{text}; stopped: {self.error}"


class Syncer:
    def __init__(self, api: BatchesApi, cache: BatchCache, clock: Clock = utcnow) -> None:
        self.api = api
        self.cache = cache
        self.clock = clock

    def _now(self) -> str:
        return iso(self.clock())

    def sync(self) -> SyncReport:
        """One sync. API failures end it early without raising: what was stored stays."""
        report = SyncReport()
        started, calls_before, attempt = time.monotonic(), self.api.calls, self._now()
        try:
            state = self.cache.sync_state()
            if not state.full_walk_done:
                report.full_walk = True
                self._walk(report, state.walk_cursor)
            seen = self._head(report)
            self._refresh_unlisted(report, seen)
        except ApiFailure as failure:
            report.error, report.error_kind, report.retry_after = str(failure), failure.kind, failure.retry_after
        report.requests = self.api.calls - calls_before
        report.seconds = time.monotonic() - started
        self.cache.record_sync(attempt, report.error)
        return report

    def _count(self, report: SyncReport, page: Page) -> set[str]:
        """Record a page in the report; returns the ids on it that the cache already had."""
        ids = [b["id"] for b in page.data]
        known = self.cache.known(ids)
        report.new_ids.update(i for i in ids if i not in known)
        report.seen_ids.update(ids)
        report.pages += 1
        return known

    def _walk(self, report: SyncReport, cursor: str | None) -> None:
        """Every page, oldest last; resumes after `cursor` when a previous walk was cut short."""
        after = cursor
        while True:
            try:
                page = self.api.list_page(after_id=after)
            except ApiFailure as failure:
                if after is None or failure.kind != "bad_request":
                    raise
                after = None  # the resume point is gone (deleted): walk again from the top
                continue
            self._count(report, page)
            done = not page.has_more
            self.cache.store(page.data, self._now(), cursor=None if done else page.last_id, walk_done=done)
            if done:
                return
            after = page.last_id

    def _head(self, report: SyncReport) -> set[str]:
        """Newest pages until known batches are reached; returns every id listed."""
        seen: set[str] = set()
        after, newer_bound = None, None
        while True:
            page = self.api.list_page(after_id=after)
            known = self._count(report, page)
            ids = {b["id"] for b in page.data}
            now = self._now()
            self.cache.store(page.data, now)
            older_bound = canonical(page.data[-1]["created_at"]) if page.has_more else None
            vanished = self.cache.ids_created_between(older_bound, newer_bound) - ids - seen
            report.deleted += self.cache.mark_deleted(vanished, now)
            seen |= ids
            if not page.has_more or known:
                return seen
            after, newer_bound = page.last_id, canonical(page.data[-1]["created_at"])

    def _refresh_unlisted(self, report: SyncReport, seen: set[str]) -> None:
        for batch_id, _ in self.cache.unended():
            if batch_id in seen:
                continue
            try:
                batch = self.api.retrieve(batch_id)
            except ApiFailure as failure:
                if failure.kind != "not_found":
                    raise
                report.deleted += self.cache.mark_deleted([batch_id], self._now())
                continue
            self.cache.store([batch], self._now())
            report.seen_ids.add(batch_id)
