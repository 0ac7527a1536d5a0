"""What the terminal shows when the TUI crashes: one line, as the CLI reports an internal error.

Textual's own crash report prints the local variables of every frame, which can hold the API key
(a profile, a header dict, the client). batchdeck's report has no locals, every known key
redacted and control characters made visible; the traceback (without locals) only with
BATCHDECK_DEBUG=1.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterable

from batchdeck.core.errors import redact
from batchdeck.core.terminal_text import visible, visible_block


def crash_report(error: BaseException, secrets: Iterable[str | None]) -> str:
    """The text printed after the app has restored the terminal."""
    keys = [s for s in secrets if s]
    if os.environ.get("BATCHDECK_DEBUG"):
        text = "".join(traceback.format_exception(error))  # the stdlib's format: no locals
        return redact(visible_block(text.rstrip("\n")), keys)
    summary = f"{type(error).__name__}: {error}"
    return redact(
        f"batchdeck: error: internal error in the TUI ({visible(summary)}); rerun with BATCHDECK_DEBUG=1 and report it",
        keys,
    )
