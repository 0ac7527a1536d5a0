"""The Textual app: wiring only. The screens, the keys that act on batches (each rule's call made by
`core.batches.rules`), the signals screens subscribe to, toasts, and the one worker-error handler.

Work happens in named thread workers on the screens and on the non-visual widgets of the main screen
(see screens/main.py); none of them touches a widget, each posts one message.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import Notify, SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from batchdeck.core.session import Session
from batchdeck.core.terminal_text import visible, visible_block
from batchdeck.tui.batch_keys import BatchKeys
from batchdeck.tui.crash import crash_report
from batchdeck.tui.messages import DownloadWanted, ExportFinished, RetryWanted, ScopeWanted
from batchdeck.tui.palette import batchdeck_commands
from batchdeck.tui.screens.main import MainScreen
from batchdeck.tui.screens.main_text import one_line
from batchdeck.tui.signals import Downloads, Signals

# How long a toast stays; the flash line under the list keeps the last message until the next one.
TOAST_SECONDS: dict[str, float] = {"information": 8.0, "warning": 12.0, "error": 15.0}


class BatchdeckApp(BatchKeys):
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))  # absolute: subclasses elsewhere keep the theme
    TITLE = "batchdeck"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("colon", "command_palette", "Commands", show=False),
        Binding("ctrl+p", "command_palette", "Commands", show=False, priority=True),
    ]
    NOTIFICATION_TIMEOUT = TOAST_SECONDS["information"]

    def __init__(self, session: Session, readonly: bool = False, poll: bool = True) -> None:
        super().__init__()
        self.session = session
        self.readonly = readonly
        self.clock = session.clock
        self.signals = Signals.owned_by(self)
        self.downloads = Downloads()
        self.main = MainScreen(session, readonly, self.signals, self.downloads, poll)

    def on_mount(self) -> None:
        self.push_screen(self.main)

    def on_unmount(self) -> None:
        self.session.close()

    def _fatal_error(self) -> None:
        """An unhandled exception: exit with batchdeck's one-line report instead of Textual's, whose
        locals can show the API key (see tui/crash.py)."""
        error = sys.exc_info()[1] or self._exception
        if error is None:
            super()._fatal_error()
            return
        self.bell()
        secrets = [*self.session.config.secrets(), self.session.profile.resolve_key()]
        self.error_console.soft_wrap = True  # the report's lines as they are, not cut at 80 columns
        self._exit_renderables.append(crash_report(error, secrets))
        self._close_messages_no_wait()

    # -- notifications and errors -------------------------------------------------------------
    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast: control characters shown, short-lived (the flash line keeps it), and while a
        dialog is open one line at the top (see app.tcss), so it never covers the dialog's input."""
        longest = TOAST_SECONDS.get(severity, TOAST_SECONDS["information"])
        timeout = longest if timeout is None else min(timeout, longest)
        message, title = visible_block(message), visible(title)
        if isinstance(self.screen_stack[-1] if self.screen_stack else None, ModalScreen):
            message, title = one_line(f"{title}: {message}" if title else message), ""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def on_notify(self, event: Notify) -> None:
        """The flash line on the main screen keeps the last message until the next one (k9s-style)."""
        note = event.notification
        self.main.flash(note.title, note.message, note.severity, note.markup)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker errors surface: a readable notification, and the app keeps running."""
        error = event.worker.error
        if event.state == WorkerState.ERROR and error is not None:
            text = f"{type(error).__name__}: {error}" if not str(error).startswith("cannot") else str(error)
            self.notify(text, title="Something went wrong", severity="error", timeout=20, markup=False)

    def on_export_finished(self, message: ExportFinished) -> None:
        """Where an export went, or why it failed (from every node that exports: an export outlives its screen)."""
        if message.error:
            self.notify(message.text, title="Export failed", severity="error", timeout=20, markup=False)
        else:
            self.notify(message.text, title="Exported", timeout=10, markup=False)

    def on_download_wanted(self, message: DownloadWanted) -> None:
        self.main.keeper.download(message.batch_id)

    def on_retry_wanted(self, message: RetryWanted) -> None:
        self.start_retry(message.target, message.only)

    def on_scope_wanted(self, message: ScopeWanted) -> None:
        """Back to the batch list, limited to the batches a Spend screen row stands for."""
        while len(self.screen_stack) > 1 and self.screen is not self.main:
            self.pop_screen()
        self.main.scope_to(message.title, message.batch_ids)

    # -- app keys ------------------------------------------------------------------------------
    def action_open_spend(self) -> None:
        from batchdeck.tui.screens.spend import SpendScreen  # plotext loads when the chart is first wanted

        self.push_screen(SpendScreen(self.session, self.signals))

    def action_refresh(self) -> None:
        self.main.feed.poll_now()
        self.notify("refreshing…", timeout=2)

    def action_toggle_pause(self) -> None:
        paused = self.main.feed.toggle_pause()
        self.main.info.paused = paused
        self.main.tick()
        self.notify("polling paused (p resumes)" if paused else "polling resumed", timeout=4)

    def action_help(self) -> None:
        from batchdeck.tui.screens.detail import DetailScreen  # the screens a key opens load when first wanted
        from batchdeck.tui.screens.help import HelpScreen
        from batchdeck.tui.screens.job import JobScreen
        from batchdeck.tui.screens.results import ResultsScreen

        titles = {DetailScreen: "Batch details", ResultsScreen: "Results", JobScreen: "Job"}
        title = next((t for kind, t in titles.items() if isinstance(self.screen, kind)), self.screen.TITLE or "Batches")
        self.push_screen(HelpScreen(self.screen, title))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every action by name; Textual's own commands only where batchdeck has no equivalent (its "Keys"
        panel is replaced by `?`)."""
        yield from (c for c in super().get_system_commands(screen) if c.title not in ("Keys", "Quit"))
        yield from batchdeck_commands(self, screen)
