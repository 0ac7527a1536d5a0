"""SIGTERM and SIGHUP handled like Ctrl-C, so that a stopped `watch` or `demo` cleans up as it does on Ctrl-C.

    with on_stop_signals(raise_stopped):   # the signal becomes a `Stopped` (a KeyboardInterrupt)
        ...
    except Stopped as stop: return stop.exit_code   # 143 for SIGTERM, 129 for SIGHUP

Only the first signal acts; later ones are ignored while the cleanup it started runs. A signal the
parent set to be ignored (`nohup`, some supervisors) stays ignored. The previous handlers come
back on leaving. Handlers can only be installed from the main thread: elsewhere this does nothing.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """A stop signal taking the Ctrl-C path; `exit_code` is the shell's 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def raise_stopped(signum: int) -> None:
    raise Stopped(signum)


@contextmanager
def on_stop_signals(react: Callable[[int], None], signals: Sequence[int] = STOP_SIGNALS) -> Iterator[None]:
    """While inside, the first of `signals` (SIGTERM, SIGHUP) to arrive calls `react(signum)` in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if not fired:
            fired.append(signum)
            react(signum)

    previous = {s: signal.getsignal(s) for s in signals}
    for signum, before in previous.items():
        if before is not signal.SIG_IGN:
            signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, before in previous.items():
            signal.signal(signum, before if before is not None else signal.SIG_DFL)
