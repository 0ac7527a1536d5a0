"""Changing a batch (cancel, delete) and refreshing one: the API call, then the cache, so the two never disagree.

Whether a change may be made, and why not, is `rules`; `check_change` asks it about the batch as the API has it now.
"""

from __future__ import annotations

from dataclasses import dataclass

from batchdeck.core.batches import rules
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.errors import ApiFailure
from batchdeck.core.workspace import Workspace


@dataclass(frozen=True)
class ChangeResult:
    batch_id: str
    ok: bool
    message: str


def cancel_batch(ws: Workspace, batch_id: str) -> ChangeResult:
    try:
        batch = ws.api.cancel(batch_id)
    except ApiFailure as failure:
        return ChangeResult(batch_id, False, str(failure))
    ws.batches.store([batch], ws.now())
    return ChangeResult(batch_id, True, f"{batch_id}: {batch['processing_status'].replace('_', ' ')}")


def delete_batch(ws: Workspace, batch_id: str) -> ChangeResult:
    """Delete remotely; the cache keeps the batch (marked deleted) and all its local metadata."""
    try:
        ws.api.delete(batch_id)
    except ApiFailure as failure:
        if failure.kind == "not_found":
            ws.batches.mark_deleted([batch_id], ws.now())
        return ChangeResult(batch_id, False, str(failure))
    ws.batches.mark_deleted([batch_id], ws.now())
    return ChangeResult(batch_id, True, f"{batch_id}: deleted")


def refresh_batch(ws: Workspace, batch_id: str) -> CachedBatch:
    """Refresh one batch from the API into the cache and return it."""
    ws.batches.store([ws.api.retrieve(batch_id)], ws.now())
    batch = ws.batches.get(batch_id)
    assert batch is not None
    return batch


def check_change(ws: Workspace, action: str, batch_id: str) -> tuple[CachedBatch | None, str | None]:
    """The batch as the API has it now (one retrieve), and the one line saying why `action` cannot be
    done to it (None when it can). Nothing is changed: this runs before the call that would change it."""
    try:
        batch: CachedBatch | None = refresh_batch(ws, batch_id)
    except ApiFailure as failure:
        batch = ws.batches.get(batch_id)
        if failure.kind != "not_found" or batch is None:
            return None, str(failure)
        ws.batches.mark_deleted([batch_id], ws.now())  # gone remotely: the rule says so in its words
        batch = ws.batches.get(batch_id)
    assert batch is not None
    return batch, rules.why_not(action, batch)
