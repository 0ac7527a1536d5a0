"""What one end-of-batch step did (a hook, a download, an export): one line, and whether it is a problem."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HookOutcome:
    """What one hook (or end action) did: `ok` False means a problem to report."""

    name: str  # on_end | webhook | download | export | end_actions (all of them, failed unexpectedly)
    ok: bool
    message: str
