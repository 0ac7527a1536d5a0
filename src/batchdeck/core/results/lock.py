"""One download of a batch's results at a time, across processes.

A lock file per batch (`.<batch>.jsonl.lock` beside the results file, `flock`, released by the
kernel if the process dies) covers a whole download or re-index; a process that waited for it
uses what the other one saved.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from batchdeck.core.config.paths import private_dir
from batchdeck.core.errors import BatchdeckError
from batchdeck.core.results.ingest import Progress

LOCK_WAIT = 600.0  # seconds to wait for another process's download of the same batch
LOCK_POLL = 0.05


@contextmanager
def batch_lock(final: Path, progress: Progress | None = None, wait: float | None = None) -> Iterator[bool]:
    """Hold the download lock of one batch's results; yields whether another process held it first.

    `progress(0, 0)` is called while waiting, so a caller that stops from its progress callback
    (a closing TUI) stops waiting too.
    """
    private_dir(final.parent)
    fd = os.open(final.with_name(f".{final.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        yield _acquire(fd, final, progress, LOCK_WAIT if wait is None else wait)
    finally:
        os.close(fd)  # releases the lock


def _acquire(fd: int, final: Path, progress: Progress | None, wait: float) -> bool:
    give_up = time.monotonic() + wait
    waited = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return waited
        except BlockingIOError:
            waited = True
        if time.monotonic() > give_up:
            raise BatchdeckError(
                f"another batchdeck process has been saving the results of {final.stem} for over "
                f"{wait:.0f} s; try again when it has finished"
            )
        if progress:
            progress(0, 0)
        time.sleep(LOCK_POLL)
