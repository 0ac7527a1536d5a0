"""Escape sequences from API data, labels and error messages never reach a terminal from the CLI.

The commands run in a subprocess whose stdin, stdout and stderr are a REAL pty (so each believes it
writes to a terminal), one after the other (the SDK loads once), against the hostile fake API; what
each wrote must hold no ESC, BEL, C1 control or bidi override, and must show the sequences visibly
(␛). `--json` output and raw JSONL exports stay exact."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from batchdeck.cli import main
from batchdeck.core.workspace import Workspace
from tests.core.conftest import run_cli
from tests.reliability.fake_api import PREFIX, FakeApi, batch, environment, error_body

CORPUS = {
    "osc52": "\x1b]52;c;aGVsbG8=\x07",  # clipboard write
    "title": "\x1b]0;pwn\x07",
    "clear": "\x1b[2J",
    "osc8": "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "csi8": "\x9b31m",  # 8-bit CSI
    "bidi": "\u202etxt.exe",
}
EVERY = "".join(CORPUS.values())
BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def raw_controls(text: str) -> list[str]:
    """Characters a terminal would act on: C0 (but CR/LF, which the pty itself adds), DEL, C1, bidi."""
    return [
        f"U+{ord(c):04X}"
        for c in text
        if (ord(c) < 0x20 and c not in "\r\n") or 0x7F <= ord(c) < 0xA0 or ord(c) in BIDI
    ]


ENDED = "msgbatch_escapes"
WEIRD_URL = "msgbatch_weirdurl"
LIVE = "msgbatch_livewithlabel"
REFUSES = "msgbatch_refuses"


def result_lines() -> bytes:
    """One succeeded row (model text) and one errored row (error type and message) per sequence,
    each custom_id carrying the sequence too."""
    lines = []
    for name, seq in CORPUS.items():
        lines.append(
            {
                "custom_id": f"ok-{name}{seq}",
                "result": {
                    "type": "succeeded",
                    "message": {
                        "id": "msg_1",
                        "type": "message",
                        "role": "assistant",
                        "model": "claude-haiku-4-5",
                        "content": [{"type": "text", "text": f"model says {seq}"}],
                        "stop_reason": f"end_turn{seq}",
                        "stop_sequence": None,
                        "usage": {"input_tokens": 10, "output_tokens": 5},
                    },
                },
            }
        )
        lines.append(
            {
                "custom_id": f"err-{name}{seq}",
                "result": {
                    "type": "errored",
                    "error": {"type": "error", "error": {"type": f"overloaded_error{seq}", "message": f"failed {seq}"}},
                },
            }
        )
    return b"".join(json.dumps(line, ensure_ascii=False).encode() + b"\n" for line in lines)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeApi, dict[str, str]]]:
    """The fake API with the corpus in every field a command shows, a synced cache, labels and notes
    set through the CLI, and a job whose name carries the corpus."""
    root = tmp_path_factory.mktemp("escapes")
    with FakeApi() as fake, pytest.MonkeyPatch.context() as patch:
        env = environment(root, fake)
        for var, value in env.items():
            patch.setenv(var, value)
        rows = len(CORPUS)
        ended = batch(
            ENDED,
            results_url=fake.results_url(ENDED),
            request_counts={"processing": 0, "succeeded": rows, "errored": rows, "canceled": 0, "expired": 0},
        )
        live = batch(LIVE, status="in_progress", created_at="2026-11-01T13:00:00.000000Z")
        weird = batch(WEIRD_URL, results_url=f"https://example.com/{EVERY}")
        fake.listed = [live, ended, weird, batch(f"msgbatch_bad{EVERY}")]  # the last one is skipped, visibly
        fake.batches.update({ENDED: ended, LIVE: live, WEIRD_URL: weird})
        fake.results[ENDED] = result_lines()
        error = (400, error_body(f"refused {EVERY}\nsecond line"))
        fake.errors[f"{PREFIX}/{REFUSES}"] = error
        fake.errors[f"{PREFIX}/{REFUSES}/cancel"] = error
        full = {**os.environ, **env, "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8", "TERM": "xterm-256color"}
        full.pop("BATCHDECK_DEBUG", None)
        for argv in (
            ["sync"],
            ["label", ENDED, f"label {EVERY}"],
            ["note", ENDED, f"note {EVERY}"],
            ["label", LIVE, f"live {EVERY}"],
        ):
            assert main(argv) == 0  # the CLI, in-process (quicker than a subprocess)
        with Workspace.open() as ws:
            store = ws.jobs
            job = store.new_job(f"job {EVERY}", f"/tmp/{EVERY}.jsonl", None, 2 * rows, ws.now())
            store.add_submissions(job.id, [("submit", 0, None, ["a"], 10)], ws.now(), state="created", batch_id=ENDED)
        yield fake, full


DRIVER = """\
import json, sys
from batchdeck.cli import main
for name, argv in json.loads(sys.argv[1]):
    print(f"=== begin {name} ===", flush=True)
    code = main(argv)
    sys.stdout.flush(); sys.stderr.flush()
    print(f"=== end {name}: {code} ===", flush=True)
"""


def run_on_pty(commands: list[tuple[str, list[str]]], env: dict[str, str], timeout: float = 60.0) -> bytes:
    """Run each `batchdeck ARGV` in one process (the SDK loads once) whose stdin, stdout and stderr are
    a new pty, so every command believes it writes to a terminal; returns every byte written."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, json.dumps(commands)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    output = bytearray()
    try:
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            if not ready:
                raise AssertionError(f"nothing written for {timeout}s; so far: {bytes(output)!r}")
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        proc.wait(timeout)
        return bytes(output)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


SEEN = "␛]52;c;aGVsbG8=␇␛]0;pwn␇␛[2J"  # the first sequences of the corpus, as they must be shown
COMMANDS: list[tuple[str, list[str], str]] = [
    ("list", ["list"], f"label {SEEN}"),
    ("show", ["show", ENDED], f"note {SEEN}"),
    ("show results_url", ["show", WEIRD_URL], f"https://example.com/{SEEN}"),
    ("results", ["results", ENDED], "ok-osc52␛]52;c;aGVsbG8=␇"),
    ("status", ["status"], f"live {SEEN}"),
    ("watch", ["watch", ENDED, "--interval", "0.01"], f"label {SEEN}"),
    ("job list", ["job", "list"], f"job {SEEN}"),
    ("job show", ["job", "show", "job-1", "--offline"], f"job {SEEN}"),
    ("API error", ["show", REFUSES], f"refused {SEEN}"),
    ("cancel refused", ["cancel", "--yes", REFUSES], f"refused {SEEN}"),
    ("skipped object", ["sync"], f"msgbatch_bad{SEEN}"),
]


@pytest.fixture(scope="module")
def transcript(served: tuple[FakeApi, dict[str, str]]) -> dict[str, tuple[int, str]]:
    """name -> (exit code, what the command wrote to the terminal)."""
    written = run_on_pty([(name, argv) for name, argv, _ in COMMANDS], served[1])
    text = written.decode()  # strict: a stray 8-bit byte would not be UTF-8
    sections: dict[str, tuple[int, str]] = {}
    for name, _, _ in COMMANDS:
        begin, end = f"=== begin {name} ===", f"=== end {name}: "
        assert begin in text and end in text, text
        body = text.split(begin, 1)[1].split(end, 1)
        sections[name] = (int(body[1].split(" ", 1)[0]), body[0])
    return sections


@pytest.mark.parametrize("name,shown", [(c[0], c[2]) for c in COMMANDS], ids=[c[0] for c in COMMANDS])
def test_no_escape_reaches_the_terminal(transcript: dict[str, tuple[int, str]], name: str, shown: str) -> None:
    code, text = transcript[name]
    assert raw_controls(text) == [], text
    assert "\x1b" not in text and "\x07" not in text
    assert shown in text, text
    assert "Traceback" not in text and "internal error" not in text, text
    assert code in (0, 1, 3), text


def test_json_output_and_raw_exports_stay_exact(
    served: tuple[FakeApi, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake, env = served
    for var in (
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_CACHE_HOME",
        "XDG_STATE_HOME",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
    ):
        monkeypatch.setenv(var, env[var])

    def run(*argv: str) -> Any:
        code, out, err = run_cli(capsys, *argv)
        assert code == 0, err
        return json.loads(out)

    served_ids = {json.loads(line)["custom_id"] for line in fake.results[ENDED].splitlines()}
    rows = run("results", ENDED, "--json")
    assert {r["custom_id"] for r in rows} == served_ids
    assert {r["error_type"] for r in rows if r["error_type"]} == {f"overloaded_error{s}" for s in CORPUS.values()}
    assert {r["error_message"] for r in rows if r["error_message"]} == {f"failed {s}" for s in CORPUS.values()}
    shown = run("show", ENDED, "--json")
    assert (shown["label"], shown["note"]) == (f"label {EVERY}", f"note {EVERY}")
    assert f"live {EVERY}" in [b["label"] for b in run("list", "--json")]
    target = tmp_path / "raw.jsonl"
    assert run_cli(capsys, "export", ENDED, "-o", str(target))[0] == 0
    assert target.read_bytes() == fake.results[ENDED]
