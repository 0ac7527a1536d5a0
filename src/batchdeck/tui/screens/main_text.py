"""What the main screen says in words: the status line's facts, why the list is empty, the flash line, and which
fields of a row it shows."""

from __future__ import annotations

from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.session import Session
from batchdeck.core.store.batch_pages import Tallies
from batchdeck.core.sync.report import SyncReport
from batchdeck.core.terminal_text import visible, visible_block
from batchdeck.tui.text import literal
from batchdeck.tui.widgets.status_line import StatusInfo

FLASH_STYLE = {"information": "$text-success", "warning": "$text-warning", "error": "$text-error"}


def status_info(
    session: Session, tallies: Tallies, report: SyncReport | None, last_success: str | None, readonly: bool
) -> StatusInfo:
    """What the status line says of the workspace: the profile, the last poll's health, and the counts."""
    profile = session.profile
    failing = report if report and not report.ok else None
    return StatusInfo(
        profile=profile.name + (f" ({profile.workspace_id})" if profile.workspace_id else ""),
        last_success=last_success,
        error=failing.error if failing else None,
        error_kind=failing.error_kind if failing else None,
        counts=dict(tallies.by_status),
        readonly=readonly,
        failed=tallies.failed,
        clock_note=session.clock_note,
        has_key=bool(profile.resolve_key()),
    )


def one_line(text: str) -> str:
    """A message's lines joined with ` · `, control characters shown (for the flash line and dialog toasts)."""
    return visible(" · ".join(part.strip() for part in text.splitlines() if part.strip()))


def empty_text(info: StatusInfo, loaded: bool, total: int) -> str:
    """Why the list is empty (Textual markup): `total` counts every batch of the profile, deleted ones too."""
    if total and (info.quick != "all" or info.filter or info.scope):
        return _no_match_text(info, total)
    if total:
        return f"Every batch here was deleted ({total:,}): [b]f[/b] cycles the quick filter to [b]deleted[/b]."
    if info.error and info.error_kind == "auth" and not info.has_key:
        return (
            "[b]No API key for this profile[/b], so there is nothing to list yet.\n"
            f"{literal(visible_block(info.error))}"
        )
    if info.error:
        return (
            "[b]The API could not be read[/b] and nothing is cached yet:\n"
            f"{literal(visible_block(info.error))}\nbatchdeck retries with backoff; [b]r[/b] tries now."
        )
    if not loaded or info.syncing or not info.last_success:
        return "Reading the workspace's batches from the API…"
    return (
        "[b]No batches in this workspace yet.[/b] `batchdeck submit FILE` sends one; it shows here with the next poll."
    )


def _no_match_text(info: StatusInfo, total: int) -> str:
    regex = f" matches [b]/{literal(visible(info.filter))}[/b]" if info.filter else ""
    kind = "" if info.quick == "all" else f"[b]{info.quick}[/b] "
    what = f"No {kind}batch{regex}" if regex else f"No {kind}batches"
    if info.scope:
        what += f" in [b]{literal(visible(info.scope))}[/b]"
    ways = []
    if info.filter:
        ways.append("[b]esc[/b] clears the text filter")
    if info.quick != "all":
        ways.append("[b]f[/b] cycles the quick filter back to [b]all[/b]")
    if info.scope and not info.filter:
        ways.append("[b]esc[/b] shows every batch again")
    return f"{what} (0 of {total:,}). " + "; ".join(ways) + "."


def shown_fields(batch: CachedBatch) -> tuple[object, ...]:
    """What the list shows of a batch (a poll that changes none of it needs no repaint)."""
    return (
        batch.id,
        batch.processing_status,
        batch.counts,
        batch.label,
        batch.note,
        batch.deleted_at,
        batch.ended_at,
        batch.archived_at,
        batch.cancel_initiated_at,
        batch.results_status,
        batch.cost_usd,
    )
