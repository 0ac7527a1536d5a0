"""The confirmation dialogs for cancel and delete: say exactly what will happen, then act.

Which batches may be canceled or deleted is `core.rules`' call, made before a dialog opens."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from batchdeck.core.batches import rules
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.batches.phrases import counted, status_badge
from batchdeck.core.batches.rules import Sorted
from batchdeck.core.terminal_text import visible
from batchdeck.tui.screens.confirm import ConfirmScreen
from batchdeck.tui.text import literal

if TYPE_CHECKING:
    from batchdeck.tui.app import BatchdeckApp

SHOWN = 6
KEEP_HINT = "To keep them, answer No and open them with o first (that saves a copy)."


def _names(batches: list[CachedBatch], saved_marker: bool = False) -> str:
    def line(b: CachedBatch) -> str:
        saved = " · results saved locally" if saved_marker and b.results_saved else ""
        label = literal(visible(b.label or ""))  # local, but typed or pasted: control characters shown
        return f"  {literal(visible(b.id))}  {label}  {counted(b.counts.total, 'request')}, {status_badge(b)}{saved}"

    lines = [line(b) for b in batches[:SHOWN]]
    if len(batches) > SHOWN:
        lines.append(f"  … and {len(batches) - SHOWN:,} more")
    return "\n".join(lines)


def _ask(
    app: BatchdeckApp, verb: str, chosen: Sorted, consequence: str, act: Callable[[list[str]], None], yes_label: str
) -> None:
    """Name the batches and what will happen (and which marked ones are left alone, and why); act only on a yes."""
    targets = chosen.allowed
    title = f"{verb.capitalize()} {'this batch' if len(targets) == 1 else counted(len(targets), 'batch', 'batches')}?"
    skipped = chosen.skipped_line()
    body = f"{_names(targets, saved_marker=verb == 'delete')}\n\n{consequence}" + (f"\n({skipped})" if skipped else "")

    def answer(yes: bool | None) -> None:
        if not yes:
            return
        now = _as_now(app, verb, targets)
        if now.refused:  # changed while the dialog was open (a poll saw it end, or start canceling)
            changed = now.skipped_line().removesuffix(".") + " (changed while the dialog was open)"
            app.refuse(now.refusal_line() if not now.allowed else changed)
        if now.allowed:
            act([b.id for b in now.allowed])

    app.push_screen(ConfirmScreen(title, body, yes_label=yes_label), answer)


def _as_now(app: BatchdeckApp, verb: str, targets: list[CachedBatch]) -> Sorted:
    """The dialog's batches as the newest poll sees them, split by the rule again: a yes never sends a
    cancel for a batch that ended while the dialog was open."""
    fresh = {b.id: b for b in app.controller.batches}
    return rules.sort_out(verb, [fresh.get(b.id, b) for b in targets], app.readonly, app.controller.job_batches)


def confirm_cancel(app: BatchdeckApp, chosen: Sorted) -> None:
    """The batches the rule allows to cancel (the caller has said why when there are none)."""
    _ask(
        app,
        "cancel",
        chosen,
        rules.consequence("cancel", chosen.allowed),
        app.controller.cancel,
        "Cancel batch" if len(chosen.allowed) == 1 else "Cancel all",
    )


def confirm_delete(app: BatchdeckApp, chosen: Sorted) -> None:
    """Ended batches only (the rule refuses live ones before this dialog); says whether their results stay."""
    _ask(app, "delete", chosen, rules.consequence("delete", chosen.allowed, KEEP_HINT), app.controller.delete, "Delete")
