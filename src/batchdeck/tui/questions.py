"""The confirmation dialogs for cancel and delete: say exactly what will happen, then act.

Which batches may be canceled or deleted is `core.batches.rules`' call, made before a dialog opens
and made again on the answer, with the newest snapshot: a yes never sends a cancel for a batch that
ended while the dialog was open.
"""

from __future__ import annotations

from collections.abc import Sequence

from batchdeck.core.batches import rules
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.batches.phrases import counted, status_badge
from batchdeck.core.batches.rules import Sorted
from batchdeck.core.terminal_text import visible
from batchdeck.tui.screens.confirm import ConfirmScreen
from batchdeck.tui.text import literal

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


def question(chosen: Sorted) -> ConfirmScreen:
    """Name the batches and what will happen (and which marked ones are left alone, and why)."""
    verb, targets = chosen.action, chosen.allowed
    title = f"{verb.capitalize()} {'this batch' if len(targets) == 1 else counted(len(targets), 'batch', 'batches')}?"
    consequence = rules.consequence(verb, targets, KEEP_HINT if verb == "delete" else "")
    skipped = chosen.skipped_line()
    body = f"{_names(targets, saved_marker=verb == 'delete')}\n\n{consequence}" + (f"\n({skipped})" if skipped else "")
    yes = ("Cancel batch" if len(targets) == 1 else "Cancel all") if verb == "cancel" else "Delete"
    return ConfirmScreen(title, body, yes_label=yes)


def as_now(
    chosen: Sorted, newest: Sequence[CachedBatch], readonly: bool, job_batches: frozenset[str] | None
) -> tuple[Sorted, str | None]:
    """The dialog's batches as the newest poll sees them, split by the rule again, and the line to say when
    some (or all) can no longer take the action."""
    fresh = {b.id: b for b in newest}
    now = rules.sort_out(chosen.action, [fresh.get(b.id, b) for b in chosen.allowed], readonly, job_batches)
    if not now.refused:
        return now, None
    changed = now.skipped_line().removesuffix(".") + " (changed while the dialog was open)"
    return now, now.refusal_line() if not now.allowed else changed
