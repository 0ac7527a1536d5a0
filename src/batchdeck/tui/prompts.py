"""The confirmation flows for cancel and delete: say exactly what will happen, then act."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from batchdeck.tui.text import literal

from batchdeck.core.models import CachedBatch
from batchdeck.tui.screens.confirm import ConfirmScreen

if TYPE_CHECKING:
    from batchdeck.tui.app import BatchdeckApp

SHOWN = 6


def _names(batches: list[CachedBatch]) -> str:
    lines = [f"  {b.id}  {literal(b.label or '')}  {b.counts.total:,} requests, {b.status_text()}"
             for b in batches[:SHOWN]]
    if len(batches) > SHOWN:
        lines.append(f"  … and {len(batches) - SHOWN} more")
    return "\n".join(lines)


def _ask(app: BatchdeckApp, verb: str, targets: list[CachedBatch], consequence: str, skipped: str,
         act: Callable[[list[str]], None], yes_label: str) -> None:
    """Name the batches and what will happen; act only on a yes."""
    title = f"{verb.capitalize()} {'this batch' if len(targets) == 1 else f'{len(targets)} batches'}?"
    body = f"{_names(targets)}\n\n{consequence}" + (f"\n({skipped})" if skipped else "")

    def answer(yes: bool | None) -> None:
        if yes:
            act([b.id for b in targets])

    app.push_screen(ConfirmScreen(title, body, yes_label=yes_label), answer)


def confirm_cancel(app: BatchdeckApp, batches: list[CachedBatch]) -> None:
    live = [b for b in batches if b.processing_status == "in_progress" and not b.deleted_at]
    if not live:
        app.notify("nothing to cancel: only in-progress batches can be canceled", severity="warning")
        return
    skipped = len(batches) - len(live)
    _ask(app, "cancel", live,
         "Requests already processed keep their results; the rest end canceled. "
         "The batch shows as canceling until Anthropic finishes stopping it.",
         f"{skipped} selected batches are not in progress and are left alone." if skipped else "",
         app.controller.cancel, "Cancel batch" if len(live) == 1 else "Cancel all")


def confirm_delete(app: BatchdeckApp, batches: list[CachedBatch]) -> None:
    """Ended batches only; a single live one is still sent, so the API's own reason reaches the user."""
    present = [b for b in batches if not b.deleted_at]
    ended = [b for b in present if b.processing_status == "ended"]
    targets = ended if len(present) > 1 else present
    if not targets:
        app.notify("nothing to delete: only ended batches can be deleted (cancel running ones first)",
                   severity="warning")
        return
    skipped = len(present) - len(targets)
    _ask(app, "delete", targets,
         "The batch and its results are removed from Anthropic for good (download results first if you need "
         "them). batchdeck keeps its record, label and notes.",
         f"{skipped} selected batches have not ended and are left alone." if skipped else "",
         app.controller.delete, "Delete")
