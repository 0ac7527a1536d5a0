"""Batch ids from the API or the command line, checked before they become paths, queries or widget ids.

An id is untrusted data: a listed `msgbatch_../../x` must never name a file outside the data
dir. Every id that enters (a list page, a retrieve, a command-line argument) is checked here,
and every path built from API data goes through `inside`.
"""

from __future__ import annotations

import re
from pathlib import Path

from batchdeck.core.errors import BatchdeckError
from batchdeck.core.terminal_text import visible

BATCH_ID = re.compile(r"msgbatch_[A-Za-z0-9_-]{1,200}")


class BadId(BatchdeckError):
    """An id that does not have the API's shape (exit code 1: it came from the API or a file)."""


def is_batch_id(value: object) -> bool:
    return isinstance(value, str) and BATCH_ID.fullmatch(value) is not None


def check_batch_id(value: object, where: str = "the API") -> str:
    """`value` when it is a well-formed batch id, else `BadId` naming it (made visible) and its source."""
    if is_batch_id(value):
        return value  # type: ignore[return-value]
    shown = visible(str(value))[:80]
    raise BadId(f"{where} gave a batch id that is not of the form msgbatch_[A-Za-z0-9_-]: {shown!r}")


def inside(directory: Path, name: str) -> Path:
    """`directory / name`, refusing any name that would leave `directory` (separators, `..`, NUL)."""
    candidate = directory / name
    if (
        not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\0" in name
        or candidate.resolve().parent != directory.resolve()
    ):
        raise BadId(f"refusing a file name from untrusted data: {visible(name)[:80]!r}")
    return candidate
