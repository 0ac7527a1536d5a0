"""`batchdeck demo`: the TUI against an in-process emulator with the demo workspace; nothing is kept."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from batchdeck.commands.demo_job import submit_in_background
from batchdeck.commands.tui_cmd import require_terminal, run_app
from batchdeck.core.clock import Clock, utcnow
from batchdeck.core.config import Config, Profile
from batchdeck.core.session import Session

DEMO_SPEED = 5.0


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("demo", help="try the TUI on a realistic demo workspace (no key, no network)",
                            description="Open the TUI against a local emulator seeded with about 60 batches in "
                                        "every state, in a throwaway directory. No API key, no network.")
    p.add_argument("--speed", type=float, default=DEMO_SPEED,
                   help=f"simulated seconds per real second (default: {DEMO_SPEED:g}; live batches end in minutes)")
    p.add_argument("--readonly", action="store_true", help="disable every action that changes anything")
    p.set_defaults(run=run)


def demo_session(base_url: str, home: Path, clock: Clock = utcnow) -> Session:
    """A profile for the emulator, kept in memory only, and a cache in `home`."""
    profile = Profile("demo", api_key="demo-key-not-secret", base_url=base_url)
    config = Config(home / "config.toml", default_profile="demo", profiles={"demo": profile})
    return Session(config, profile, db_path=home / "cache.db", clock=clock)


def clock_note(speed: float) -> str | None:
    """What the status line says of the demo's clock, so its ages are not taken for real ones."""
    if speed == 1:
        return None
    return "demo clock stopped" if speed == 0 else f"demo clock runs {speed:g}× fast"


def run(args: argparse.Namespace) -> int:
    require_terminal()
    from batchdeck.emulator import Emulator

    with tempfile.TemporaryDirectory(prefix="batchdeck-demo-") as home, \
            Emulator(speed=args.speed, scenario="demo") as emulator:
        # The app reads the emulator's clock, so ages and countdowns run at the demo's speed too.
        session = demo_session(emulator.base_url, Path(home), clock=emulator.clock.now_dt)
        session.clock_note = clock_note(args.speed)
        session.workspace().close()  # the cache exists before the job is written into it
        submit_in_background(session, emulator, Path(home))
        return run_app(session, args.readonly or args.readonly_global)
