"""The `batchdeck` command line: argparse subcommands, each importing only what it needs.

Textual is imported by the TUI commands alone, so scripted commands start fast.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import NoReturn

from batchdeck import __version__
from batchdeck.commands import (
    change_cmd,
    config_cmd,
    demo_cmd,
    emulator_cmd,
    job_cmd,
    list_cmd,
    meta_cmd,
    results_cmd,
    retry_cmd,
    spend_cmd,
    status_cmd,
    submit_cmd,
    sync_cmd,
    tui_cmd,
    watch_cmd,
)
from batchdeck.commands.common import profile_options
from batchdeck.core.config import paths, toml_file
from batchdeck.core.errors import BatchdeckError, redact
from batchdeck.core.store.db import unreadable
from batchdeck.core.terminal_text import visible, visible_block

DESCRIPTION = """\
batchdeck manages Anthropic Message Batches from the terminal: every batch of a
workspace in a local cache, live status, cancel and delete, labels and notes.
Run it with no command for the TUI (`batchdeck demo` tries it on sample data);
`batchdeck emulator` runs a local copy of the Batches API for offline testing."""

EPILOG = """\
examples:
  batchdeck                                   the TUI on the default profile (--readonly: a safe monitor)
  batchdeck demo                              the TUI on a demo workspace: no key, no network
  batchdeck sync                              fetch every batch into the local cache
  batchdeck list --status live,failed         running batches, and ended ones with failed rows
  batchdeck show 01HzAb                       one batch, by a unique part of its id
  batchdeck submit requests.jsonl --dry-run   check every line; parts, bytes and estimated cost
  batchdeck submit rows.csv --template @prompt.txt --id-field id --model claude-haiku-4-5 --max-tokens 512
  batchdeck retry job-3                       resend expired, canceled and transient errors
  batchdeck retry ID --include errored        ... every error type of one batch
  batchdeck attach ID requests.jsonl          originals of a batch made elsewhere, for retry
  batchdeck job show job-3                    the job merged across resubmissions
  batchdeck watch ID --download --on-end CMD  wait without a UI; keep the results and run CMD when it ends
  batchdeck status                            one screen: live, failed in the last 24 h, archive warnings
  batchdeck emulator --scenario demo          a local API with ~60 realistic batches
  batchdeck emulator --speed 60 --port 8765   one simulated minute per real second
  batchdeck <command> --help                  options of one command
"""


class Parser(argparse.ArgumentParser):
    """argparse quotes the arguments it refuses: they are shown, never sent to the terminal."""

    def error(self, message: str) -> NoReturn:
        super().error(visible(message))


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="batchdeck",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"batchdeck {__version__}")
    parents = [profile_options()]
    parser.add_argument("--profile", metavar="NAME", help="the profile (workspace) to use")
    parser.add_argument(
        "--readonly",
        action="store_true",
        dest="readonly_global",
        help="open the TUI as a monitor: every action that changes anything is off",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sync_cmd.register(commands, parents)
    list_cmd.register(commands, parents)
    change_cmd.register(commands, parents)
    meta_cmd.register(commands, parents)
    results_cmd.register(commands, parents)
    submit_cmd.register(commands, parents)
    retry_cmd.register(commands, parents)
    job_cmd.register(commands, parents)
    watch_cmd.register(commands, parents)
    status_cmd.register(commands, parents)
    spend_cmd.register(commands, parents)
    config_cmd.register(commands, parents)
    demo_cmd.register(commands, parents)
    emulator_cmd.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            return tui_cmd.run(args.profile, args.readonly_global)
        return int(args.run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except BatchdeckError as exc:
        return _report(str(exc), exc.exit_code)
    except sqlite3.DatabaseError as exc:
        return _report(str(unreadable(paths.database_file(), exc)), 1)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        return _report(f"{exc.strerror or exc}{where}", 1)
    except Exception as exc:  # a bug: one line, no traceback (BATCHDECK_DEBUG=1 shows it)
        if os.environ.get("BATCHDECK_DEBUG"):
            return _debug_report(exc)
        return _report(f"internal error ({type(exc).__name__}: {exc}); rerun with BATCHDECK_DEBUG=1 and report it", 1)


def _report(message: str, code: int) -> int:
    """Print the error with every known API key removed and control characters made visible (error
    messages quote API text, file names and ids). Newlines stay: a bad request file lists its bad
    lines one per line; API messages were made one line when the failure was built (`core.api.client`)."""
    text = "\n".join(_bounded(line) for line in visible_block(redact(message, _secrets())).split("\n"))
    print(f"batchdeck: error: {text}", file=sys.stderr)
    return code


LONGEST_LINE = 1000


def _bounded(line: str) -> str:
    """A line of at most about LONGEST_LINE characters: an error quoting a 100,000-character argument
    keeps its start and its end (where the hint is), not a screenful of the argument."""
    if len(line) <= LONGEST_LINE:
        return line
    return f"{line[:600]}…[{len(line) - 800:,} characters]…{line[-200:]}"


def _debug_report(error: Exception) -> int:
    """BATCHDECK_DEBUG=1: the traceback (no locals), redacted and made visible as the TUI's crash report is."""
    from batchdeck.tui.crash import crash_report  # core and textual-free: the report the TUI prints

    print(crash_report(error, _secrets()), file=sys.stderr)
    return 1


def _secrets() -> list[str]:
    """Every API key known: the config's (a config with a bad value still names its keys), or the
    environment's when the config cannot be read at all."""
    try:
        return toml_file.load(lenient=True).secrets()
    except BatchdeckError:
        return [v for k, v in os.environ.items() if k.endswith("API_KEY")]


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
