"""The batch list's columns: widths for a terminal width, cell text, sort keys, and a style class per cell."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from batchdeck.core import timefmt
from batchdeck.core.describe import archive_remaining, archive_soon
from batchdeck.core.models import CachedBatch



@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int  # 0 = shares the remaining width
    right: bool = False


COLUMNS = (
    Column("id", "ID", 11),
    Column("label", "LABEL", 0),
    Column("status", "STATUS", 0),
    Column("requests", "REQS", 7, right=True),
    Column("created", "CREATED", 9, right=True),
    Column("time", "TIME", 8, right=True),
    Column("left", "LEFT", 10, right=True),
    Column("cost", "COST", 7, right=True),
)
SORTABLE = tuple(c.key for c in COLUMNS)
MARK_WIDTH = 2
STATUS_MIN = 14
LABEL_MAX = 24


NARROW = 90  # below this, COST (the least needed column) gives its room to STATUS


def widths(total: int, label_need: int = 0) -> dict[str, int]:
    """Column widths for `total` cells (one space between columns). LABEL takes what its longest label
    needs (when STATUS keeps at least its minimum); STATUS takes the rest, so badges are not cut short."""
    dropped = {"cost"} if total < NARROW else set()
    if label_need == 0:
        dropped.add("label")
    shown = [c for c in COLUMNS if c.key not in dropped]
    fixed = sum(c.width for c in shown if c.width) + len(shown) - 1 + MARK_WIDTH
    spare = max(0, total - fixed)
    label = min(label_need, max(0, spare - STATUS_MIN)) if "label" not in dropped else 0
    status = spare - label
    sizes = {c.key: c.width or (status if c.key == "status" else label) for c in COLUMNS}
    return {**sizes, **dict.fromkeys(dropped, 0)}


def short_id(batch_id: str) -> str:
    return batch_id.removeprefix("msgbatch_")[:11]


def status_class(batch: CachedBatch) -> str:
    """ok | warn | bad | live | canceling | deleted: what colour the status badge gets."""
    if batch.deleted_at:
        return "deleted"
    if batch.processing_status == "in_progress":
        return "live"
    if batch.processing_status == "canceling":
        return "canceling"
    counts = batch.counts
    if counts.failed == 0:
        return "ok"
    return "bad" if counts.succeeded == 0 else "warn"


def seconds_left(batch: CachedBatch, now: datetime) -> float:
    """What LEFT counts down: to expiry while live, to the results' archival once ended."""
    if batch.deleted_at or batch.archived_at or batch.results_saved:
        return float("inf")
    if batch.is_live and batch.expires_at:
        return (timefmt.parse(batch.expires_at) - now).total_seconds()
    return archive_remaining(batch, now)


def left_text(batch: CachedBatch, now: datetime) -> str:
    """Time to expiry for live batches; time until results are archived for ended ones ("saved" once kept)."""
    if batch.results_saved:
        return "saved"
    if batch.deleted_at:
        return ""
    remaining = seconds_left(batch, now)
    if batch.is_live and batch.expires_at:
        return "exp " + timefmt.coarse(remaining)
    if remaining <= 0 or remaining == float("inf"):
        return "archived"
    return ("⚠ arch " if archive_soon(batch, now) else "arch ") + timefmt.coarse(remaining)


def cost_cell(batch: CachedBatch) -> str:
    if not batch.results_saved or batch.cost_usd is None:
        return "—"
    if batch.unpriced_rows and not batch.cost_usd:
        return "?"
    cost = batch.cost_usd
    return f"${cost:,.0f}" if cost >= 1000 else f"${cost:.2f}" if cost >= 0.01 or cost == 0 else "<$0.01"


def label_need(rows: Sequence[CachedBatch]) -> int:
    """Width the LABEL column wants: its longest label, capped."""
    return min(LABEL_MAX, max((len(b.label) for b in rows if b.label), default=0))


def cell_text(batch: CachedBatch, key: str, now: datetime) -> str:
    if key == "id":
        return short_id(batch.id)
    if key == "label":
        return batch.label or ""
    if key == "status":
        return batch.status_text()
    if key == "requests":
        return f"{batch.counts.total:,}"
    if key == "created":
        return timefmt.coarse_ago(batch.created, now)
    if key == "time":
        return timefmt.span(batch.duration_seconds(now))
    if key == "left":
        return left_text(batch, now)
    return cost_cell(batch)


def sort_key(key: str, now: datetime) -> Callable[[CachedBatch], Any]:
    keys: dict[str, Callable[[CachedBatch], Any]] = {
        "id": lambda b: b.id,
        "label": lambda b: (b.label or "").lower(),
        "status": lambda b: (status_class(b), b.status_text()),
        "requests": lambda b: b.counts.total,
        "created": lambda b: b.created_at,
        "time": lambda b: b.duration_seconds(now),
        "left": lambda b: seconds_left(b, now),
        "cost": lambda b: b.cost_usd if b.cost_usd is not None else -1.0,
    }
    return keys[key]


def fit(text: str, width: int, right: bool = False) -> str:
    if width <= 0:
        return ""
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text.rjust(width) if right else text.ljust(width)
