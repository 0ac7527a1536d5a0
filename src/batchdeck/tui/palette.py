"""The command palette's entries: every batchdeck action by name, with the key bound to it on the screen the
palette was opened from. Entries the rules hide (read-only mode) are left out, as they are from the footer."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from textual.app import App, SystemCommand
from textual.screen import Screen

from batchdeck.tui.screens.main import MainScreen

APP_COMMANDS: tuple[tuple[str, str, str, str | None], ...] = (
    ("Refresh now", "Poll the API now", "refresh", None),
    ("Pause or resume polling", "Stop or restart background polling", "toggle_pause", None),
    ("Copy batch id", "Copy the selected batch ids (OSC 52)", "copy_id", None),
    ("Keys of this screen", "batchdeck's keys for the screen you are on", "help", None),
    ("Open results", "Browse the selected batch's results by custom_id", "open_results", None),
    ("Export results", "Save the results of the marked or selected batches as JSONL", "export_batches", None),
    ("Resubmit failed rows", "Preview, then resend the failed rows of the selected batch", "resubmit", "resubmit"),
    ("Open job", "The job of the selected batch, merged across its resubmissions", "open_job", None),
    ("Spend", "Paid and saved per day, by model, label or job", "open_spend", None),
    ("Cancel batches", "Cancel the marked or selected batches", "cancel_batches", "cancel_batches"),
    ("Delete batches", "Delete the marked or selected ended batches", "delete_batches", "delete_batches"),
    ("Label batch", "Set the selected batch's label", "label_batch", "label_batch"),
    ("Note on batch", "Set the selected batch's note", "note_batch", "note_batch"),
)
"""(title, help, the app's action, the action whose check_action decides whether it is offered)."""

MAIN_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("Open batch details", "Every field of the batch under the cursor", "open"),
    ("Filter batches", "Regex over id, label, status and note", "filter"),
    ("Clear the filter", "Show every batch again", "clear_filter"),
    ("Reverse the sort order", "Ascending or descending", "reverse_sort"),
    ("Mark or unmark the batch", "Actions apply to every marked batch", "mark"),
    ("Clear marks", "Unmark every batch", "clear_marks"),
    ("Show or hide live panes", "Toggle the live panes", "toggle_live"),
    ("Clear ended live panes", "Remove panes of batches that ended", "clear_ended_panes"),
)
QUICK = ("all", "live", "failed", "ended", "deleted")
SORTS = ("created", "status", "requests", "time", "left", "label", "id", "cost")


def batchdeck_commands(app: App[Any], screen: Screen[Any]) -> Iterable[SystemCommand]:
    yield command(app, screen, "Quit", "Quit batchdeck", app.action_quit, "quit")
    for title, help_text, action, check in APP_COMMANDS:
        if check is None or app.check_action(check, ()):
            yield command(app, screen, title, help_text, getattr(app, f"action_{action}"), action)
    if isinstance(screen, MainScreen):
        yield from main_commands(app, screen)


def main_commands(app: App[Any], main: MainScreen) -> Iterable[SystemCommand]:
    for name in QUICK:
        quick: Callable[[], None] = lambda n=name: main.action_quick_filter(n)  # type: ignore[misc]  # noqa: E731
        yield command(app, main, f"Show {name} batches", f"Quick filter: {name}", quick, "quick_filter", "cycles")
    for key in SORTS:
        sort: Callable[[], None] = lambda k=key: main.action_sort(k)  # type: ignore[misc]  # noqa: E731
        yield command(app, main, f"Sort by {key}", f"Sort the list by {key}", sort, "sort", "cycles")
    for title, help_text, action in MAIN_COMMANDS:
        yield command(app, main, title, help_text, getattr(main, f"action_{action}"), action)


def command(
    app: App[Any],
    screen: Screen[Any],
    title: str,
    help_text: str,
    callback: Callable[[], object],
    action: str,
    how: str = "",
) -> SystemCommand:
    """A palette entry whose title ends with the key bound to `action` on `screen`, if any."""
    key = key_for(app, screen, action)
    suffix = f" ({key}{' ' + how if how else ''})" if key else ""
    return SystemCommand(title + suffix, help_text, callback)


def key_for(app: App[Any], screen: Screen[Any], action: str) -> str | None:
    """The key bound to `action` (or `app.action`) on the screen or the app, as the footer shows it;
    a plain key before a ctrl combination (those often never arrive through tmux or SSH)."""
    names = {action, f"app.{action}", f"screen.{action}"}
    found = [
        binding
        for bindings in (screen._bindings, app._bindings)
        for _key, binding in bindings
        if binding.action in names
    ]
    found.sort(key=lambda binding: binding.key.startswith("ctrl+"))
    return app.get_key_display(found[0]) if found else None
