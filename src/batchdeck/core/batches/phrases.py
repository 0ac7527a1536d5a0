"""Every field of a cached batch as (name, text) pairs: one source for `batchdeck show` and the detail view."""

from __future__ import annotations

from datetime import datetime

from batchdeck.core import timefmt
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.sync.turnaround import Turnaround

ARCHIVE_DAYS = 29
ARCHIVE_WARN_SECONDS = 3 * 86400  # the list warns this long before unsaved results are archived
FAILURE_WORDS = (("errored", "err"), ("expired", "exp"), ("canceled", "canc"))  # (full, short), in badge order


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`1 request`, `2 requests`, `13,234 requests`, `2 batches`: the number with separators and the right form."""
    return f"{n:,} {noun if n == 1 else plural or noun + ('es' if noun.endswith(('ch', 'sh', 's', 'x')) else 's')}"


def status_badge(batch: CachedBatch, short: bool = False) -> str:
    """`in progress`, `canceling`, `deleted`, `ended`, or `ended · 20 errored · 13,234 canceled` when rows
    failed; `short` abbreviates the failure words (`ended · 20 err · 49 exp`) for narrow columns."""
    if batch.deleted_at is not None:
        return "deleted"
    if batch.processing_status != "ended":
        return batch.processing_status.replace("_", " ")
    counts = batch.counts
    if not counts.failed:
        return "ended"
    numbers = (counts.errored, counts.expired, counts.canceled)
    words = (abbrev if short else full for full, abbrev in FAILURE_WORDS)
    return " · ".join(["ended", *(f"{n:,} {word}" for n, word in zip(numbers, words, strict=True) if n)])


def archive_remaining(batch: CachedBatch, now: datetime) -> float:
    """Seconds until the results are archived (29 days after creation; negative once past)."""
    return ARCHIVE_DAYS * 86400 - (now - batch.created).total_seconds()


def archive_soon(batch: CachedBatch, now: datetime) -> bool:
    """Ended, results not saved locally, and Anthropic archives them within three days."""
    if batch.deleted_at or batch.archived_at or batch.processing_status != "ended" or batch.results_saved:
        return False
    return 0 < archive_remaining(batch, now) <= ARCHIVE_WARN_SECONDS


def results_text(batch: CachedBatch, now: datetime) -> str:
    """Whether the results are kept locally, and whether (and for how long) they can still be downloaded."""
    if batch.results_saved:
        return "saved locally (they outlive Anthropic's archive)"
    if batch.processing_status != "ended":
        return "deleted" if batch.deleted_at else "available once the batch ends"
    if batch.deleted_at:
        return "gone: the batch was deleted and no local copy was kept"
    remaining = archive_remaining(batch, now)
    if batch.archived_at or remaining <= 0:
        when = f"on {batch.archived_at} " if batch.archived_at else ""
        return f"archived {when}({ARCHIVE_DAYS} days after creation); no local copy was kept"
    text = f"downloadable for another {timefmt.coarse(remaining)}, not saved locally yet"
    return ("⚠ " + text) if archive_soon(batch, now) else text


def cost_text(batch: CachedBatch) -> str:
    """Actual cost from the downloaded results' usage, at batch prices, with the saving against standard."""
    if not batch.results_saved or batch.cost_usd is None:
        return "known once the results are downloaded" if batch.processing_status == "ended" else "-"
    text = f"${batch.cost_usd:,.4f} at batch prices"
    if batch.standard_cost_usd is not None and batch.standard_cost_usd > batch.cost_usd:
        text += f" (saved ${batch.standard_cost_usd - batch.cost_usd:,.4f} against standard)"
    if batch.unpriced_rows:
        text += f"; {counted(batch.unpriced_rows, 'row')} of models with unknown price not counted"
    return text


# A canceling batch ends when the requests already running finish, whatever batches of its size usually take.
CANCELING_TURNAROUND = "not compared: a canceling batch ends once the requests already running finish"


def turnaround_text(guess: Turnaround | None) -> str:
    if guess is None:
        return "no finished batches here yet to compare with"
    return (
        f"usually {timefmt.span(guess.typical_seconds)} (slowest {timefmt.span(guess.slow_seconds)}) "
        f"for {guess.smallest:,}-{counted(guess.largest, 'request')}, "
        f"from {counted(guess.based_on, 'past batch', 'past batches')}"
    )


def batch_fields(batch: CachedBatch, guess: Turnaround | None, now: datetime) -> list[tuple[str, str]]:
    counts = batch.counts
    rows = [
        ("id", batch.id),
        ("status", status_badge(batch)),
        ("profile", batch.profile),
        (
            "requests",
            f"{counted(counts.total, 'request')}: " + ", ".join(f"{n:,} {k}" for k, n in counts.as_dict().items() if n),
        ),
        ("created", f"{batch.created_at} ({timefmt.ago(batch.created, now)})"),
        ("ended", batch.ended_at or "-"),
        ("expires", batch.expires_at or "-"),
        ("cancel initiated", batch.cancel_initiated_at or "-"),
        ("results", results_text(batch, now)),
        ("cost", cost_text(batch)),
        ("results url", batch.results_url or "-"),
        ("label", batch.label or "-"),
        ("note", batch.note or "-"),
        ("tags", ", ".join(batch.tags) or "-"),
        ("source file", batch.source_file or "-"),
        ("created by", batch.created_by or "-"),
        ("parent batch", batch.parent_batch_id or "-"),
        ("first seen", batch.first_seen_at),
        ("refreshed", batch.refreshed_at),
    ]
    if batch.deleted_at:
        rows.append(("deleted remotely", batch.deleted_at))
    if batch.is_live:
        usual = CANCELING_TURNAROUND if batch.processing_status == "canceling" else turnaround_text(guess)
        rows += [("elapsed", timefmt.span(batch.duration_seconds(now))), ("turnaround", usual)]
    return rows
