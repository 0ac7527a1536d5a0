"""The batch list's columns: widths for a terminal width, cell text, and a style class per cell (the sorts are SQL:
core.store.batch_pages)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len, set_cell_size

from batchdeck.core import timefmt
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.batches.phrases import archive_remaining, archive_soon, status_badge
from batchdeck.core.terminal_text import visible


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
STATUS_MIN = len("in progress")
LABEL_MAX = 24


NARROW = 90  # below this, COST (the least needed column) gives its room to STATUS
LABEL_KEEP = 12  # a label squeezed below this (and below its need) takes TIME's room too


def widths(total: int, label_need: int = 0, status_need: int = STATUS_MIN) -> dict[str, int]:
    """Column widths for `total` cells (one space between columns). STATUS first gets what its shortest
    badges need (`ended · 20 err · 49 exp`: failure counts are never cut for a label), LABEL then takes
    up to what its longest label needs, and STATUS the rest, so badges show in full when there is room.
    When that leaves a label fewer than LABEL_KEEP cells, TIME is dropped to make room."""
    dropped = {"cost"} if total < NARROW else set()
    if label_need == 0:
        dropped.add("label")
    sizes = _share(total, dropped, label_need, status_need)
    if "label" not in dropped and sizes["label"] < min(label_need, LABEL_KEEP):
        sizes = _share(total, dropped | {"time"}, label_need, status_need)
    return sizes


def _share(total: int, dropped: set[str], label_need: int, status_need: int) -> dict[str, int]:
    """Fixed columns keep their widths; STATUS's badge, then LABEL, then STATUS again share the rest."""
    shown = [c for c in COLUMNS if c.key not in dropped]
    fixed = sum(c.width for c in shown if c.width) + len(shown) - 1 + MARK_WIDTH
    spare = max(0, total - fixed)
    badge = min(spare, max(status_need, STATUS_MIN))
    label = min(label_need, spare - badge) if "label" not in dropped else 0
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


def label_need(plain_chars: int, odd_labels: Sequence[str] = ()) -> int:
    """Cells the LABEL column wants: its longest label as drawn (wide characters count twice), capped. The view's
    longest printable ASCII label is `plain_chars` long (a cell a character); other labels are measured here."""
    return min(LABEL_MAX, max(plain_chars, *(cells(shown(label)) for label in odd_labels), 0))


def row_needs(rows: Iterable[CachedBatch]) -> tuple[int, int]:
    """What these rows need of LABEL (cells, capped) and STATUS (the longest short badge with failure counts, 0
    for none): the SQL view stats' needs, measured on the rows a list holds."""
    label = badge = 0
    for batch in rows:
        if batch.label:
            label = max(label, cells(shown(batch.label)))
        if batch.deleted_at is None and batch.processing_status == "ended" and batch.counts.failed:
            badge = max(badge, len(status_badge(batch, short=True)))
    return min(LABEL_MAX, label), badge


def status_cell(batch: CachedBatch, width: int) -> str:
    """The badge in full when it fits, else with short failure words (`ended · 20 err · 49 exp`)."""
    full = status_badge(batch)
    return full if len(full) <= width else status_badge(batch, short=True)


def cell(batch: CachedBatch, column: Column, width: int, now: datetime) -> str:
    """One cell as drawn: its text for this width, control characters made visible, fitted to `width`."""
    text = status_cell(batch, width) if column.key == "status" else cell_text(batch, column.key, now)
    return fit(text, width, column.right)


def cell_text(batch: CachedBatch, key: str, now: datetime) -> str:
    if key == "id":
        return short_id(batch.id)
    if key == "label":
        return batch.label or ""
    if key == "status":
        return status_badge(batch)
    if key == "requests":
        return f"{batch.counts.total:,}"
    if key == "created":
        return timefmt.coarse_ago(batch.created, now)
    if key == "time":
        return timefmt.span(batch.duration_seconds(now))
    if key == "left":
        return left_text(batch, now)
    return cost_cell(batch)


def fit(text: str, width: int, right: bool = False) -> str:
    """`text` as exactly `width` terminal cells: control characters shown (`␛`), never sent; cut with `…`
    or padded by cell width, so wide characters (CJK, emoji) never shift the columns after them."""
    if width <= 0:
        return ""
    text = shown(text)
    size = cells(text)
    if size > width:
        text = (text[: width - 1] if text.isascii() else set_cell_size(text, width - 1)) + "…"
        size = width
    pad = " " * (width - size)
    return pad + text if right else text + pad


def shown(text: str) -> str:
    """Untrusted text as it may be drawn (`visible`), skipping the work for text with nothing to show."""
    return text if text.isprintable() else visible(text)


def cells(text: str) -> int:
    """Terminal cells `text` takes (ASCII: one per character, without the lookup)."""
    return len(text) if text.isascii() else cell_len(text)
