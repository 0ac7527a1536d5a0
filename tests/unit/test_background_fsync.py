"""`BackgroundFsync` flushes a file in a thread and hands its error, if any, to `wait`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from batchdeck.core.results.background_fsync import BackgroundFsync


def test_the_fsync_runs_and_wait_returns_after_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (real(fd), synced.append(fd)))
    with open(tmp_path / "f", "wb") as fh:
        fh.write(b"x")
        fh.flush()
        BackgroundFsync(fh.fileno()).wait()
        assert synced == [fh.fileno()]


def test_an_fsync_error_is_raised_by_wait(tmp_path: Path) -> None:
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT)
    os.close(fd)  # a closed descriptor: fsync fails with EBADF
    pending = BackgroundFsync(fd)
    with pytest.raises(OSError):
        pending.wait()
