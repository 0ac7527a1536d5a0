"""Submit refuses bad input before any network call: every bad line named, nothing reaches the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batchdeck.emulator import Emulator
from tests.core.conftest import run_cli
from tests.core.jobs_helpers import line

GOOD = line("ok-1")
CORPUS: list[tuple[str, bytes, str]] = [
    ("syntax", b'{"custom_id": "a", "params": {', "line 2: not valid JSON: Expecting property name"),
    ("utf8", b'{"custom_id": "a\xff", "params": {}}', "line 2: not valid UTF-8 (byte 0xff at column 17)"),
    ("not an object", b'["a", 1]', "line 2: expected an object"),
    ("extra key", b'{"custom_id": "a", "params": {}, "method": "POST"}', "line 2: unknown key 'method'"),
    ("no custom_id", line("x").replace(b'"custom_id": "x", ', b""), "line 2: custom_id missing is not valid"),
    ("bad charset", line("has space"), 'line 2: custom_id "has space" is not valid'),
    ("too long", line("a" * 65), 'line 2: custom_id "' + "a" * 65 + '" is not valid (1-64 characters'),
    ("empty id", line(""), 'line 2: custom_id "" is not valid'),
    ("number id", json.dumps({"custom_id": 7, "params": {}}).encode(), "line 2: custom_id 7 is not valid"),
    ("duplicate", line("ok-1"), "line 2: custom_id 'ok-1' is already used on line 1"),
    ("no params", b'{"custom_id": "a"}', "line 2: params must be an object"),
    ("no model", line("a").replace(b'"model": "claude-haiku-4-5", ', b""), "line 2: params.model is missing"),
    ("no max_tokens", line("a").replace(b'"max_tokens": 64, ', b""), "line 2: params.max_tokens is missing"),
    ("zero max_tokens", line("a", max_tokens=0), "line 2: params.max_tokens must be a positive integer, not 0"),
    ("string max_tokens", line("a", max_tokens="64"), 'params.max_tokens must be a positive integer, not "64"'),
    ("bool max_tokens", line("a", max_tokens=True), "params.max_tokens must be a positive integer, not true"),
    ("empty messages", line("a", messages=[]), "line 2: params.messages must be a non-empty list"),
    ("stream", line("a", stream=True), "line 2: params.stream is true; batches cannot stream"),
]


@pytest.mark.parametrize("name,bad,expected", CORPUS, ids=[c[0] for c in CORPUS])
def test_each_bad_line_is_named_and_nothing_is_sent(
    name: str,
    bad: bytes,
    expected: str,
    home: Path,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    source = tmp_path / "requests.jsonl"
    source.write_bytes(GOOD + b"\n" + bad + b"\n" + line("ok-3") + b"\n")
    code, _, err = run_cli(capsys, "submit", str(source), "--yes")
    assert code == 2, err
    assert expected in err
    assert "1 bad line; nothing was submitted" in err and "Traceback" not in err
    assert emulator.stats.calls("create") == 0 and emulator.stats.calls() == 0


def test_every_bad_line_up_to_a_limit(
    home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = tmp_path / "many.jsonl"
    source.write_bytes(b"\n".join([line(f"bad id {i}") for i in range(25)] + [GOOD]) + b"\n")
    code, _, err = run_cli(capsys, "submit", str(source), "--dry-run")
    assert code == 2 and "25 bad lines; nothing was submitted" in err
    assert "line 1:" in err and "line 20:" in err and "line 21:" not in err and "and 5 more" in err
    assert emulator.stats.calls() == 0


def test_empty_and_missing_files(
    home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"\n  \n")
    code, _, err = run_cli(capsys, "submit", str(empty), "--yes")
    assert code == 2 and "no requests (the file is empty); nothing was submitted" in err
    code, _, err = run_cli(capsys, "submit", str(tmp_path / "nope.jsonl"), "--yes")
    assert code == 2 and "nope.jsonl: no such file" in err
    assert emulator.stats.calls() == 0


def test_template_form_checks_records(
    home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    records = tmp_path / "tickets.csv"
    records.write_text("id,body\nt-1,printer on fire\nt 2,bad id\n,no id\nt-4,fine\nt-1,dup\n", encoding="utf-8")
    code, _, err = run_cli(
        capsys,
        "submit",
        str(records),
        "--template",
        "Classify: {body} ({missing})",
        "--id-field",
        "id",
        "--model",
        "claude-haiku-4-5",
        "--max-tokens",
        "32",
        "--yes",
    )
    assert code == 2 and "record 1 (line 2): the template names {missing}" in err
    code, _, err = run_cli(
        capsys,
        "submit",
        str(records),
        "--template",
        "Classify: {body}",
        "--id-field",
        "id",
        "--model",
        "claude-haiku-4-5",
        "--max-tokens",
        "32",
        "--yes",
    )
    assert code == 2 and "3 bad lines" in err
    assert 'record 2 (line 3): custom_id "t 2" is not valid' in err
    assert "record 3 (line 4): no 'id' field for the custom_id (--id-field)" in err
    assert "record 5 (line 6): custom_id 't-1' is already used on record 1 (line 2)" in err
    code, _, err = run_cli(capsys, "submit", str(records), "--model", "claude-haiku-4-5")
    assert code == 2 and "--model belongs to the simple form: give --template too" in err
    code, _, err = run_cli(capsys, "submit", str(records), "--template", "x {body}")
    assert code == 2 and "--template needs --id-field, --model, --max-tokens" in err
    assert emulator.stats.calls() == 0


def test_template_form_builds_requests(
    home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    records = tmp_path / "tickets.jsonl"
    records.write_text('{"id": "t-1", "body": "printer {on} fire", "n": 3}\n{"id": 2, "body": "ok", "n": 4}\n')
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("Ticket {id} ({n}) {{literal}}: {body}", encoding="utf-8")
    emulator.record_create_bodies()
    code, out, err = run_cli(
        capsys,
        "submit",
        str(records),
        "--template",
        f"@{prompt}",
        "--id-field",
        "id",
        "--model",
        "claude-haiku-4-5",
        "--max-tokens",
        "32",
        "--system",
        "Be brief.",
        "--yes",
        "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    sent = json.loads(emulator.api.bodies[result["batches"][0]])["requests"]  # type: ignore[index]
    assert sent[0] == {
        "custom_id": "t-1",
        "params": {
            "model": "claude-haiku-4-5",
            "max_tokens": 32,
            "system": "Be brief.",
            "messages": [{"role": "user", "content": "Ticket t-1 (3) {literal}: printer {on} fire"}],
        },
    }
    assert sent[1]["custom_id"] == "2" and sent[1]["params"]["messages"][0]["content"] == "Ticket 2 (4) {literal}: ok"
