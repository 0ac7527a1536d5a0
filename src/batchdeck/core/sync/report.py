"""What one sync did: batches new and refreshed, deletions, requests, and the malformed objects it skipped."""

from __future__ import annotations

from dataclasses import dataclass, field

from batchdeck.core.batches.models import MalformedBatch


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
