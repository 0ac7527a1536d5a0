"""`batchdeck emulator` run as a real subprocess, for CLI tests and memory measurements."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO


class EmulatorProcess:
    """Starts `python -m batchdeck emulator --port 0 ARGS...` and reads its base URL."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.args = ["--port", "0", *args]
        self.env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.banner: list[str] = []

    def __enter__(self) -> EmulatorProcess:
        self.errors = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a request log never blocks
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "batchdeck", "emulator", *self.args],
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
            env=self.env,
        )
        stdout: IO[str] = self.proc.stdout  # type: ignore[assignment]
        for line in stdout:
            self.banner.append(line)
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                self.base_url = match.group(1)
            if line.startswith("Press Ctrl-C"):
                break
        if not self.base_url:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("emulator did not start: " + "".join(self.banner) + self.stderr())
        return self

    def peak_rss(self) -> int:
        """The process's peak resident memory in bytes (Linux VmHWM)."""
        assert self.proc is not None
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024  # type: ignore[union-attr]

    def interrupt(self, timeout: float = 10) -> tuple[int, str, str]:
        """Ctrl-C, then (exit code, rest of stdout, stderr)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        out, _ = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, self.stderr()

    def stderr(self) -> str:
        self.errors.seek(0)
        return self.errors.read()

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()
