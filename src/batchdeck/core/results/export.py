"""Writing results out: raw JSONL exactly as received, a flat CSV, or custom_id → text JSONL.

Files are written to a temp file beside the target and renamed into place, so a reader never
sees half a file; an existing file is replaced only when the caller says so.

CSV is for spreadsheets, which run a cell that starts with `=`, `+`, `-` or `@` (or a tab or
carriage return) as a formula: such text cells get a leading `'` (OWASP's advice against CSV
injection; model text and custom_ids come from outside). The raw JSONL stays byte for byte.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batchdeck.core.errors import BatchdeckError, UsageError
from batchdeck.core.ids import check_batch_id, inside
from batchdeck.core.results.download import read_lines, results_path
from batchdeck.core.store.result_repo import ResultRow
from batchdeck.core.workspace import Workspace

FORMATS = {"jsonl": ".jsonl", "csv": ".csv", "text": ".text.jsonl"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "custom_id",
    "outcome",
    "text",
    "error_type",
    "error_message",
    "stop_reason",
    "model",
    "input_tokens",
    "output_tokens",
    "cache_write_tokens",
    "cache_read_tokens",
    "cost_usd",
)


@dataclass(frozen=True)
class ExportReport:
    path: Path
    rows: int
    bytes: int


def message_text(line: bytes) -> str | None:
    """The text blocks of a succeeded result line, joined; None for other outcomes."""
    result = json.loads(line)["result"]
    if result.get("type") != "succeeded":
        return None
    blocks = (result.get("message") or {}).get("content") or []
    return "".join(b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text")


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell as a spreadsheet may open it: text that would read as a formula starts with `'`."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _lines(source: Path, rows: list[ResultRow]) -> Iterator[tuple[ResultRow, bytes]]:
    ordered = sorted(rows, key=lambda r: r.line_offset)  # file order: raw exports read like the original
    yield from zip(ordered, read_lines(source, [(r.line_offset, r.line_length) for r in ordered]), strict=True)


def _render(fmt: str, pairs: Iterable[tuple[ResultRow, bytes]]) -> Iterator[bytes]:
    if fmt == "jsonl":
        for _, line in pairs:
            yield line if line.endswith(b"\n") else line + b"\n"
        return
    if fmt == "text":
        for row, line in pairs:
            yield (
                json.dumps({"custom_id": row.custom_id, "text": message_text(line)}, ensure_ascii=False) + "\n"
            ).encode()
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row, line in pairs:
        values: dict[str, Any] = {**row.to_json(), "text": message_text(line)}
        writer.writerow([spreadsheet_safe(values[c]) for c in CSV_COLUMNS])
        if buffer.tell() > 1 << 16:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _remove_orphans(target: Path) -> None:
    """Temp files of earlier writes of `target` whose process is gone (killed mid-export)."""
    for leftover in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        pid = leftover.name[len(target.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def write_atomically(target: Path, chunks: Iterable[bytes], overwrite: bool = False) -> int:
    """Write `chunks` to a temp file beside `target`, then rename it into place; returns the bytes written.
    A reader never sees half a file, and an existing file is replaced only when `overwrite`."""
    if target.is_dir():  # --force never replaces a directory
        raise UsageError(f"{target} is a directory; name a file to write")
    if target.exists() and not overwrite:
        raise UsageError(f"{target} already exists; pass --force to replace it, or choose another file with -o")
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_orphans(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp")
    size = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
                size += len(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise BatchdeckError(f"cannot write {target}: {exc.strerror}; nothing was written") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return size


def export(
    source: Path,
    rows: list[ResultRow],
    fmt: str,
    target: Path,
    overwrite: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ExportReport:
    """`progress`, when given, is called with the number of rows written so far, every PROGRESS_ROWS rows."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    pairs = _lines(source, rows)
    size = write_atomically(target, _render(fmt, _counted(pairs, progress) if progress else pairs), overwrite)
    return ExportReport(target, len(rows), size)


PROGRESS_ROWS = 1000


def _counted(
    pairs: Iterable[tuple[ResultRow, bytes]], progress: Callable[[int], None]
) -> Iterator[tuple[ResultRow, bytes]]:
    for done, pair in enumerate(pairs, start=1):
        yield pair
        if done % PROGRESS_ROWS == 0:
            progress(done)


def export_directory(configured: str) -> Path:
    """The `results.export_dir` setting, or the current directory when it is empty."""
    return Path(configured).expanduser() if configured else Path.cwd()


def free_path(directory: Path, stem: str, fmt: str) -> Path:
    """`<dir>/<stem><ext>`, or `<stem>-2<ext>`, `-3`… when taken: a quick export never replaces a file.
    The stem comes from API data (a batch id), so the name must stay inside `directory` (`BadId` if not)."""
    suffix = FORMATS[fmt]
    candidate = inside(directory, f"{stem}{suffix}")
    number = 2
    while candidate.exists():
        candidate = inside(directory, f"{stem}-{number}{suffix}")
        number += 1
    return candidate


def export_saved(ws: Workspace, batch_id: str, directory: Path, fmt: str = "jsonl") -> ExportReport:
    """Every saved result of a batch into `directory`, named after the batch, never over a file."""
    check_batch_id(batch_id, "the cache")
    rows = ws.results.rows(batch_id)
    return export(results_path(ws, batch_id), rows, fmt, free_path(directory, batch_id, fmt))
