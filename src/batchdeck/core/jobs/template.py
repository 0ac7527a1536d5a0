"""The simple form of submit: records (JSONL or CSV) + a prompt template → one request per record.

`{field}` in the template is replaced by the record's field (`{{` and `}}` are literal
braces); the custom_id comes from `--id-field`. Each record becomes the request line
`{"custom_id": …, "params": {"model", "max_tokens", ["system",] "messages": [user prompt]}}`,
which then goes through the same checks as a hand-written request file. A record that
cannot be rendered (missing field, not an object) becomes a bad line of its own.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batchdeck.core.errors import UsageError
from batchdeck.core.jobs.input_check import bounded_lines, too_long, wire_bytes

PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z0-9_]+)\}")


@dataclass(frozen=True)
class TemplateSpec:
    template: str
    id_field: str
    model: str
    max_tokens: int
    system: str | None = None

    def fingerprint(self) -> str:
        return json.dumps([self.template, self.id_field, self.model, self.max_tokens, self.system])


def load_template(text: str) -> str:
    """`@FILE` reads the template from FILE; anything else is the template itself."""
    if text.startswith("@"):
        try:
            return Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read the template file {text[1:]}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise UsageError(f"cannot read the template file {text[1:]}: not UTF-8 text (byte {exc.start})") from None
    return text


def render(template: str, record: dict[str, Any]) -> str:
    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name not in record:
            raise KeyError(name)
        value = record[name]
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    return PLACEHOLDER.sub(substitute, template)


def _records(path: Path) -> Iterator[tuple[str, Any]]:
    """(where, record) from a CSV (header row) or a JSONL file; unreadable lines give a str reason."""
    if path.suffix.lower() == ".csv":
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            for number, row in enumerate(reader, 1):
                yield f"record {number} (line {reader.line_num})", dict(row)
        return
    with open(path, "rb") as fh:
        for number, (_, line) in enumerate(bounded_lines(fh), 1):
            if isinstance(line, int):
                yield f"line {number}", too_long(line)
                continue
            if not line.strip():
                continue
            try:
                yield f"line {number}", json.loads(line)
            except ValueError as exc:
                yield f"line {number}", f"not valid JSON: {getattr(exc, 'msg', exc)}"


def _line(spec: TemplateSpec, record: dict[str, Any]) -> bytes:
    params: dict[str, Any] = {"model": spec.model, "max_tokens": spec.max_tokens}
    if spec.system:
        params["system"] = spec.system
    params["messages"] = [{"role": "user", "content": render(spec.template, record)}]
    custom_id = record[spec.id_field]
    return wire_bytes({"custom_id": custom_id if isinstance(custom_id, str) else str(custom_id), "params": params})


def template_lines(path: Path, spec: TemplateSpec, problems: list[str]) -> Iterator[tuple[str, bytes]]:
    """(where, request line) per record; records that cannot be built are added to `problems`."""
    try:
        for where, record in _records(path):
            if isinstance(record, str):
                problems.append(f"{where}: {record}")
                continue
            if not isinstance(record, dict):
                problems.append(f"{where}: a record must be an object with named fields")
                continue
            if spec.id_field not in record or record[spec.id_field] in (None, ""):
                problems.append(f"{where}: no {spec.id_field!r} field for the custom_id (--id-field)")
                continue
            try:
                yield where, _line(spec, record)
            except KeyError as exc:
                problems.append(f"{where}: the template names {{{exc.args[0]}}}, which this record does not have")
    except UnicodeDecodeError as exc:
        problems.append(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})")
    except csv.Error as exc:
        problems.append(f"{path}: not valid CSV ({exc})")
