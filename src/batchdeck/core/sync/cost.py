"""Choosing how to refresh the live batches older than the list pages a sync has read: more list
pages down to the oldest of them, or one retrieve each, whichever takes fewer requests.

A page refreshes up to `PAGE_SIZE` batches in one request. The list comes newest first by
`created_at`, which the cache also holds, so the pages needed to reach a batch are the cached
batches between the last page read and it, over the page size. The estimate can be off (batches
deleted remotely, objects the cache skipped); the sync re-estimates after each page, and whatever
the pages did not reach is retrieved.
"""

from __future__ import annotations

from collections.abc import Sequence

from batchdeck.core.store.batch_repo import BatchRepo

PAGE_SIZE = 1000  # the API's largest page: the fewest requests per batch


def pages_to_reach(cache: BatchRepo, oldest: str, bound: str) -> int:
    """List pages after the one whose oldest batch was created at `bound`, down to a batch created at `oldest`."""
    between = cache.count_created_between(oldest, bound)
    return max(1, -(-between // PAGE_SIZE))


def cheaper_to_list(cache: BatchRepo, below: Sequence[str], bound: str) -> bool:
    """Whether listing down to the oldest of `below` (created_at of live batches older than `bound`)
    takes fewer requests than retrieving each; a tie goes to retrieves (smaller answers)."""
    return bool(below) and pages_to_reach(cache, min(below), bound) < len(below)
