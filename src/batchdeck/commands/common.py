"""What the subcommands share: the `--profile` option, opening a workspace, output and confirmation."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from batchdeck.core.errors import UsageError
from batchdeck.core.ids import inside
from batchdeck.core.terminal_text import visible, visible_block
from batchdeck.core.workspace import Workspace


def profile_options() -> argparse.ArgumentParser:
    """A parent parser so `--profile NAME` works before or after the command name."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--profile",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="the profile (workspace) to use; default: the configured default profile",
    )
    return parent


def open_workspace(args: argparse.Namespace) -> Workspace:
    return Workspace.open(getattr(args, "profile", None))


def output_file(given: Path | None, default_name: str) -> Path:
    """Where `-o` writes: the file given, or `default_name` in the current directory, or in the
    directory given (`-o ~/exports`: a directory is never taken for a file to replace)."""
    if given is not None and not given.is_dir():
        return given
    return inside(given if given is not None else Path.cwd(), default_name)  # the name may come from API data


def checked_limit(limit: int | None) -> int | None:
    """`--limit N`: 1 or more; a number beyond what SQLite counts to means no limit (not an internal error)."""
    if limit is not None and limit < 1:
        raise UsageError("--limit must be 1 or more")
    return None if limit is None or limit >= 2**63 else limit


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def say(text: str, file: TextIO | None = None) -> None:
    """Print human-readable text: control characters from API data or labels are shown, never sent
    to the terminal (newlines and tabs stay). `--json` output goes through `print_json`, exact."""
    print(visible_block(text), file=file)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces; the last column is not padded. Cells are made
    visible (one line each), so a custom_id or label can neither break the layout nor the terminal."""
    headers = [visible(h) for h in headers]
    rows = [[visible(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=False)).rstrip() for line in [headers, *rows]]
    return "\n".join(lines)


def confirm(question: str, assume_yes: bool) -> bool:
    """Ask on a terminal; refuse to guess when there is none."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError(f"{question} Not confirmed: no terminal to ask on; pass --yes to go ahead")
    try:
        answer = input(f"{question} [y/N] ").strip().lower()
    except EOFError:  # ctrl-d: no
        print()
        return False
    return answer in ("y", "yes")


def warn(message: str) -> None:
    print(f"batchdeck: warning: {visible(message)}", file=sys.stderr)
