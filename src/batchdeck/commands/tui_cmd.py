"""`batchdeck` with no command: the TUI on a profile (`--readonly` for a monitor that changes nothing)."""

from __future__ import annotations

import sys

from batchdeck.core import config as config_mod
from batchdeck.core.errors import UsageError
from batchdeck.core.session import Session


def require_terminal() -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("the TUI needs a terminal; for scripts use the commands (batchdeck --help)")


def run_app(session: Session, readonly: bool) -> int:
    """Open the cache first (a damaged one fails here, with its one-line message), then the app."""
    session.workspace().close()
    from batchdeck.tui.app import BatchdeckApp  # Textual loads only for the TUI

    app = BatchdeckApp(session, readonly=readonly)
    app.run()
    return app.return_code or 0  # 1 after a crash (its one-line report is already printed)


def run(profile_name: str | None, readonly: bool) -> int:
    require_terminal()
    config = config_mod.load()
    return run_app(Session(config, config.profile(profile_name)), readonly)
