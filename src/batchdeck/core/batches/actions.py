"""Operations that change a batch: the API call, then the cache, so the two never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from batchdeck.core.batches import rules
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.errors import ApiFailure
from batchdeck.core.workspace import Workspace


@dataclass(frozen=True)
class Outcome:
    batch_id: str
    ok: bool
    message: str


def cancel(ws: Workspace, batch_id: str) -> Outcome:
    try:
        batch = ws.api.cancel(batch_id)
    except ApiFailure as failure:
        return Outcome(batch_id, False, str(failure))
    ws.batches.store([batch], ws.now())
    return Outcome(batch_id, True, f"{batch_id}: {batch['processing_status'].replace('_', ' ')}")


def delete(ws: Workspace, batch_id: str) -> Outcome:
    """Delete remotely; the cache keeps the batch (marked deleted) and all its local metadata."""
    try:
        ws.api.delete(batch_id)
    except ApiFailure as failure:
        if failure.kind == "not_found":
            ws.batches.mark_deleted([batch_id], ws.now())
        return Outcome(batch_id, False, str(failure))
    ws.batches.mark_deleted([batch_id], ws.now())
    return Outcome(batch_id, True, f"{batch_id}: deleted")


def fetch(ws: Workspace, batch_id: str) -> CachedBatch:
    """Refresh one batch from the API into the cache and return it."""
    ws.batches.store([ws.api.retrieve(batch_id)], ws.now())
    batch = ws.batches.get(batch_id)
    assert batch is not None
    return batch


def checked(ws: Workspace, action: str, batch_id: str) -> tuple[CachedBatch | None, str | None]:
    """The batch as the API has it now (one retrieve), and the one line saying why `action` cannot be
    done to it (None when it can). Nothing is changed: this runs before the call that would change it."""
    try:
        batch: CachedBatch | None = fetch(ws, batch_id)
    except ApiFailure as failure:
        batch = ws.batches.get(batch_id)
        if failure.kind != "not_found" or batch is None:
            return None, str(failure)
        ws.batches.mark_deleted([batch_id], ws.now())  # gone remotely: the rule says so in its words
        batch = ws.batches.get(batch_id)
    assert batch is not None
    return batch, rules.why_not(action, batch)
