"""The results list's columns: widths sized to the rows at hand, and cell text made safe to draw.

CUSTOM_ID, ERROR and STOP are as wide as their longest cell on the pages loaded (never a fixed
share of the width), so OUTCOME, ERROR and STOP stay on screen beside the detail pane at 120
columns. Every cell from the results file is untrusted (a hostile server can put escape
sequences in a custom_id or an error type) and is drawn through `visible`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rich.cells import cell_len

from batchdeck.core.store.result_repo import ResultRow
from batchdeck.core.terminal_text import visible
from batchdeck.tui.widgets.columns import fit

# (key, title, width; 0 = sized to the cells), right-aligned
RESULT_COLUMNS = (
    ("custom_id", "CUSTOM_ID", 0, False),
    ("outcome", "OUTCOME", 9, False),
    ("error", "ERROR", 0, False),
    ("stop", "STOP", 0, False),
    ("in", "IN", 7, True),
    ("out", "OUT", 6, True),
    ("cost", "COST", 9, True),
)
MARK_WIDTH = 2
MIN_ID_WIDTH = 20  # CUSTOM_ID is cut down to this before STOP or ERROR goes
ID_CAP, ERROR_CAP, STOP_CAP = 64, 24, 14  # 64: the API's longest custom_id
SHED_FIRST = ("cost", "out", "in")  # a row's usage is also in the detail pane
SHED_LAST = ("stop", "error")  # what happened to a row goes last


@dataclass(frozen=True)
class ColumnNeeds:
    """The cells CUSTOM_ID, ERROR and STOP need for the rows seen (their titles at least)."""

    custom_id: int = len("CUSTOM_ID")
    error: int = len("ERROR")
    stop: int = len("STOP")

    def grown(self, rows: Iterable[ResultRow]) -> ColumnNeeds:
        custom_id, error, stop = self.custom_id, self.error, self.stop
        for row in rows:
            custom_id = max(custom_id, min(ID_CAP, cell_len(visible(row.custom_id))))
            error = max(error, min(ERROR_CAP, cell_len(visible(row.error_type or ""))))
            stop = max(stop, min(STOP_CAP, cell_len(visible(row.stop_reason or ""))))
        return ColumnNeeds(custom_id, error, stop)


def _line_width(sizes: dict[str, int]) -> int:
    shown = [width for width in sizes.values() if width]
    return MARK_WIDTH + sum(shown) + len(shown) - 1


@lru_cache(maxsize=64)
def result_widths(total: int, needs: ColumnNeeds = ColumnNeeds()) -> dict[str, int]:
    """Each column as wide as its cells need. When that is too wide: COST, OUT and IN go, then
    CUSTOM_ID is cut down (to MIN_ID_WIDTH at least), then STOP and ERROR go."""
    sizes = {key: width for key, _, width, _ in RESULT_COLUMNS}
    sizes.update(custom_id=needs.custom_id, error=needs.error, stop=needs.stop)
    for key in (None, *SHED_FIRST):
        if key:
            sizes[key] = 0
        if _line_width(sizes) <= total:
            return sizes
    for key in (None, *SHED_LAST):
        if key:
            sizes[key] = 0
        others = _line_width({**sizes, "custom_id": 0}) + 1  # + the space after CUSTOM_ID
        sizes["custom_id"] = min(needs.custom_id, max(MIN_ID_WIDTH, total - others))
        if _line_width(sizes) <= total:
            return sizes
    sizes["custom_id"] = max(1, total - MARK_WIDTH - sizes["outcome"] - 1)
    return sizes


def result_cell(row: ResultRow, key: str) -> str:
    """A cell's text, control characters shown (␛ for ESC), never sent to the terminal."""
    if key == "custom_id":
        return visible(row.custom_id)
    if key == "outcome":
        return visible(row.outcome)
    if key == "error":
        return visible(row.error_type or "")
    if key == "stop":
        return visible(row.stop_reason or "")
    if row.outcome != "succeeded":
        return ""
    if key == "in":
        return f"{row.input_tokens + row.cache_read_tokens + row.cache_write_tokens:,}"
    if key == "out":
        return f"{row.output_tokens:,}"
    return "unknown" if row.cost_usd is None else f"${row.cost_usd:.5f}"


def result_header(total: int, needs: ColumnNeeds = ColumnNeeds()) -> str:
    sizes = result_widths(total, needs)
    return " ".join(fit(title, sizes[k], right) for k, title, _, right in RESULT_COLUMNS if sizes[k])
