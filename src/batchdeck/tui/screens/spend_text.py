"""What the Spend screen says: the ranges and breakdowns it offers, the totals in words, and the table's cells.

Group keys (model names from results, labels, job names) are text from the network or the user: every
one is shown with its control characters visible, and never read as markup.
"""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text

from batchdeck.core.batches.phrases import counted
from batchdeck.core.spend.figures import Figures
from batchdeck.core.spend.report import SpendReport
from batchdeck.core.spend.span import SpendRange
from batchdeck.core.terminal_text import visible
from batchdeck.tui.money import money
from batchdeck.tui.widgets.spend_chart import Bar

RANGES = ("7d", "30d", "90d", "12m")  # `[` and `]` step through them
DEFAULT_RANGE = "30d"
BREAKDOWNS = ("model", "label", "job")  # `b` cycles them
CHART_UNIT = {"7d": "day", "30d": "day", "90d": "week", "12m": "month"}  # what one bar stands for
NUMBER_COLUMNS = ("PAID", "SAVED", "BATCHES", "REQUESTS", "UNPRICED")  # after the group's name, right-aligned


def step(items: tuple[str, ...], current: str, by: int) -> str:
    """The item `by` places from `current`, stopping at either end (ranges) ."""
    index = items.index(current) + by
    return items[max(0, min(len(items) - 1, index))]


def cycle(items: tuple[str, ...], current: str) -> str:
    """The next item, back to the first after the last (breakdowns)."""
    return items[(items.index(current) + 1) % len(items)]


def totals_sentence(label: str, total: Figures, unknown: int) -> str:
    """`last 30 days: $412.80 paid, $412.80 saved against standard prices, 3 batches of unknown cost`."""
    if not total.batches and not unknown:
        return f"{label}: no batch ended, nothing spent"
    text = f"{label}: {money(total.cost_usd)} paid, {money(total.saved_usd)} saved against standard prices"
    if unknown:
        text += f", {counted(unknown, 'batch', 'batches')} of unknown cost"
    return text


def usage_line(total: Figures) -> str:
    """The counts behind the money: batches, billed requests, tokens, and rows no price covers."""
    parts = [
        counted(total.batches, "batch", "batches") + " priced",
        counted(total.requests, "request"),
        f"{short(total.input_tokens)} input · {short(total.output_tokens)} output tokens",
    ]
    if total.cache_read_tokens or total.cache_write_tokens:
        parts.append(f"cache {short(total.cache_write_tokens)} written · {short(total.cache_read_tokens)} read")
    if total.unpriced_rows:
        parts.append(f"{counted(total.unpriced_rows, 'row')} of unknown price not counted")
    return " · ".join(parts)


def short(count: int) -> str:
    """`950`, `12.3k`, `4.1M`: a token count that fits a line."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if count >= size:
            return f"{count / size:.1f}{suffix}"
    return f"{count:,}"


def group_name(key: str) -> Text:
    """A group's key as drawn: control characters visible, never markup."""
    return Text(visible(key))


def row_cells(figures: Figures) -> tuple[Text, ...]:
    """The table's number cells for one group, right-aligned."""
    cells = (
        money(figures.cost_usd),
        money(figures.saved_usd),
        f"{figures.batches:,}",
        f"{figures.requests:,}",
        f"{figures.unpriced_rows:,}" if figures.unpriced_rows else "",
    )
    return tuple(Text(cell, justify="right") for cell in cells)


def scope_title(by: str, key: str, label: str) -> str:
    """What the batch list says it is limited to, e.g. `model claude-haiku-4-5, last 30 days`."""
    return f"{by} {visible(key)}, {label}"


def bars_of(report: SpendReport, unit: str) -> list[Bar]:
    """One bar per day, week or month of the report's range (grouped by `unit`), oldest first; one without
    spend is an empty bar."""
    spent = {group.key: group.figures for group in report.groups}
    bars = []
    for start in periods(report.span, unit):
        key = start.strftime("%Y-%m") if unit == "month" else start.isoformat()
        figures = spent.get(key, Figures())
        label = start.strftime("%b %Y") if unit == "month" else start.strftime("%b %d")
        bars.append(Bar(label, figures.cost_usd, figures.saved_usd))
    return bars


def periods(span: SpendRange, unit: str) -> list[date]:
    """The first day of each day, week (its Monday, as `core.spend` keys weeks) or month in the range."""
    first, last = span.start.date(), (span.end - timedelta(days=1)).date()
    if unit == "week":
        first -= timedelta(days=first.weekday())
    elif unit == "month":
        first = first.replace(day=1)
    days: list[date] = []
    day = first
    while day <= last:
        days.append(day)
        if unit == "month":
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            day += timedelta(days=7 if unit == "week" else 1)
    return days
