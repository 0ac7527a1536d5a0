"""A one-screen summary of a profile for a login message or cron mail: what is live, what failed
lately, which results are about to be archived without a local copy, and how fresh the cache is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from batchdeck.core import timefmt
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.batches.phrases import ARCHIVE_DAYS, archive_remaining, archive_soon
from batchdeck.core.spend.budget import BudgetStatus, budget_status
from batchdeck.core.store.batch_repo import SyncState
from batchdeck.core.workspace import Workspace

RECENT = timedelta(hours=24)


@dataclass(frozen=True)
class StatusReport:
    profile: str
    now: datetime
    sync: SyncState
    live: list[CachedBatch]  # oldest first
    ended_recently: list[CachedBatch]  # ended in the last 24 h, newest first
    archive_soon: list[CachedBatch]  # soonest first
    budget: BudgetStatus  # this month's spend against `budget.monthly_usd`

    @property
    def recent_failures(self) -> list[CachedBatch]:
        return [b for b in self.ended_recently if b.counts.failed]

    def to_json(self) -> dict[str, Any]:
        now = self.now
        return {
            "profile": self.profile,
            "now": timefmt.iso(now),
            "last_sync": {
                "attempt_at": self.sync.last_attempt_at,
                "success_at": self.sync.last_success_at,
                "error": self.sync.last_error,
            },
            "live": [
                {
                    **b.to_json(),
                    "elapsed_seconds": round(b.duration_seconds(now)),
                    "expires_in_seconds": _expires_in(b, now),
                }
                for b in self.live
            ],
            "ended_24h": len(self.ended_recently),
            "recent_failures": [b.to_json() for b in self.recent_failures],
            "archive_soon": [
                {**b.to_json(), "archived_in_seconds": round(archive_remaining(b, now))} for b in self.archive_soon
            ],
            "budget": self.budget.as_json(),
        }


def _expires_in(batch: CachedBatch, now: datetime) -> int | None:
    return round((timefmt.parse(batch.expires_at) - now).total_seconds()) if batch.expires_at else None


def build(ws: Workspace) -> StatusReport:
    """From the cache alone (sync first for fresh figures)."""
    now = ws.api_now()
    batches = ws.batches.query(since=timefmt.iso(now - timedelta(days=ARCHIVE_DAYS + 1)))
    recent = timefmt.iso(now - RECENT)
    return StatusReport(
        profile=ws.profile.name,
        now=now,
        sync=ws.batches.sync_state(),
        live=sorted((b for b in ws.batches.query({"live"})), key=lambda b: b.created_at),
        ended_recently=[b for b in batches if b.processing_status == "ended" and (b.ended_at or "") >= recent],
        archive_soon=sorted((b for b in batches if archive_soon(b, now)), key=lambda b: b.created_at),
        budget=budget_status(ws, now),
    )


def render(report: StatusReport) -> str:
    now = report.now
    lines = [f"batchdeck · profile {report.profile} · {_sync_line(report.sync, now)}"]
    budget = report.budget
    if budget.budget_usd or budget.spent_usd or budget.live.estimated:
        lines.append(f"spend · {budget.text()}")
    if report.live:
        lines += ["", f"live ({len(report.live)}):"]
        lines += [
            f"  {_name(b)}  {b.status_text()}, {b.counts.total:,} requests, running "
            f"{timefmt.span(b.duration_seconds(now))}{_expiry(b, now)}"
            for b in report.live
        ]
    else:
        lines.append("nothing live")
    failures = report.recent_failures
    if failures:
        lines += ["", f"ended in the last 24 h with failed rows ({len(failures)} of {len(report.ended_recently)}):"]
        lines += [f"  {_name(b)}  {b.status_text()}, ended {_ended_ago(b, now)}" for b in failures]
    else:
        lines.append(f"ended in the last 24 h: {len(report.ended_recently)}, none with failed rows")
    if report.archive_soon:
        lines += [
            "",
            f"results archived within 3 days and not saved locally ({len(report.archive_soon)}; "
            "`batchdeck results ID` keeps them):",
        ]
        lines += [f"  {_name(b)}  archived in {timefmt.span(archive_remaining(b, now))}" for b in report.archive_soon]
    return "\n".join(lines)


def _ended_ago(batch: CachedBatch, now: datetime) -> str:
    return timefmt.ago(timefmt.parse(batch.ended_at or batch.created_at), now)


def _name(batch: CachedBatch) -> str:
    return f"{batch.id} ({batch.label})" if batch.label else batch.id


def _expiry(batch: CachedBatch, now: datetime) -> str:
    left = _expires_in(batch, now)
    return "" if left is None else (f", expires in {timefmt.span(left)}" if left > 0 else ", past its expiry")


def _sync_line(state: SyncState, now: datetime) -> str:
    if state.last_attempt_at is None:
        return "never synced"
    success = (
        f"last sync {timefmt.ago(timefmt.parse(state.last_success_at), now)}"
        if state.last_success_at
        else "never synced successfully"
    )
    if state.last_error:  # cleared by every successful sync
        return (
            f"{success}; the last attempt ({timefmt.ago(timefmt.parse(state.last_attempt_at), now)}) failed: "
            f"{state.last_error}"
        )
    return success
