"""What `y` says after copying: batchdeck copies through OSC 52, which the terminal (not batchdeck) turns into a
clipboard write. Inside tmux or over SSH that may not reach the clipboard, so the toast says where the text
went and how to let it through, rather than claiming a copy nobody can check."""

from __future__ import annotations

from collections.abc import Mapping

TMUX_HINT = "in tmux it reaches the clipboard only with `set -g set-clipboard on` in ~/.tmux.conf"
SSH_HINT = "over SSH your terminal must allow OSC 52 clipboard writes (a setting in most terminals)"


def copied_text(what: str, environ: Mapping[str, str]) -> str:
    """`copied X`, or, when OSC 52 may not reach the clipboard, that X was sent to the terminal and how to enable it."""
    if environ.get("TMUX"):
        return f"sent {what} to the terminal's clipboard (OSC 52); {TMUX_HINT}"
    if environ.get("SSH_CONNECTION") or environ.get("SSH_TTY"):
        return f"sent {what} to the terminal's clipboard (OSC 52); {SSH_HINT}"
    return f"copied {what}"
