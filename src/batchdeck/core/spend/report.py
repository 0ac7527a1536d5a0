"""A spend report: what the batches that ended in a range cost, grouped by day, week, month, model,
label, job or profile, plus the ended batches whose cost is not known.

One source of truth: a batch's cost is the one `list --json` shows (its saved results priced at
ingest, with the config's price overrides), so every figure here is a sum of those. A batch whose
results were never saved (or were archived before they were) has no known cost: it is counted
and listed in `unknown`, never guessed. `by=profile` covers every profile in the cache; every
other breakdown covers the workspace's profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from batchdeck.core.spend.figures import Figures
from batchdeck.core.spend.pricing import BATCH_DISCOUNT
from batchdeck.core.spend.span import SpendRange
from batchdeck.core.store.spend_repo import BREAKDOWNS, TIME_KEYS, SpendRepo, UnknownRow

if TYPE_CHECKING:
    from batchdeck.core.workspace import Workspace

__all__ = ["BREAKDOWNS", "SpendGroup", "SpendReport", "UnknownSpend", "group_batch_ids", "spend_report"]


@dataclass(frozen=True)
class SpendGroup:
    key: str  # 2026-11-27 (day), 2026-11-23 (the Monday of a week), 2026-11 (month), a model, label, job, profile
    figures: Figures

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, **self.figures.as_json()}


@dataclass(frozen=True)
class UnknownBatch:
    id: str
    profile: str
    ended_at: str
    label: str | None
    reason: str  # not saved, download failed, downloading, archived, deleted
    requests: int  # succeeded requests (billed, at a cost not known here)

    @classmethod
    def of(cls, row: UnknownRow) -> UnknownBatch:
        if row.deleted_at:
            reason = "deleted"
        elif row.archived_at:
            reason = "archived"
        elif row.results_status == "failed":
            reason = "download failed"
        elif row.results_status == "downloading":
            reason = "downloading"
        else:
            reason = "not saved"
        return cls(row.batch_id, row.profile, row.ended_at, row.label, reason, row.succeeded)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "profile": self.profile,
            "ended_at": self.ended_at,
            "label": self.label,
            "reason": self.reason,
            "requests": self.requests,
        }


@dataclass(frozen=True)
class UnknownSpend:
    """Ended batches in the range whose cost is not known (no complete saved results), newest first."""

    items: tuple[UnknownBatch, ...] = ()

    @property
    def batches(self) -> int:
        return len(self.items)

    @property
    def requests(self) -> int:
        return sum(item.requests for item in self.items)

    def as_json(self) -> dict[str, Any]:
        return {"batches": self.batches, "requests": self.requests, "items": [i.as_json() for i in self.items]}


@dataclass(frozen=True)
class SpendReport:
    span: SpendRange
    by: str
    total: Figures  # the sum of the groups, exactly
    groups: list[SpendGroup]
    unknown: UnknownSpend
    utc: bool = False  # days, weeks and months in UTC (else the local timezone)

    def timezone(self) -> str:
        """The timezone the groups' days follow: `UTC`, or the local zone as `CET (UTC+01:00)`."""
        return "UTC" if self.utc else self.span.timezone()

    def as_json(self) -> dict[str, Any]:
        start, end = self.span.bounds()
        return {
            "range": {"start": start, "end": end, "label": self.span.label, "timezone": self.timezone()},
            "by": self.by,
            "total": self.total.as_json(),
            "groups": [g.as_json() for g in self.groups],
            "unknown": self.unknown.as_json(),
        }


def spend_report(ws: Workspace, span: SpendRange, by: str, *, utc: bool = False) -> SpendReport:
    """Spend of the batches that ended in `span`, grouped `by` one of BREAKDOWNS.

    Time groups follow `ended_at` in the local timezone (UTC with `utc`, or when the range is in UTC),
    oldest first; the other groups go by cost, highest first."""
    _check(by)
    utc = utc or span.utc
    start, end = span.bounds()
    repo = SpendRepo(ws.db, ws.profile.name)
    groups = [
        SpendGroup(str(row[0]), Figures.of(*row[1:]))
        for row in repo.groups(start, end, by, utc=utc, discount=BATCH_DISCOUNT)
    ]
    if by in TIME_KEYS:
        groups.sort(key=lambda g: g.key)
    else:
        groups.sort(key=lambda g: (-g.figures.cost_usd, -g.figures.batches, g.key))
    groups = [g for g in groups if not g.figures.empty]
    unknown = repo.unknown(start, end, every_profile=by == "profile")
    total = Figures.total([g.figures for g in groups])
    return SpendReport(span, by, total, groups, UnknownSpend(tuple(UnknownBatch.of(r) for r in unknown)), utc)


def group_batch_ids(ws: Workspace, span: SpendRange, by: str, key: str, *, utc: bool = False) -> list[str]:
    """The batches behind one group of `spend_report` (newest ended first): the TUI filters its list to them.

    By model: every batch with succeeded requests of that model (a batch is counted, in `batches`,
    under its main model only, but its other models' figures include it too)."""
    _check(by)
    start, end = span.bounds()
    return SpendRepo(ws.db, ws.profile.name).group_ids(start, end, by, key, utc=utc or span.utc)


def _check(by: str) -> None:
    if by not in BREAKDOWNS:
        raise ValueError(f"unknown breakdown {by!r}: use one of {', '.join(BREAKDOWNS)}")
