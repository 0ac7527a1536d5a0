"""`batchdeck demo` in a real terminal (a pty) says in its status line that its clock runs fast."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a whole `batchdeck demo` process in a pty
ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")


def read_until(fd: int, wanted: bytes, seconds: float) -> bytes:
    """Everything the program drew (escape sequences removed) until `wanted` shows or time runs out."""
    seen, deadline = b"", time.monotonic() + seconds
    while time.monotonic() < deadline and wanted not in ESCAPES.sub(b"", seen):
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return ESCAPES.sub(b"", seen)


def test_the_demo_says_its_clock_runs_fast(tmp_path: Path) -> None:
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 35, 140, 0, 0))
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "NO_COLOR": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "batchdeck", "demo", "--speed", "5"],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(child)
    try:
        screen = read_until(main, "demo clock runs 5× fast".encode(), 40.0)
        assert "demo clock runs 5× fast".encode() in screen, screen[-2000:]
        os.write(main, b"q")
        deadline = time.monotonic() + 20
        while process.poll() is None and time.monotonic() < deadline:  # a terminal no one reads blocks its writer
            read_until(main, b"\0never drawn", 0.2)
        assert process.wait(timeout=1) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(main)
