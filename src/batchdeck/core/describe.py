"""Every field of a cached batch as (name, text) pairs: one source for `batchdeck show` and the detail view."""

from __future__ import annotations

from datetime import datetime

from batchdeck.core import timefmt
from batchdeck.core.models import CachedBatch
from batchdeck.core.turnaround import Turnaround

ARCHIVE_DAYS = 29


def archive_remaining(batch: CachedBatch, now: datetime) -> float:
    """Seconds until the results are archived (29 days after creation; negative once past)."""
    return ARCHIVE_DAYS * 86400 - (now - batch.created).total_seconds()


def results_text(batch: CachedBatch, now: datetime) -> str:
    """Whether, and for how long, the results can be downloaded."""
    if batch.deleted_at:
        return "deleted"
    if batch.processing_status != "ended":
        return "available once the batch ends"
    if batch.archived_at:
        return f"archived on {batch.archived_at} ({ARCHIVE_DAYS} days after creation)"
    remaining = archive_remaining(batch, now)
    return "archived" if remaining <= 0 else f"downloadable for another {timefmt.coarse(remaining)}"


def turnaround_text(guess: Turnaround | None) -> str:
    if guess is None:
        return "no finished batches here yet to compare with"
    return (f"usually {timefmt.span(guess.typical_seconds)} (slowest {timefmt.span(guess.slow_seconds)}) "
            f"for {guess.smallest:,}-{guess.largest:,} requests, from {guess.based_on} past batches")


def batch_fields(batch: CachedBatch, guess: Turnaround | None, now: datetime) -> list[tuple[str, str]]:
    counts = batch.counts
    rows = [
        ("id", batch.id), ("status", batch.status_text()), ("profile", batch.profile),
        ("requests", f"{counts.total:,}: " + ", ".join(f"{n:,} {k}" for k, n in counts.as_dict().items() if n)),
        ("created", f"{batch.created_at} ({timefmt.ago(batch.created, now)})"),
        ("ended", batch.ended_at or "-"), ("expires", batch.expires_at or "-"),
        ("cancel initiated", batch.cancel_initiated_at or "-"),
        ("results", results_text(batch, now)), ("results url", batch.results_url or "-"),
        ("label", batch.label or "-"), ("note", batch.note or "-"), ("tags", ", ".join(batch.tags) or "-"),
        ("source file", batch.source_file or "-"), ("created by", batch.created_by or "-"),
        ("parent batch", batch.parent_batch_id or "-"),
        ("first seen", batch.first_seen_at), ("refreshed", batch.refreshed_at),
    ]
    if batch.deleted_at:
        rows.append(("deleted remotely", batch.deleted_at))
    if batch.is_live:
        rows += [("elapsed", timefmt.span(batch.duration_seconds(now))), ("turnaround", turnaround_text(guess))]
    return rows
