"""What the list shows: quick status filters, the `/` text filter (regex, `!` inverts), and sorting."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime

from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.batches.phrases import status_badge
from batchdeck.tui.widgets.columns import sort_key

QUICK_FILTERS: dict[str, Callable[[CachedBatch], bool]] = {
    "all": lambda b: b.deleted_at is None,
    "live": lambda b: b.is_live,
    "failed": lambda b: b.deleted_at is None and b.processing_status == "ended" and b.counts.failed > 0,
    "ended": lambda b: b.deleted_at is None and b.processing_status == "ended",
    "deleted": lambda b: b.deleted_at is not None,
}


def text_matcher(pattern: str) -> Callable[[CachedBatch], bool]:
    """Case-insensitive regex over id, label, note and status (as the badge shows it, `13,234 canceled`, and
    without separators); a pattern that is not a regex matches as text."""
    invert = pattern.startswith("!")
    pattern = pattern[1:] if invert else pattern
    try:
        regex = re.compile(pattern, re.IGNORECASE)
        search: Callable[[str], bool] = lambda text: regex.search(text) is not None  # noqa: E731
    except (re.error, OverflowError, RecursionError):  # not a usable regex: match it as plain text
        needle = pattern.lower()
        search = lambda text: needle in text.lower()  # noqa: E731

    def matches(batch: CachedBatch) -> bool:
        texts = (batch.id, batch.label or "", status_badge(batch), batch.status_text(), batch.note or "")
        found = any(search(text) for text in texts)
        return found != invert

    return matches


def visible_rows(
    batches: Sequence[CachedBatch], quick: str, text: str, sort: str, descending: bool, now: datetime
) -> list[CachedBatch]:
    keep = QUICK_FILTERS[quick]
    rows = [b for b in batches if keep(b)]
    if text:
        matcher = text_matcher(text)
        rows = [b for b in rows if matcher(b)]
    rows.sort(key=sort_key(sort, now), reverse=descending)
    return rows
