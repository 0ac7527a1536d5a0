"""The batch list's rows a page at a time, for a list that shows 100,000 cached batches at once.

As the results browser does, a list never holds every batch: a read gives the view's count, its column
needs, where the cursor's batch now sits, and the 256-row pages the cursor and the window are on. Later
pages come as they scroll into sight: a page next to a known one by keyset (after its neighbour's last
row, or before its first), which stays quick at any depth; a page far from any known one (End, a
scrollbar drag) by OFFSET once. Reads are stateless: the list keeps the pages and their keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from batchdeck.core.store.batch_pages import BatchPages, BatchView, Key, Page, ViewStats

PAGE_ROWS = 256


@dataclass(frozen=True)
class ListRequest:
    """What the list needs read: its view, the batch the cursor is on and where, and the rows in the window."""

    generation: int  # a list shows only the newest generation's reads
    view: BatchView
    keep: str | None = None  # the cursor's batch: the cursor stays on it when the view still shows it
    cursor: int = 0  # otherwise the cursor stays at this row (or the last one)
    top: int = 0
    height: int = 0


@dataclass(frozen=True)
class ListRead:
    request: ListRequest
    stats: ViewStats
    cursor: int
    pages: dict[int, Page]


def read_list(store: BatchPages, request: ListRequest, now: str) -> ListRead:
    """The view's count and needs, the cursor's new row, and the pages it and the window are on."""
    view = request.view
    stats = store.stats(view)
    found = store.position(view, now, request.keep) if request.keep is not None else None
    last = max(0, stats.count - 1)
    cursor = found if found is not None else min(request.cursor, last)
    top = max(0, request.top)
    bottom = min(last, top + max(0, request.height - 1))
    wanted = sorted({cursor // PAGE_ROWS, top // PAGE_ROWS, bottom // PAGE_ROWS}) if stats.count else []
    pages: dict[int, Page] = {}
    for number in wanted:
        before = pages.get(number - 1)
        pages[number] = read_page(store, view, now, number, before.keys[-1] if before and before.keys else None)
    return ListRead(request, stats, cursor, pages)


def read_page(
    store: BatchPages, view: BatchView, now: str, number: int, after: Key | None = None, before: Key | None = None
) -> Page:
    """Page `number`: after the last row of the page before it, before the first of the page after, or by OFFSET."""
    if after is not None:
        return store.page(view, now, PAGE_ROWS, after=after)
    if before is not None:
        return store.page(view, now, PAGE_ROWS, before=before)
    return store.page(view, now, PAGE_ROWS, offset=number * PAGE_ROWS)
