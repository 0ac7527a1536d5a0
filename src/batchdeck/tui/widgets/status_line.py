"""The line at the top: profile, flags, the view (quick filter, regex, sort), sync age and health, counts.

What the list shows is always named here: a filtered list never passes for the whole workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual.content import Content
from textual.widgets import Static

from batchdeck.core import timefmt
from batchdeck.core.terminal_text import visible
from batchdeck.tui.text import literal

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
    scope: str = ""  # the Spend screen group the list is limited to (MainScreen.scope_to)
    sort: str = ""
    shown: int = 0
    marked: int = 0
    budget: str = ""  # month to date against the budget, as markup (widgets/budget_text.py); '' without one
    clock_note: str | None = None  # "demo clock ×5": ages run faster than the wall clock
    has_key: bool = True  # the profile has an API key (an empty list then says how to set one)


def view_text(info: StatusInfo) -> str:
    """The scope, filters and sort in force, e.g. `showing 33: failed /nightly · sort created ↓`."""
    parts = []
    if info.quick != "all" or info.filter or info.scope:
        scope = [f"[b]{literal(visible(info.scope))}[/b]"] if info.scope else []
        quick = [f"[b]{info.quick}[/b]"] if info.quick != "all" else []
        regex = [f"[b]/{literal(visible(info.filter))}[/b]"] if info.filter else []
        parts.append(f"showing {info.shown:,}: " + " ".join(scope + quick + regex))
    if info.sort:
        parts.append(f"sort {info.sort}")
    return " · ".join(parts)


def status_markup(info: StatusInfo, now: datetime, brand: bool = True) -> str:
    """Flags and the view first (they must survive a narrow terminal), then the clock note, sync age and
    counts, which a narrow terminal cuts first. `brand=False` leaves out the leading "batchdeck"."""
    profile = literal(visible(info.profile))
    parts = [f"[b]batchdeck[/b] · {profile}" if brand else profile]
    if info.readonly:
        parts.append("[reverse $accent] READONLY [/]")
    if info.paused:
        parts.append("[reverse $warning] paused [/]")
    if info.error:
        label = "offline" if info.error_kind == "network" else "error"
        parts.append(f"[reverse $error] {label} [/]")
    view = view_text(info)
    if view:  # before the sync age and counts: a narrow terminal cuts those first
        parts.append(view)
    if info.marked:
        parts.append(f"[b]{info.marked:,} marked[/b]")
    if info.budget:
        parts.append(info.budget)
    if info.clock_note:
        parts.append(f"[i $warning]{literal(info.clock_note)}[/]")
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
    parts.append(f"{live:,} live · {counts.get('ended', 0):,} ended · {info.failed:,} failed")
    return " · ".join(parts)


class StatusLine(Static):
    """Redrawn once a second by the screen's tick: unchanged text at an unchanged width costs nothing."""

    _asked: tuple[str, int] = ("", 0)  # the full markup and the width of the last call
    _shown = ""

    def show(self, info: StatusInfo, now: datetime) -> None:
        markup = status_markup(info, now)
        width = self.content_size.width
        if (markup, width) == self._asked:
            return  # measuring the markup again would only find the same fit
        self._asked = (markup, width)
        if width and Content.from_markup(markup).cell_length > width:  # the name goes before the view is cut
            markup = status_markup(info, now, brand=False)
        if markup != self._shown:
            self._shown = markup
            self.update(markup, layout=False)  # one row high (app.tcss): its text never moves the widgets around it
