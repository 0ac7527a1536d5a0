"""The batch list's rows a page at a time, for a list that shows 100,000 cached batches at once.

As the results browser does, a list never holds every batch: a read gives the view's count, where the
cursor's batch now sits, and the 256-row pages the cursor and the window are on. Later
pages come as they scroll into sight: a page next to a known one by keyset (after its neighbour's last
row, or before its first), which stays quick at any depth; a page far from any known one (End, a
scrollbar drag) by OFFSET once. A `/` view keeping few rows is read whole instead, as its ids in order:
its pages are then read by id. A view's count and the cursor's place are one pass when both are wanted.
Reads are stateless: the list keeps the pages, their keys, and a whole order. A keyset read leaves the column needs to the list, which measures the rows it is given (two
maximums over every row would cost a read of 100,000 batches more than the rest of it); a view read whole
measures every row as it reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from batchdeck.core.store.batch_order import Key
from batchdeck.core.store.batch_pages import BatchPages, BatchView, Page, Tallies, ViewStats

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
    stats: ViewStats | None = None  # the view's count (and needs) when only its sort changed (the same rows)


@dataclass(frozen=True)
class ListRead:
    request: ListRequest
    stats: ViewStats
    cursor: int
    pages: dict[int, Page]
    order: tuple[str, ...] | None = None  # every id of the view in order, when pages are read by id


WHOLE_AT_MOST = 1024
"""A `/` view keeping at most this many rows is read whole, as its ids in order: keyset reads would test each
row of a long index walk to find so few. One keeping more pages by keyset, as any other view does."""


def read_list(store: BatchPages, request: ListRequest, now: str, tallies: Tallies | None = None) -> ListRead:
    """The view's count (and a whole read's column needs), the cursor's new row, and the pages it and the window
    are on. `tallies`, read with it, give a quick filter's count without another pass."""
    view = request.view
    order: list[str] | None = None
    key = store.key_of(view, now, request.keep) if request.keep is not None else None
    counted = request.stats is not None or (tallies is not None and not view.text and view.scope is None)
    if view.text or not counted:  # the count, the cursor's place and a `/` view's few ids: one pass
        survey = store.survey(view, now, key, WHOLE_AT_MOST if view.text else 0)
        count, found = survey.count, survey.rows_before
        if survey.ids is not None:  # the few rows a `/` view keeps, in order, looked up by id
            order, stats = store.ordered(replace(view, scope=survey.ids), now)
            found = {batch_id: index for index, batch_id in enumerate(order)}.get(request.keep or "")
    else:  # a sort or a quick filter: the count is known
        count = request.stats.count if request.stats is not None else store.count(view, tallies)
        found = store.rows_before(view, now, key) if key is not None else None
    if order is None:
        stats = request.stats or ViewStats(count, 0, 0, ())  # column needs: the list's
    last = max(0, stats.count - 1)
    cursor = found if found is not None else min(request.cursor, last)
    top, height = max(0, request.top), max(1, request.height)
    if not top <= cursor < top + height:  # the list scrolls the cursor's row into the window, the least it can
        top = max(0, cursor - height + 1) if cursor >= top + height else cursor
    bottom = min(last, top + height - 1)
    here = cursor // PAGE_ROWS
    wanted = sorted({here, top // PAGE_ROWS, bottom // PAGE_ROWS}) if stats.count else []
    pages: dict[int, Page] = {}
    if order is not None:
        for number in wanted:
            pages[number] = Page(store.rows(order[number * PAGE_ROWS : (number + 1) * PAGE_ROWS]), [])
        return ListRead(request, stats, cursor, pages, tuple(order))
    if found is not None and key is not None and request.keep is not None:  # around the cursor's row, by keyset
        pages[here] = _page_around(store, view, now, request.keep, key, cursor % PAGE_ROWS)
    for number in wanted:  # the cursor's page first, then its neighbours in the window by keyset
        if number not in pages:
            before, after = pages.get(number - 1), pages.get(number + 1)
            last_key = before.keys[-1] if before and before.keys else None
            first_key = after.keys[0] if after and after.keys and last_key is None else None
            pages[number] = read_page(store, view, now, number, last_key, first_key)
    return ListRead(request, stats, cursor, pages)


def _page_around(store: BatchPages, view: BatchView, now: str, batch_id: str, key: Key, offset: int) -> Page:
    """The page holding the row keyed `key` at `offset`: the rows before it and after it by keyset (no OFFSET,
    which sorts every row before the page)."""
    before = store.page(view, now, offset, before=key) if offset else Page([], [])
    after = store.page(view, now, PAGE_ROWS - offset - 1, after=key)
    return Page(before.rows + store.rows([batch_id]) + after.rows, [*before.keys, key, *after.keys])


def read_page(
    store: BatchPages,
    view: BatchView,
    now: str,
    number: int,
    after: Key | None = None,
    before: Key | None = None,
    ids: Sequence[str] | None = None,
) -> Page:
    """Page `number`: these ids (a view read by id), after the last row of the page before it, before the first
    of the page after, or by OFFSET."""
    if ids is not None:
        return Page(store.rows(ids), [])
    if after is not None:
        return store.page(view, now, PAGE_ROWS, after=after)
    if before is not None:
        return store.page(view, now, PAGE_ROWS, before=before)
    return store.page(view, now, PAGE_ROWS, offset=number * PAGE_ROWS)
