"""`batchdeck emulator`: serve the local Message Batches API until Ctrl-C."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from batchdeck.core.terminal_text import visible

DEFAULT_PORT = 8765

HELP = """\
Run a local emulator of the Anthropic Message Batches API. Point any client at it:

  export ANTHROPIC_BASE_URL=http://127.0.0.1:8765  ANTHROPIC_API_KEY=anything

Batches move through in_progress → ended on a virtual clock (--speed), results are
generated deterministically from --seed, and faults can be injected (--faults)."""

FAULTS_HELP = (
    "inject failures, e.g. '429=0.1,529=0.05,500=0.05,drop=0.02,cut=0.1,slow=0.1,"
    "slow_seconds=2,retry_after=1'; rates are per request, between 0 and 1"
)


def register(commands: Any) -> None:
    p = commands.add_parser(
        "emulator",
        help="run a local Message Batches API for offline testing",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT}; 0 = any free port)")
    p.add_argument("--scenario", default="empty", help="seeded workspace: empty (default) or demo")
    p.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second (default: 1; 60 = a minute per second)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed for ids and outcomes (default: 0)")
    p.add_argument(
        "--api-key",
        action="append",
        metavar="KEY[=WORKSPACE]",
        dest="api_keys",
        help="accept only this key (repeatable); default: any non-empty key",
    )
    p.add_argument(
        "--error-rate",
        type=float,
        default=0.0,
        help="share of rows that fail with overloaded_error/api_error (default: 0)",
    )
    p.add_argument(
        "--expire-rate", type=float, default=0.0, help="share of rows that never run and expire at 24 h (default: 0)"
    )
    p.add_argument("--faults", default="", metavar="SPEC", help=FAULTS_HELP)
    p.add_argument("--state", type=Path, metavar="DIR", help="keep batches in DIR across restarts")
    p.add_argument("--public-url", help="base of results_url when clients reach the emulator by another address")
    p.add_argument(
        "--model-catalog",
        type=Path,
        metavar="FILE",
        help="JSON or TOML file adding models or changing their rules, e.g. a retirement date",
    )
    p.add_argument("--quiet", action="store_true", help="do not log each request")
    p.set_defaults(run=run)


def _keys(values: list[str] | None) -> dict[str, str] | None:
    if not values:
        return None
    keys = {}
    for value in values:
        key, _, workspace = value.partition("=")
        if not key:
            raise ValueError(f"--api-key {value!r} has an empty key")
        keys[key] = workspace
    return keys


def _fail(message: str) -> int:
    print(f"batchdeck emulator: error: {visible(message)}", file=sys.stderr)  # quotes paths and values given
    return 2


def run(args: argparse.Namespace) -> int:
    from batchdeck.emulator import SCENARIOS, Catalog, Emulator, EmulatorConfig, Rates, load_catalog, parse_fault_spec

    if args.scenario not in SCENARIOS:
        return _fail(f"unknown scenario {args.scenario!r}; choose one of: {', '.join(SCENARIOS)}")
    try:
        catalog = load_catalog(args.model_catalog) if args.model_catalog else Catalog()
        config = EmulatorConfig(
            host=args.host,
            port=args.port,
            speed=args.speed,
            seed=args.seed,
            scenario=args.scenario,
            api_keys=_keys(args.api_keys),
            rates=Rates(args.error_rate, args.expire_rate),
            faults=parse_fault_spec(args.faults),
            state_dir=args.state,
            public_url=args.public_url,
            log_requests=not args.quiet,
            catalog=catalog,
        )
        if not (math.isfinite(config.speed) and config.speed >= 0):
            raise ValueError(f"--speed must be 0 or more, got {config.speed:g}")
        emulator = Emulator(config)
    except (ValueError, OSError) as exc:
        return _fail(str(exc))
    try:
        emulator.bind()
    except OSError as exc:
        where = f"{args.host}:{args.port}"
        return _fail(f"cannot listen on {where}: {exc.strerror or exc} (try --port 0 for any free port)")
    _announce(emulator, args)
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    print("emulator stopped", file=sys.stderr)
    return 0


def _announce(emulator: Any, args: argparse.Namespace) -> None:
    url = emulator.base_url
    count = len(emulator.store.all_batches())
    print(
        f"batchdeck emulator listening on {url}  (scenario {args.scenario}, {count} batches, "
        f"speed {args.speed:g}x, seed {args.seed})"
    )
    print(f"  export ANTHROPIC_BASE_URL={url}")
    print("  export ANTHROPIC_API_KEY=" + ("<one of the --api-key values>" if args.api_keys else "any-non-empty-key"))
    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.api_keys:
        print("  warning: listening beyond loopback and accepting any key; pass --api-key to restrict", file=sys.stderr)
    print("Press Ctrl-C to stop.", flush=True)
