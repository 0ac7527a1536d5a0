"""Real `batchdeck` processes killed with SIGKILL at seeded random points of their run, cheaply.

Children fork from multiprocessing's fork server, which imports batchdeck and the SDK once, so
a kill point costs milliseconds rather than the ~2 s of a fresh interpreter. Each child runs
`batchdeck.cli.main(argv)` with the caller's environment (the server's own is stale), may set
module attributes first (e.g. a smaller split limit), and writes its output to a file.

A kill point is a count of Python function calls: the child counts them (`sys.setprofile`) and
sends itself SIGKILL at call number k. A clean run tells how many calls the whole run makes, and
k is drawn from that range with a seeded RNG: the same kill points on a fast or a loaded machine.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import random
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_CTX = multiprocessing.get_context("forkserver")
_CTX.set_forkserver_preload(
    [
        "batchdeck.cli",
        "batchdeck.core.api.client",
        "batchdeck.core.jobs.submit",
        "batchdeck.core.jobs.retry",
        "tests.reliability.killer",
    ]
)
Patch = tuple[str, str, Any]  # (module, attribute, value)


def _count_calls(kill_at: int) -> list[int]:
    calls = [0]

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            calls[0] += 1
            if calls[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    sys.setprofile(profile)
    return calls


def _child(env: dict[str, str], argv: list[str], patches: list[Patch], output: str, kill_at: int) -> None:
    os.environ.clear()
    os.environ.update(env)
    for module, name, value in patches:
        setattr(importlib.import_module(module), name, value)
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    from batchdeck.cli import main

    calls = _count_calls(kill_at)
    code = main(argv)
    sys.setprofile(None)
    Path(output + ".calls").write_text(str(calls[0]))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@dataclass
class Killer:
    """Runs `batchdeck ARGV` in forked children; `output` collects every child's stdout and stderr."""

    output: Path
    patches: Sequence[Patch] = ()

    def start(self, argv: Sequence[str], kill_at: int = 0) -> Any:
        """Start one run (killed at Python call number `kill_at`, if it gets that far) without waiting for it."""
        proc = _CTX.Process(
            target=_child, args=(dict(os.environ), list(argv), list(self.patches), str(self.output), kill_at)
        )
        proc.start()
        return proc

    def run(self, argv: Sequence[str], kill_at: int = 0, timeout: float = 120) -> int:
        """One run (killed at Python call number `kill_at`, if it gets that far); its exit code (-9: killed)."""
        proc = self.start(argv, kill_at)
        proc.join(timeout)
        assert proc.exitcode is not None, f"batchdeck {' '.join(argv)} did not finish in {timeout} s"
        return int(proc.exitcode)

    def calls(self) -> int:
        """The Python calls of the last run that finished."""
        return int(Path(f"{self.output}.calls").read_text())

    def tail(self) -> str:
        return self.output.read_text(errors="replace")[-2000:] if self.output.exists() else ""


def kill_points(
    killer: Killer,
    argv: Sequence[str],
    rng: random.Random,
    kills: int,
    check: Callable[[], None],
    reset: Callable[[], None],
    finished: Callable[[int], bool] = lambda code: code == 0,
) -> int:
    """Kill `argv` at `kills` points drawn from one clean run's calls, calling `check()` after each run.

    Each kill point starts afresh (`reset()`) or, half the time, from what the previous kill left (a
    crash while recovering from a crash). A run that ends before its kill point (`finished(code)`) is
    followed by `reset()` and does not count. Returns how many runs it took."""
    reset()
    assert finished(killer.run(argv)), killer.tail()
    total = killer.calls()
    landed = runs = 0
    resumable = False
    while landed < kills:
        runs += 1
        assert runs <= 3 * kills, f"only {landed} of {runs} kills landed before the run ended"
        if not (resumable and rng.random() < 0.5):
            reset()
        code = killer.run(argv, kill_at=rng.randint(1, total))
        check()
        resumable = code == -signal.SIGKILL
        landed += resumable
        if not resumable:
            assert finished(code), killer.tail()
    return runs
