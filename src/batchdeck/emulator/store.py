"""The emulator's batches: create, read, list, cancel, delete, under one lock.

Batches are kept newest first per (created_at, seq). Deleted batches stay in the order as
cursor anchors (a client paging past a batch deleted mid-walk keeps its place) but are
otherwise invisible: retrieve, results, cancel and delete answer 404.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
from bisect import insort
from collections import Counter
from collections.abc import Callable
from itertools import islice
from typing import Any

from batchdeck.emulator.batch import Batch, processing_seconds
from batchdeck.emulator.clock import VirtualClock
from batchdeck.emulator.errors import batch_not_found, invalid_request, no_results
from batchdeck.emulator.ids import derived_id
from batchdeck.emulator.outcomes import Rates
from batchdeck.emulator.plans import RequestPlan
from batchdeck.emulator.sources import ExplicitSource, RequestSource

MAX_LIMIT = 1000
DEFAULT_LIMIT = 20


class BatchStore:
    def __init__(
        self,
        clock: VirtualClock,
        seed: int = 0,
        cancel_latency: float = 45.0,
        on_change: Callable[[Batch], None] | None = None,
    ) -> None:
        self.clock = clock
        self.seed = seed
        self.cancel_latency = cancel_latency
        self._on_change = on_change or (lambda batch: None)
        self._lock = threading.RLock()
        self._by_id: dict[str, Batch] = {}
        self._order: list[tuple[float, int, str]] = []  # ascending; lists read it backwards
        self._seq = 0
        self._salt = secrets.token_hex(8)
        self._seen: dict[str, Counter[str]] = {}  # workspace -> custom_id -> client batches holding it

    # -- writing ------------------------------------------------------------------------------
    def add(self, batch: Batch) -> Batch:
        """Insert a fully built batch (used by create, scenarios and state restore)."""
        with self._lock:
            self._by_id[batch.id] = batch
            insort(self._order, (batch.created_at, batch.seq, batch.id))
            self._seq = max(self._seq, batch.seq + 1)
            if isinstance(batch.source, ExplicitSource):
                seen = self._seen.setdefault(batch.workspace, Counter())
                seen.update(batch.source.plan(i).custom_id for i in range(batch.count))
        return batch

    def new_batch(
        self,
        source: RequestSource,
        workspace: str,
        rates: Rates,
        created_at: float | None = None,
        seed: int | None = None,
        salt: str = "",
    ) -> Batch:
        with self._lock:
            seq = self._seq
            self._seq += 1
            seed = self.seed if seed is None else seed
            batch_id = derived_id("msgbatch_", seed, seq, workspace, salt)
            created = self.clock.now() if created_at is None else created_at
            batch = Batch(
                batch_id,
                workspace,
                seq,
                created,
                processing_seconds(source.count, batch_id, seed),
                source,
                seed,
                rates,
                self.cancel_latency,
            )
            return self.add(batch)

    def create(self, plans: list[RequestPlan], workspace: str, rates: Rates) -> Batch:
        """A client's batch; its id is unique across emulator runs, like a real one (seeded ones repeat).

        Each plan gets its attempt number: how many earlier client batches of the workspace held
        its custom_id (see `outcomes`), so resubmitted rows can succeed where they failed.
        """
        with self._lock:
            seen = self._seen.get(workspace, Counter())
            plans = [dataclasses.replace(p, attempt=seen[p.custom_id]) if seen[p.custom_id] else p for p in plans]
            batch = self.new_batch(ExplicitSource(plans), workspace, rates, salt=self._salt)
        self._on_change(batch)
        return batch

    def cancel(self, batch_id: str, workspace: str) -> Batch:
        """Start canceling; a batch already canceling or ended is returned unchanged (200)."""
        with self._lock:
            batch = self.get(batch_id, workspace)
            now = self.clock.now()
            if batch.status(now) == "in_progress":
                batch.cancel_initiated_at = now
                self._on_change(batch)
            return batch

    def delete(self, batch_id: str, workspace: str) -> None:
        with self._lock:
            batch = self.get(batch_id, workspace)
            if batch.status(self.clock.now()) != "ended":
                raise invalid_request("In progress batches cannot be deleted. Consider canceling the batch instead.")
            batch.deleted = True
            self._on_change(batch)

    # -- reading ------------------------------------------------------------------------------
    def get(self, batch_id: str, workspace: str) -> Batch:
        with self._lock:
            batch = self._by_id.get(batch_id)
            if batch is None or batch.deleted or batch.workspace != workspace:
                raise batch_not_found(batch_id)
            return batch

    def for_results(self, batch_id: str, workspace: str) -> Batch:
        batch = self.get(batch_id, workspace)
        now = self.clock.now()
        if batch.status(now) != "ended" or batch.is_archived(now):
            raise no_results(batch_id)
        return batch

    def all_batches(self) -> list[Batch]:
        with self._lock:
            return [self._by_id[i] for _, _, i in self._order]

    def list_page(
        self, workspace: str, limit: int, after_id: str | None, before_id: str | None
    ) -> tuple[list[Batch], bool]:
        """A page newest first: `after_id` walks to older batches, `before_id` to newer ones."""
        if after_id and before_id:
            raise invalid_request("Only one of before_id and after_id may be given.")
        with self._lock:
            ids = [i for _, _, i in reversed(self._order) if self._by_id[i].workspace == workspace]
            cursor = after_id or before_id
            at = -1
            if cursor is not None:
                try:
                    at = ids.index(cursor)
                except ValueError:
                    name = "after_id" if after_id else "before_id"
                    raise invalid_request(f"{name}: no Message Batch with id {cursor}") from None
            walk = reversed(ids[:at]) if before_id else iter(ids[at + 1 :])
            live = (self._by_id[i] for i in walk if not self._by_id[i].deleted)
            page = list(islice(live, limit))
            has_more = next(live, None) is not None
            if before_id:
                page.reverse()
            return page, has_more

    def snapshot(self, batch: Batch, base_url: str) -> dict[str, Any]:
        """Outside the lock: a first read of a big ended batch counts its rows (a second), blocking no one."""
        return batch.to_api(self.clock.now(), base_url)
