"""Checking request lines before anything is sent: every bad line is found, with its number.

A request line is `{"custom_id": …, "params": {…}}` as the Batches API takes it. The file is
read as a stream of bytes; only a small `Entry` per request is kept (custom_id, size, model,
max_tokens, an input-token estimate), never the parsed params, so 100,000 lines stay cheap.

Sizes are counted as the SDK sends them (compact JSON, UTF-8 unescaped), so the splitting
into parts (`core.jobs.split`) can compute the exact body size of each batch.

Lines are read with a bounded reader: a line longer than a whole batch can hold is measured in
1 MiB pieces and reported, never held in memory (one 300 MB line once took 1.9 GB).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from batchdeck.core.errors import UsageError
from batchdeck.core.jobs.split import MAX_BATCH_BYTES, envelope_bytes

CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
SHOWN_ERRORS = 20
READ_PIECE = 1 << 20
MAX_LINE_BYTES = MAX_BATCH_BYTES  # a longer line could never be sent, whatever its JSON holds
WIRE = dict(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def wire_bytes(obj: Any) -> bytes:
    """A request as the SDK puts it on the wire."""
    return json.dumps(obj, **WIRE).encode()  # type: ignore[arg-type]


def estimate_input_tokens(params: dict[str, Any]) -> int:
    """About four characters a token over system, messages and tools (a rough, documented guess)."""
    text = json.dumps([params.get("system", ""), params.get("messages"), params.get("tools", "")], ensure_ascii=False)
    return max(1, len(text) // 4)


@dataclass(frozen=True, slots=True)
class Entry:
    custom_id: str
    where: str  # "line 12" / "record 3 (line 4)"
    wire_bytes: int
    model: str
    max_tokens: int
    input_tokens: int


class InputError(UsageError):
    """Bad input: the message lists the bad lines (up to SHOWN_ERRORS) and says nothing was sent."""


@dataclass
class Checked:
    entries: list[Entry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    content_hash: str = ""

    def raise_if_bad(self, name: str) -> None:
        if not self.errors and not self.entries:
            raise InputError(f"{name}: no requests (the file is empty); nothing was submitted")
        if not self.errors:
            return
        shown = self.errors[:SHOWN_ERRORS]
        more = len(self.errors) - len(shown)
        lines = [
            f"{name}: {len(self.errors)} bad line{'s' if len(self.errors) != 1 else ''}; nothing was submitted",
            *(f"  {e}" for e in shown),
        ]
        if more:
            lines.append(f"  and {more} more")
        raise InputError("\n".join(lines))


def _params_problem(params: Any) -> str | None:
    if not isinstance(params, dict):
        return "params must be an object (a Messages API request body)"
    if params.get("stream") is True:
        return "params.stream is true; batches cannot stream (remove it)"
    for key in ("model", "max_tokens", "messages"):
        if key not in params:
            return f"params.{key} is missing (model, max_tokens and messages are required)"
    if not isinstance(params["model"], str) or not params["model"]:
        return "params.model must be a model name"
    max_tokens = params["max_tokens"]
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        return f"params.max_tokens must be a positive integer, not {json.dumps(max_tokens)}"
    if not isinstance(params["messages"], list) or not params["messages"]:
        return "params.messages must be a non-empty list"
    return None


def check_request(where: str, raw: bytes) -> tuple[Entry | None, str | None]:
    """(entry, None) for a good line, (None, message) for a bad one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"{where}: not valid UTF-8 (byte {raw[exc.start]:#04x} at column {exc.start + 1})"
    try:
        obj = json.loads(text)
    except ValueError as exc:
        message = getattr(exc, "msg", str(exc))
        column = getattr(exc, "colno", None)
        return None, f"{where}: not valid JSON: {message}" + (f" (column {column})" if column else "")
    except RecursionError:
        return None, f"{where}: not a request: JSON nested too deeply to read"
    if not isinstance(obj, dict):
        return None, f'{where}: expected an object {{"custom_id": …, "params": {{…}}}}'
    extra = sorted(set(obj) - {"custom_id", "params"})
    if extra:
        return None, f"{where}: unknown key {extra[0]!r} (a request line has only custom_id and params)"
    custom_id = obj.get("custom_id")
    if not isinstance(custom_id, str) or not CUSTOM_ID.match(custom_id):
        shown = "missing" if custom_id is None else json.dumps(custom_id, ensure_ascii=False)[:80]
        return None, (f"{where}: custom_id {shown} is not valid (1-64 characters: letters, digits, _ and -)")
    problem = _params_problem(obj.get("params"))
    if problem:
        return None, f"{where}: {problem}"
    size = len(wire_bytes(obj))
    if envelope_bytes(1, size) > MAX_BATCH_BYTES:
        return None, f"{where}: the request is {size:,} bytes, more than one batch can hold"
    params = obj["params"]
    return Entry(custom_id, where, size, params["model"], params["max_tokens"], estimate_input_tokens(params)), None


def check_all(lines: Iterable[tuple[str, bytes]], errors: list[str] | None = None) -> Checked:
    """Check every line (where, raw bytes); duplicates name both lines. `errors` may already hold
    problems found while producing the lines (they stay in order)."""
    checked = Checked(errors=errors if errors is not None else [])
    first_seen: dict[str, str] = {}
    digest = hashlib.sha256()
    for where, raw in lines:
        digest.update(raw + b"\n")
        entry, error = check_request(where, raw)
        if error is not None:
            checked.errors.append(error)
            continue
        assert entry is not None
        earlier = first_seen.get(entry.custom_id)
        if earlier is not None:
            checked.errors.append(f"{where}: custom_id {entry.custom_id!r} is already used on {earlier}")
            continue
        first_seen[entry.custom_id] = where
        checked.entries.append(entry)
    checked.content_hash = digest.hexdigest()
    return checked


def bounded_lines(fh: BinaryIO, limit: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes | int]]:
    """(offset, line without its line end) of each line of a seekable binary file, or (offset, length)
    for a line longer than `limit` bytes: that one is measured piece by piece and skipped, never held."""
    offset = 0
    while head := fh.readline(READ_PIECE):
        if len(head) < READ_PIECE or head.endswith(b"\n"):
            line = head.rstrip(b"\r\n")
            yield offset, line if len(line) <= limit else len(line)
            offset += len(head)
            continue
        length, tail = _measure(fh, head)
        content = length - (len(tail) - len(tail.rstrip(b"\r\n")))
        if content > limit:
            yield offset, content
        else:
            fh.seek(offset)
            yield offset, fh.read(length).rstrip(b"\r\n")
        offset += length


def _measure(fh: BinaryIO, head: bytes) -> tuple[int, bytes]:
    """Read on to the end of a long line, keeping nothing: (its length, its last two bytes). The file is
    left just after the line."""
    start = fh.tell() - len(head)
    length, tail = len(head), head[-2:]
    while piece := fh.read(READ_PIECE):
        cut = piece.find(b"\n")
        piece = piece if cut < 0 else piece[: cut + 1]
        length += len(piece)
        tail = (tail + piece[-2:])[-2:]
        if cut >= 0:
            break
    fh.seek(start + length)
    return length, tail


def too_long(length: int) -> str:
    return f"the line is {length:,} bytes, more than one batch can hold ({MAX_BATCH_BYTES:,} bytes)"


def require_file(path: Path) -> None:
    """A `UsageError` naming what `path` is when it is not a file of requests to read."""
    if path.is_file():
        return
    if path.is_dir():
        raise UsageError(f"{path}: is a directory, not a file of requests")
    raise UsageError(f"{path}: {'not a regular file' if path.exists() else 'no such file'}")


def jsonl_lines(path: str, problems: list[str] | None = None) -> Iterator[tuple[str, bytes]]:
    """(where, raw line without its newline) of each non-blank line, streamed. A line too long for any
    batch goes to `problems` (without a list, it is an InputError at once)."""
    with open(path, "rb") as fh:
        for number, (_, line) in enumerate(bounded_lines(fh), 1):
            if isinstance(line, int):
                if problems is None:
                    raise InputError(f"{path}: line {number}: {too_long(line)}; nothing was sent")
                problems.append(f"line {number}: {too_long(line)}")
            elif line.strip():
                yield f"line {number}", line


def jsonl_lines_with_offsets(path: str) -> Iterator[tuple[int, int, bytes]]:
    """(offset, length, raw line) of each non-blank line, for indexing a file in place (lines too long
    for any batch are left out: they were refused when the file was checked)."""
    with open(path, "rb") as fh:
        for offset, line in bounded_lines(fh):
            if not isinstance(line, int) and line.strip():
                yield offset, len(line), line
