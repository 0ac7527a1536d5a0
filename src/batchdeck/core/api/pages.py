"""A list page as the cache takes it: well-formed batches, the ones it cannot hold, and a checked cursor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from batchdeck.core.batches.models import MalformedBatch, split_batches
from batchdeck.core.errors import ApiFailure
from batchdeck.core.ids import is_batch_id
from batchdeck.core.terminal_text import visible

LIST_LIMIT = 1000  # the API's largest page


@dataclass(frozen=True)
class Page:
    data: list[dict[str, Any]]  # the well-formed batches of the page
    has_more: bool
    last_id: str | None
    skipped: tuple[MalformedBatch, ...] = ()  # objects of the page the cache cannot hold, in the API's order


def read_page(body: dict[str, Any]) -> Page:
    """The page in a list answer. Objects the cache cannot hold (a bad id, wrong types) are in `skipped`."""
    raw = body.get("data")
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise ApiFailure("cannot list batches: the API's answer has no list of batches", kind="other")
    data, skipped = split_batches(raw)
    has_more = bool(body.get("has_more")) and bool(raw)
    return Page(data, has_more, _cursor(body, raw, has_more), tuple(skipped))


def _cursor(body: dict[str, Any], raw: list[Any], has_more: bool) -> str | None:
    """The page's `last_id` (or its last object's id): where the next page starts. Only a well-formed
    batch id is ever sent back as `after_id`."""
    cursor = body.get("last_id")
    if cursor is None and raw and isinstance(raw[-1], dict):
        cursor = raw[-1].get("id")
    if is_batch_id(cursor):
        return str(cursor)
    if has_more:
        raise ApiFailure(
            f"cannot list batches: the API's next-page cursor {visible(str(cursor))[:80]!r} is not a batch id",
            kind="other",
        )
    return None
