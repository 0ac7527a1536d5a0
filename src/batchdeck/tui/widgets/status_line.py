"""The line at the top: profile, sync age and health, counts by status, READONLY and paused flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from batchdeck.tui.text import literal
from textual.widgets import Static

from batchdeck.core import timefmt

STALE_AFTER = 300.0


@dataclass
class StatusInfo:
    profile: str
    last_success: str | None = None
    error: str | None = None
    error_kind: str | None = None
    syncing: bool = False
    counts: dict[str, int] | None = None
    failed: int = 0
    readonly: bool = False
    paused: bool = False
    filter: str = ""
    quick: str = "all"
    sort: str = ""
    shown: int = 0
    marked: int = 0


def status_markup(info: StatusInfo, now: datetime) -> str:
    """Flags first (they must survive a narrow terminal), then sync age, counts and the view."""
    parts = [f"[b]batchdeck[/b] · {literal(info.profile)}"]
    if info.readonly:
        parts.append("[reverse $accent] READONLY [/]")
    if info.paused:
        parts.append("[reverse $warning] paused [/]")
    if info.error:
        label = "offline" if info.error_kind == "network" else "error"
        parts.append(f"[reverse $error] {label} [/]")
    if info.syncing:
        parts.append("syncing…")
    if info.last_success:
        age = (now - timefmt.parse(info.last_success)).total_seconds()
        text = "synced just now" if age < 10 else f"synced {timefmt.span(age - age % 10 if age < 60 else age)} ago"
        parts.append(f"[$warning]{text} (stale)[/]" if age > STALE_AFTER else text)
    elif not info.syncing:
        parts.append("never synced")
    counts = info.counts or {}
    live = counts.get("in_progress", 0) + counts.get("canceling", 0)
    parts.append(f"{live} live · {counts.get('ended', 0)} ended · {info.failed} failed")
    if info.marked:
        parts.append(f"[b]{info.marked} marked[/b]")
    if info.quick != "all" or info.filter:
        parts.append(f"showing {info.shown}: {info.quick}" + (f" /{literal(info.filter)}" if info.filter else ""))
    return " · ".join(parts)


class StatusLine(Static):
    _shown = ""

    def show(self, info: StatusInfo, now: datetime) -> None:
        markup = status_markup(info, now)
        if markup != self._shown:
            self._shown = markup
            self.update(markup)
