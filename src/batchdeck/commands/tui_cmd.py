"""`batchdeck` with no command: the TUI on a profile (`--readonly` for a monitor that changes nothing).

SIGTERM and SIGHUP (an SSH drop, a closed terminal window) quit the app as `q` does, so the
terminal is restored and the cache closed; the exit status is then 128 + the signal's number."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

from batchdeck.core.config import toml_file
from batchdeck.core.errors import UsageError
from batchdeck.core.session import Session
from batchdeck.core.stop_signals import Stopped, on_stop_signals

if TYPE_CHECKING:
    from textual.app import App


def require_terminal() -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("the TUI needs a terminal; for scripts use the commands (batchdeck --help)")


class QuitOnSignal:
    """What a stop signal does to a TUI: quit the running app as `q` does; before it runs, unwind
    through the cleanup (a `Stopped`); once it has quit, nothing (the cleanup is under way)."""

    def __init__(self) -> None:
        self.app: App[None] | None = None
        self.quitting = False
        self.signum = 0

    def __call__(self, signum: int) -> None:
        self.signum = signum
        if self.quitting:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if self.app is None or loop is None:
            raise Stopped(signum)
        loop.call_soon_threadsafe(self.app.exit)


def run_app(session: Session, readonly: bool) -> int:
    """Open the cache first (a damaged one fails here, with its one-line message), then the app."""
    session.workspace().close()
    from batchdeck.tui.app import BatchdeckApp  # Textual loads only for the TUI

    quit_on = QuitOnSignal()
    try:
        with on_stop_signals(quit_on):
            app = BatchdeckApp(session, readonly=readonly)
            quit_on.app = app
            try:
                app.run()
            finally:
                quit_on.app, quit_on.quitting = None, True
    except Stopped as stop:  # a signal before the app ran
        return stop.exit_code
    if quit_on.signum:
        return 128 + quit_on.signum
    return app.return_code or 0  # 1 after a crash (its one-line report is already printed)


def run(profile_name: str | None, readonly: bool) -> int:
    require_terminal()
    config = toml_file.load()
    return run_app(Session(config, config.profile(profile_name)), readonly)
