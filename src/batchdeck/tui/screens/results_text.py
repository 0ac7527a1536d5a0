"""What the results screen says: its outcome views, its title and header lines, and the messages of its workers."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message

from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.results.browse import ResultsBrowser
from batchdeck.core.store.result_repo import ResultRow
from batchdeck.core.terminal_text import visible
from batchdeck.tui.text import literal

OUTCOME_VIEWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("all", ()),
    ("failed", ("canceled", "errored", "expired")),
    ("succeeded", ("succeeded",)),
    ("errored", ("errored",)),
    ("expired", ("expired",)),
    ("canceled", ("canceled",)),
)


def as_literal(text: str) -> str:
    """Untrusted text (a label, an id) inside the screen's markup: control characters shown, `[` kept literal."""
    return literal(visible(text))


def title_text(batch: CachedBatch, outcomes: dict[str, int]) -> str:
    parts = [f"Results · {as_literal(batch.id)}" + (f" · {as_literal(batch.label)}" if batch.label else "")]
    if outcomes:
        parts.append(" · ".join(f"{n:,} {as_literal(k)}" for k, n in sorted(outcomes.items())))
    if batch.cost_usd is not None:
        parts.append(f"${batch.cost_usd:,.2f} at batch prices")
    return " · ".join(parts)


def shown_text(total: int, everything: int, view: int, error_type: str | None, search: str, marked: int) -> str:
    """`120 of 1,000 shown · outcome failed · error overloaded · search ticket-1 · 3 marked`."""
    shown = [f"{total:,} of {everything:,} shown"]
    if view:
        shown.append(f"outcome {OUTCOME_VIEWS[view][0]}")
    if error_type:
        shown.append(f"error {as_literal(error_type)}")  # from the API's results
    if search:
        shown.append(f"search {as_literal(search)}")
    if marked:
        shown.append(f"{marked:,} marked")
    return " · ".join(shown)


class ResultsOpened(Message):
    """The batch's local results: a browser over its index, the results file, and the batch with its cost."""

    def __init__(self, browser: ResultsBrowser, results_file: Path | None, batch: CachedBatch | None) -> None:
        super().__init__()
        self.browser, self.results_file, self.fresh_batch = browser, results_file, batch


class ResultsQueried(Message):
    """A filter's match count and the page the cursor lands on."""

    def __init__(
        self,
        generation: int,
        total: int,
        cursor: int,
        page: list[ResultRow],
        facets: tuple[dict[str, int], dict[str, int]],
    ) -> None:
        super().__init__()
        self.generation, self.total, self.cursor, self.page, self.facets = generation, total, cursor, page, facets


class PageFetched(Message):
    def __init__(self, generation: int, number: int, rows: list[ResultRow]) -> None:
        super().__init__()
        self.generation, self.number, self.rows = generation, number, rows
