"""`batchdeck demo` leaves nothing behind (issue 11 §5): a real demo in a pty, stopped by `q`, SIGINT,
SIGTERM, SIGHUP, or its terminal closing under it (an SSH drop); its folder is gone and no traceback shows.

The demo keeps its data in `$TMPDIR/batchdeck-demo-*`, so each test points TMPDIR at its own directory.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform != "linux", reason="a pty and Linux signals")]

ROWS, COLUMNS = 30, 110
TEMP_PREFIX = "batchdeck-demo-"  # tempfile's folder in $TMPDIR (demo_cmd.TEMP_PREFIX)
DRAWN = b"Quit"  # the footer's last key: the app is up and running
RESTORED = b"\x1b[?1049l"  # the alternate screen is left: the terminal is the user's again


class DemoInPty:
    """`python -m batchdeck demo` as the session leader of a new pty, as a terminal or sshd starts it."""

    def __init__(self, tmpdir: Path) -> None:
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "TMPDIR": str(tmpdir),
            "COLUMNS": str(COLUMNS),
            "LINES": str(ROWS),
        }
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the pty is its controlling terminal
            os.execve(sys.executable, [sys.executable, "-m", "batchdeck", "demo"], env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        self.output = b""
        self.status: int | None = None

    def read(self, until: bytes | None, timeout: float) -> bool:
        """Collect output until `until` appears, the child exits, or `timeout`; True when `until` appeared."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.fd >= 0:
            if until is not None and until in self.output:
                return True
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:  # EIO: every holder of the terminal has gone
                    chunk = b""
                if not chunk:
                    break
                self.output += chunk
            if self.poll() is not None and not ready:
                break
        return until is not None and until in self.output

    def poll(self) -> int | None:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
        return self.status

    def hang_up(self) -> None:
        """Close the terminal's master side: the kernel sends SIGHUP, as when an SSH connection drops."""
        os.close(self.fd)
        self.fd = -1

    def wait(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while self.poll() is None and time.monotonic() < deadline:
            if self.fd >= 0:
                self.read(None, 0.1)
            else:
                time.sleep(0.05)
        return self.status

    def kill(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        if self.fd >= 0:
            os.close(self.fd)


@pytest.mark.parametrize(
    ("how", "code"), [("q", 0), ("SIGINT", 130), ("SIGTERM", 143), ("SIGHUP", 129), ("terminal closed", 129)]
)
def test_the_demo_removes_its_folder(tmp_path: Path, how: str, code: int) -> None:
    demo = DemoInPty(tmp_path)
    try:
        assert demo.read(DRAWN, timeout=60), demo.output[-2000:]
        [folder] = tmp_path.glob(f"{TEMP_PREFIX}*")
        assert (folder / "cache.db").exists()
        drawn = len(demo.output)
        if how == "q":
            os.write(demo.fd, b"q")
        elif how == "terminal closed":
            demo.hang_up()
        else:
            os.kill(demo.pid, getattr(signal, how))
        status = demo.wait(timeout=30)
    finally:
        demo.kill()
    assert list(tmp_path.iterdir()) == [], status
    assert status == code, demo.output[-2000:]
    after = demo.output[drawn:]
    assert b"Traceback" not in demo.output and b"batchdeck: error" not in after, after[-2000:]
    assert how == "terminal closed" or RESTORED in after
