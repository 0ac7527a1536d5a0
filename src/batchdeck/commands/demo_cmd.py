"""`batchdeck demo`: the TUI against an in-process emulator with the demo workspace; nothing is kept."""

from __future__ import annotations

import argparse
import signal
import tempfile
import threading
from pathlib import Path
from typing import Any

from batchdeck.commands.demo_history import label_history
from batchdeck.commands.demo_job import submit_in_background
from batchdeck.commands.tui_cmd import QuitOnSignal, require_terminal
from batchdeck.core.clock import Clock, utcnow
from batchdeck.core.config.model import Config
from batchdeck.core.config.profiles import Profile
from batchdeck.core.config.secret import Secret
from batchdeck.core.session import Session
from batchdeck.core.stop_signals import STOP_SIGNALS, Stopped, on_stop_signals

DEMO_SPEED = 5.0
TEMP_PREFIX = "batchdeck-demo-"  # the demo's folder: $TMPDIR/batchdeck-demo-XXXXXXXX, gone when it exits
JOB_GRACE = 15.0  # seconds the demo's own job may still take to be submitted once the app has quit
FIRST_SYNC_WAIT = 30.0  # seconds the app waits for the demo's first sync before it opens on what the cache has


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "demo",
        help="try the TUI on a realistic demo workspace (no key, no network)",
        description="Open the TUI against a local emulator seeded with about 60 batches in "
        "every state, in a throwaway directory. No API key, no network.",
    )
    p.add_argument(
        "--speed",
        type=float,
        default=DEMO_SPEED,
        help=f"simulated seconds per real second (default: {DEMO_SPEED:g}; live batches end in minutes)",
    )
    p.add_argument("--readonly", action="store_true", help="disable every action that changes anything")
    p.set_defaults(run=run)


def demo_session(base_url: str, home: Path, clock: Clock = utcnow) -> Session:
    """A profile for the emulator, kept in memory only, and a cache in `home`."""
    profile = Profile("demo", api_key=Secret("demo-key-not-secret"), base_url=base_url)
    config = Config(home / "config.toml", default_profile="demo", profiles={"demo": profile})
    return Session(config, profile, db_path=home / "cache.db", clock=clock)


def clock_note(speed: float) -> str | None:
    """What the status line says of the demo's clock, so its ages are not taken for real ones."""
    if speed == 1:
        return None
    return "demo clock stopped" if speed == 0 else f"demo clock runs {speed:g}× fast"


def run(args: argparse.Namespace) -> int:
    """The demo in a `batchdeck-demo-*` folder of the temp dir ($TMPDIR), removed on `q`, SIGINT,
    SIGTERM and SIGHUP (an SSH drop) alike: a signal quits the app as `q` does, and the demo then
    exits with 128 + its number."""
    require_terminal()
    quit_on = QuitOnSignal()
    try:
        with on_stop_signals(quit_on, (*STOP_SIGNALS, signal.SIGINT)):  # startup and cleanup included
            _run_in_folder(args, quit_on)
    except Stopped as stop:  # a signal before the app ran: the folder went on the way out all the same
        return stop.exit_code
    return 128 + quit_on.signum if quit_on.signum else 0


def _run_in_folder(args: argparse.Namespace, quit_on: QuitOnSignal) -> None:
    from batchdeck.emulator import Emulator

    with (
        tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as home,
        Emulator(speed=args.speed, scenario="demo") as emulator,
    ):
        # The app reads the emulator's clock, so ages and countdowns run at the demo's speed too.
        session = demo_session(emulator.base_url, Path(home), clock=emulator.clock.now_dt)
        session.clock_note = clock_note(args.speed)
        with session.workspace() as ws:  # the cache exists before the job is written into it
            label_history(ws, emulator)
        synced = threading.Event()  # the first sync runs while Textual loads: the first frame shows the list
        job = submit_in_background(session, emulator, Path(home), synced)
        try:
            from batchdeck.tui.app import BatchdeckApp  # Textual loads only for the TUI

            synced.wait(FIRST_SYNC_WAIT)
            app = BatchdeckApp(session, readonly=args.readonly or args.readonly_global)
            quit_on.app = app
            app.run()
        finally:
            quit_on.app, quit_on.quitting = None, True
            job.join(timeout=JOB_GRACE)  # it writes into the folder (and would make it again): let it finish first
