"""Refreshing cached batches one retrieve each: batches missing from a page's range, and live batches
no list page of the sync reached. A 404 marks a batch deleted remotely; a malformed answer keeps the
cached copy as it was."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from batchdeck.core.batches.models import MalformedBatch
from batchdeck.core.batches.phrases import counted
from batchdeck.core.errors import ApiFailure
from batchdeck.core.store.batch_repo import BatchRepo
from batchdeck.core.sync.report import SyncReport

if TYPE_CHECKING:
    from batchdeck.core.api.client import BatchesApi

MAX_CONFIRMATIONS = 25  # retrieves per page range to confirm batches missing from it (deletions are rare)
MAX_REFRESH_FAILURES = 5  # failed retrieves of live batches before a sync stops trying (the API is struggling)


class Retrieves:
    def __init__(self, api: BatchesApi, cache: BatchRepo, now: Callable[[], str]) -> None:
        self.api = api
        self.cache = cache
        self.now = now

    def one(self, report: SyncReport, batch_id: str) -> None:
        """Refresh one batch by id; a 404 marks it deleted remotely."""
        try:
            batch = self.api.retrieve(batch_id)
        except MalformedBatch as malformed:  # the cached copy stays as it was
            report.skip(malformed)
            return
        except ApiFailure as failure:
            if failure.kind != "not_found":
                raise
            report.deleted += self.cache.mark_deleted([batch_id], self.now())
            return
        self.cache.store([batch], self.now())
        report.seen_ids.add(batch_id)

    def confirm_vanished(self, report: SyncReport, candidates: set[str]) -> None:
        """Cached batches missing from a page's range: deleted remotely, unless a retrieve finds them
        (another process may have stored a batch newer than the page we read)."""
        for batch_id in sorted(candidates)[:MAX_CONFIRMATIONS]:
            self.one(report, batch_id)

    def each(self, report: SyncReport, todo: Sequence[str]) -> None:
        """Refresh each batch in `todo`. One that fails (after the client's retries) is skipped, not
        fatal, so a large workspace still makes progress through flaky networks; the sync then reports
        how many were left, and the next one starts with them (the cache orders them stalest first)."""
        failures: list[ApiFailure] = []
        for batch_id in todo:
            try:
                self.one(report, batch_id)
            except ApiFailure as failure:
                if failure.kind == "auth":
                    raise
                failures.append(failure)
                if len(failures) >= MAX_REFRESH_FAILURES:
                    break
        if failures:
            left = len(todo) - sum(1 for i in todo if i in report.seen_ids)
            last = failures[-1]
            raise ApiFailure(
                f"{counted(left, 'live batch')} not refreshed ({last})", last.kind, last.status, last.retry_after
            )
