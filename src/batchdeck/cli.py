"""The `batchdeck` command line: argparse subcommands, each importing only what it needs.

Textual is imported by the TUI commands alone, so scripted commands start fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from batchdeck import __version__
from batchdeck.commands import emulator_cmd

DESCRIPTION = """\
batchdeck manages Anthropic Message Batches from the terminal: every batch of a
workspace in a local cache, live status, results by custom_id, export and resubmission
of failed rows. `batchdeck emulator` runs a local copy of the Batches API for offline
testing (no API key needed, nothing billed)."""

EPILOG = """\
examples:
  batchdeck emulator --scenario demo          a local API with ~60 realistic batches
  batchdeck emulator --speed 60 --port 8765   one simulated minute per real second
  batchdeck <command> --help                  options of one command
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="batchdeck", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"batchdeck {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    emulator_cmd.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
