"""`os.fsync` of a file in a thread of its own, so the disk's flush overlaps other work.

A download's body is whole once its last chunk is written; its fsync (a tenth of a second for a
100,000-result body) then runs while the index publishes its rows (SQLite releases the GIL as it
steps, as `os.fsync` does). `wait` is the fsync's end: only after it may the file take its final name.
"""

from __future__ import annotations

import os
import threading


class BackgroundFsync:
    """Starts `os.fsync(fd)` at once; `wait` joins it and raises its error, if any. The caller keeps `fd` open until then."""

    def __init__(self, fd: int) -> None:
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fd,), name="batchdeck-fsync", daemon=True)
        self._thread.start()

    def _run(self, fd: int) -> None:
        try:
            os.fsync(fd)
        except BaseException as exc:  # handed to `wait`, in the caller's thread
            self._error = exc

    def wait(self) -> None:
        self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
