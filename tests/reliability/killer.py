"""Real `batchdeck` processes killed with SIGKILL at seeded random moments, cheaply.

Children fork from multiprocessing's fork server, which imports batchdeck and the SDK once, so
a kill point costs milliseconds rather than the ~2 s of a fresh interpreter. Each child runs
`batchdeck.cli.main(argv)` with the caller's environment (the server's own is stale) and may
set module attributes first (e.g. a smaller split limit), then its output goes to a file.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_CTX = multiprocessing.get_context("forkserver")
_CTX.set_forkserver_preload(["batchdeck.cli", "batchdeck.core.api", "batchdeck.core.submit", "batchdeck.core.retry",
                             "tests.reliability.killer"])
Patch = tuple[str, str, Any]  # (module, attribute, value)


def _child(env: dict[str, str], argv: list[str], patches: list[Patch], output: str) -> None:
    os.environ.clear()
    os.environ.update(env)
    for module, name, value in patches:
        setattr(importlib.import_module(module), name, value)
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    from batchdeck.cli import main

    code = main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@dataclass
class Killer:
    """Runs `batchdeck ARGV` in forked children; `output` collects every child's stdout and stderr."""

    output: Path
    patches: Sequence[Patch] = ()

    def start(self, argv: Sequence[str]) -> Any:
        proc = _CTX.Process(target=_child, args=(dict(os.environ), list(argv), list(self.patches), str(self.output)))
        proc.start()
        return proc

    def run(self, argv: Sequence[str], timeout: float = 120) -> int:
        """Run to the end; the exit code."""
        proc = self.start(argv)
        proc.join(timeout)
        assert proc.exitcode is not None, f"batchdeck {' '.join(argv)} did not finish in {timeout} s"
        return int(proc.exitcode)

    def timed(self, argv: Sequence[str]) -> float:
        """How long one run takes start to finish (it must succeed): the range kill points are drawn from."""
        started = time.monotonic()
        code = self.run(argv)
        assert code == 0, self.output.read_text(errors="replace")[-2000:]
        return time.monotonic() - started

    def kill_after(self, argv: Sequence[str], delay: float, started: Callable[[], bool] | None = None) -> int:
        """SIGKILL the run `delay` s after it starts (after `started()` holds, when given); its exit code
        (-9 when the kill landed, else what it returned on its own)."""
        proc = self.start(argv)
        deadline = time.monotonic() + 60
        while started is not None and not started() and proc.exitcode is None and time.monotonic() < deadline:
            time.sleep(0.002)
        proc.join(delay)
        if proc.exitcode is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.join(30)
        return int(proc.exitcode)
