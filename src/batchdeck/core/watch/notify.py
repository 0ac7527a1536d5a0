"""Noticing batches that ended while someone was watching, and saying so in one line."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from batchdeck.core.batches.models import CachedBatch


def newly_ended(before: Mapping[str, str], after: Iterable[CachedBatch]) -> list[CachedBatch]:
    """Batches that were live in `before` (id -> processing_status) and have ended in `after`."""
    return [b for b in after if before.get(b.id) in ("in_progress", "canceling") and b.processing_status == "ended"]


def ending_message(batch: CachedBatch) -> str:
    name = f"{batch.label} ({batch.id})" if batch.label else batch.id
    counts = batch.counts
    parts = [f"{counts.succeeded:,} succeeded"] + [
        f"{n:,} {k}"
        for k, n in (("errored", counts.errored), ("expired", counts.expired), ("canceled", counts.canceled))
        if n
    ]
    return f"batch {name} ended: {', '.join(parts)}"


def osc9(text: str) -> str:
    """The OSC 9 desktop-notification escape (iTerm2, WezTerm, Windows Terminal, kitty…; passes through SSH)."""
    clean = "".join(ch for ch in text if ch.isprintable())[:200]
    return f"\x1b]9;{clean}\x07"
