"""`core.jobs.input_check`: every bad request line found and named, sizes counted as the SDK sends them."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from batchdeck.core.errors import UsageError
from batchdeck.core.jobs.input_check import (
    SHOWN_ERRORS,
    Checked,
    InputError,
    bounded_lines,
    check_all,
    check_request,
    estimate_input_tokens,
    jsonl_lines,
    require_file,
    wire_bytes,
)

PARAMS = {"model": "claude-haiku-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": "héllo"}]}


def line(custom_id: str = "a-1", **params: object) -> bytes:
    return json.dumps({"custom_id": custom_id, "params": {**PARAMS, **params}}).encode()


def test_a_good_line_becomes_an_entry_sized_as_compact_utf8() -> None:
    entry, error = check_request("line 3", line())
    assert error is None and entry is not None
    compact = json.dumps({"custom_id": "a-1", "params": PARAMS}, ensure_ascii=False, separators=(",", ":"))
    assert entry.wire_bytes == len(compact.encode()) == len(wire_bytes({"custom_id": "a-1", "params": PARAMS}))
    assert "é" in compact and entry.wire_bytes == len(compact) + 1  # é is two bytes, not \\u00e9
    assert (entry.custom_id, entry.where, entry.model, entry.max_tokens) == ("a-1", "line 3", "claude-haiku-4-5", 64)
    assert entry.input_tokens == estimate_input_tokens(PARAMS) >= 1


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff{}", "line 1: not valid UTF-8 (byte 0xff at column 1)"),
        (
            b'{"custom_id": "a",',
            "line 1: not valid JSON: Expecting property name enclosed in double quotes (column 19)",
        ),
        (b"[1, 2]", 'line 1: expected an object {"custom_id": …, "params": {…}}'),
        (b'{"custom_id": "a", "params": {}, "x": 1}', "line 1: unknown key 'x' (a request line has only"),
        (b'{"params": {}}', "line 1: custom_id missing is not valid"),
        (b'{"custom_id": "has space", "params": {}}', 'line 1: custom_id "has space" is not valid'),
        (b'{"custom_id": "' + b"x" * 65 + b'", "params": {}}', "is not valid (1-64 characters"),
        (b'{"custom_id": "a", "params": []}', "line 1: params must be an object"),
        (b"[" * 100_000 + b"]" * 100_000, "line 1: not a request: JSON nested too deeply to read"),
    ],
)
def test_bad_lines_say_what_is_wrong(raw: bytes, message: str) -> None:
    entry, error = check_request("line 1", raw)
    assert entry is None and error is not None and message in error


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"stream": True}, "params.stream is true; batches cannot stream (remove it)"),
        ({"model": ""}, "params.model must be a model name"),
        ({"max_tokens": True}, "params.max_tokens must be a positive integer, not true"),
        ({"max_tokens": 0}, "params.max_tokens must be a positive integer, not 0"),
        ({"max_tokens": 1.5}, "params.max_tokens must be a positive integer, not 1.5"),
        ({"messages": []}, "params.messages must be a non-empty list"),
    ],
)
def test_params_problems(params: dict[str, object], message: str) -> None:
    entry, error = check_request("line 2", line(**params))
    assert entry is None and error == f"line 2: {message}"


def test_a_missing_required_param_is_named() -> None:
    raw = json.dumps({"custom_id": "a", "params": {"model": "m", "messages": [1]}}).encode()
    assert check_request("line 1", raw)[1] == (
        "line 1: params.max_tokens is missing (model, max_tokens and messages are required)"
    )


def test_check_all_names_both_lines_of_a_duplicate_and_hashes_every_line() -> None:
    lines = [("line 1", line("a")), ("line 2", b"nope"), ("line 4", line("a")), ("line 5", line("b"))]
    checked = check_all(lines, errors=["line 3: found earlier"])
    assert [e.custom_id for e in checked.entries] == ["a", "b"]
    assert checked.errors[0] == "line 3: found earlier"
    assert checked.errors[1].startswith("line 2: not valid JSON")
    assert checked.errors[2] == "line 4: custom_id 'a' is already used on line 1"
    assert checked.content_hash == hashlib.sha256(b"".join(raw + b"\n" for _, raw in lines)).hexdigest()


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(InputError, match=r"^in\.jsonl: no requests \(the file is empty\); nothing was submitted$"):
        Checked().raise_if_bad("in.jsonl")


def test_many_bad_lines_show_the_first_ones_and_count_the_rest() -> None:
    checked = Checked(errors=[f"line {i}: bad" for i in range(1, SHOWN_ERRORS + 6)])
    with pytest.raises(InputError) as caught:
        checked.raise_if_bad("in.jsonl")
    shown = str(caught.value).splitlines()
    assert shown[0] == f"in.jsonl: {SHOWN_ERRORS + 5} bad lines; nothing was submitted"
    assert shown[1:-1] == [f"  line {i}: bad" for i in range(1, SHOWN_ERRORS + 1)]
    assert shown[-1] == "  and 5 more"


def test_one_bad_line_is_singular_and_good_input_passes() -> None:
    with pytest.raises(InputError, match=r"^f: 1 bad line; nothing"):
        Checked(errors=["line 1: bad"]).raise_if_bad("f")
    entry, _ = check_request("line 1", line())
    assert entry is not None
    Checked(entries=[entry]).raise_if_bad("f")  # no error


def test_bounded_lines_gives_offsets_and_measures_lines_over_the_limit() -> None:
    data = b"ab\r\n" + b"x" * 30 + b"\n\nlast"
    got = list(bounded_lines(io.BytesIO(data), limit=10))
    assert got == [(0, b"ab"), (4, 30), (35, b""), (36, b"last")]


def test_bounded_lines_reads_a_line_longer_than_one_read_piece_in_pieces() -> None:
    long = b"y" * (2 * (1 << 20) + 17)
    data = b"first\n" + long + b"\r\nnext\n"
    assert list(bounded_lines(io.BytesIO(data), limit=len(long) - 1)) == [
        (0, b"first"),
        (6, len(long)),
        (6 + len(long) + 2, b"next"),
    ]
    kept = list(bounded_lines(io.BytesIO(data), limit=len(long)))
    assert kept[1] == (6, long) and kept[2] == (6 + len(long) + 2, b"next")


def test_jsonl_lines_skip_blank_lines_and_keep_the_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"a": 1}\n\n   \n{"b": 2}\n')
    assert list(jsonl_lines(str(path))) == [("line 1", b'{"a": 1}'), ("line 4", b'{"b": 2}')]


def test_require_file_says_what_the_path_is(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a directory, not a file of requests"):
        require_file(tmp_path)
    with pytest.raises(UsageError, match="no such file"):
        require_file(tmp_path / "missing.jsonl")
    (tmp_path / "ok.jsonl").write_text("{}\n")
    require_file(tmp_path / "ok.jsonl")
