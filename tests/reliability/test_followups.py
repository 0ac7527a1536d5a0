"""Follow-ups of the reliability work: concurrent retries, garbage create answers, repairing a bad config,
watch's skipped objects, the debug traceback, and job names that match nothing."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from batchdeck.commands import watch_cmd
from batchdeck.core.config import paths, toml_file
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from tests.core.conftest import SECRET, run_cli
from tests.core.jobs_helpers import write_requests
from tests.core.test_retry import failing_job
from tests.reliability.fake_api import PREFIX, FakeApi, batch, environment

# A `batchdeck` that stops, before it adds any part to a job, until a line arrives on its stdin: two of them
# can be held at the moment between checking a retry plan and adding its parts.
PAUSING_BATCHDECK = """
import sys
from batchdeck.commands import watch_cmd
from batchdeck.core.config import toml_file
from batchdeck.core.config import paths
from batchdeck.core.store.job_repo import JobRepo
add_submissions = JobRepo.add_submissions
def paused(self, *args, **kwargs):
    sys.stderr.write("PAUSED\\n")
    sys.stderr.flush()
    sys.stdin.readline()
    return add_submissions(self, *args, **kwargs)
JobRepo.add_submissions = paused
from batchdeck.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def _pausing(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", PAUSING_BATCHDECK, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _stderr_until_paused_or_exit(proc: subprocess.Popen[bytes], timeout: float = 60) -> bytes:
    """What `proc` wrote to stderr until it paused (b"PAUSED" at the end) or exited."""
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while b"PAUSED" not in seen:
        ready, _, _ = select.select([proc.stderr], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"batchdeck neither paused nor exited; it wrote {seen!r}"
        chunk = os.read(proc.stderr.fileno(), 4096)
        if not chunk:
            break
        seen += chunk
    return seen


# -- 1. two retries of the same rows confirmed at the same moment -------------------------------------


@pytest.mark.slow
def test_two_concurrent_retries_of_the_same_rows_make_one_batch(home: Path, emulator: Emulator, tmp_path: Path) -> None:
    """A is held after confirming, before it adds its parts; B, planned from the same state, confirms then.
    B used to pass the plan check too, and its parts were sent as well (the failed rows twice): now the
    check, the parts and the send are one step under the sending lock, and B sends nothing, in one line."""
    with Workspace.open() as ws:
        job_id, _, _ = failing_job(ws, emulator, tmp_path, 20)
    creates = emulator.stats.calls("create")
    first = _pausing("retry", job_id, "--yes")
    second = None
    try:
        assert _stderr_until_paused_or_exit(first).endswith(b"PAUSED\n")
        second = _pausing("retry", job_id, "--yes")
        held = _stderr_until_paused_or_exit(second)
        out_a, err_a = first.communicate(b"\n", timeout=60)
        _, err_b = second.communicate(b"\n", timeout=60)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
    assert emulator.stats.calls("create") == creates + 1  # the failed rows sent once
    assert first.returncode == 0, err_a
    assert f"{job_id}: resent ".encode() in out_a
    assert b"PAUSED" not in held and second.returncode == 1
    message = (held + err_b).decode()
    assert message.endswith(
        f"batchdeck: error: {job_id}: another batchdeck process is sending in this profile "
        "(perhaps this same retry); nothing was sent; run the retry again when it has "
        "finished\n"
    ), message
    assert message.count("batchdeck: error:") == 1 and "Traceback" not in message
    with Workspace.open() as ws:
        subs = ws.jobs.submissions(job_id)
    assert [(s.kind, s.state) for s in subs] == [("submit", "created"), ("retry", "created")]


# -- 2. a create answered with something that is not a batch -----------------------------------------


class CreatingApi(FakeApi):
    """Also answers create: it makes a batch (listed only once the test says so, as a list that lags
    behind), and answers with `create_answer`, whatever that is."""

    def __init__(self, create_answer: bytes, requests_per_batch: int) -> None:
        super().__init__()
        self.create_answer = create_answer
        self.requests_per_batch = requests_per_batch
        self.made: list[dict[str, Any]] = []

    def creates(self) -> int:
        return sum(1 for r in self.requests if r == f"POST {PREFIX}")

    def answer(self, method: str, target: str) -> tuple[int, bytes, str]:
        if method != "POST" or urlsplit(target).path != PREFIX:
            return super().answer(method, target)
        self.requests.append(f"{method} {target}")
        n = self.requests_per_batch
        self.made.append(
            batch(
                f"msgbatch_01Made{len(self.made) + 1}",
                "in_progress",
                request_counts={"processing": n, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
            )
        )
        return 200, self.create_answer, "application/json"


GARBLED_CREATES = {
    "a list": b"[1, 2]",
    "a string": b'"created"',
    "not JSON": b"<html>created</html>",
    "an id that leaves the data dir": json.dumps(batch("msgbatch_../../x/pwn", "in_progress")).encode(),
    "an id of another kind": json.dumps(batch("batch_01Made1", "in_progress")).encode(),
    "an object without an id": b'{"type": "message_batch"}',
}


@pytest.mark.parametrize("answer", GARBLED_CREATES.values(), ids=GARBLED_CREATES.keys())
def test_a_garbled_create_answer_is_reconciled_never_stored_or_resent(
    answer: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The API may have made the batch whatever it answered: the part stays open (nothing stored from the
    answer), and the next run adopts the batch the list shows instead of sending the requests again."""
    source = tmp_path / "requests.jsonl"
    write_requests(source, 3)
    with CreatingApi(answer, 3) as fake:
        for var, value in environment(tmp_path / "home", fake).items():
            monkeypatch.setenv(var, value)
        code, _, err = run_cli(capsys, "submit", str(source), "--yes")
        assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, err
        assert err.startswith(
            "batchdeck: error: job-1 part 1: the create call got no clear answer (cannot create a "
            "batch of 3 requests: the API answered with "
        ), err
        assert "run `batchdeck job reconcile job-1` in a while" in err
        with Workspace.open() as ws:
            [sub] = ws.jobs.submissions("job-1")
            assert (sub.state, sub.batch_id) == ("uncertain", None)
            assert ws.batches.query(include_deleted=True) == []
        fake.listed = list(fake.made)  # the list now shows the batch the garbled create made
        code, _, err = run_cli(capsys, "submit", str(source), "--yes")
        assert code == 0, err
        assert "job-1 part 1: adopted msgbatch_01Made1" in err
        assert fake.creates() == 1
        with Workspace.open() as ws:
            [sub] = ws.jobs.submissions("job-1")
            assert (sub.state, sub.batch_id) == ("created", "msgbatch_01Made1")
            assert [b.id for b in ws.batches.query(include_deleted=True)] == ["msgbatch_01Made1"]


# -- 3. a config with a bad value is repaired with the command its error names --------------------------


def _write_config(text: str | bytes) -> Path:
    path = paths.config_file()
    paths.private_dir(path.parent)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_config_set_repairs_the_bad_values_other_commands_refuse(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write_config(
        '[sync]\ntimeout = "soon"\nmax_retries = 4\n\n[hooks]\non_end = "echo done"\n\n'
        '[profiles.work]\napi_key_env = "WORK_KEY"\n\n[profiles.work.notify]\nbell = "maybe"\n'
    )
    code, _, err = run_cli(capsys, "list", "--cached")
    assert (code, err) == (
        2,
        f"batchdeck: error: config file {path}: bad value for sync.timeout (could not "
        "convert string to float: 'soon'); fix it with `batchdeck config set sync.timeout "
        "VALUE`\n",
    )
    assert run_cli(capsys, "config", "path") == (0, f"{path}\n", "")
    code, out, err = run_cli(capsys, "config", "show")
    assert code == 0 and 'timeout = "soon"' in out and 'bell = "maybe"' in out and "max_retries = 4" in out
    assert err.splitlines() == [
        f"batchdeck: warning: config file {path}: bad value for sync.timeout (could not convert string to float: "
        "'soon'); fix it with `batchdeck config set sync.timeout VALUE`",
        f"batchdeck: warning: config file {path}: bad value for notify.bell in [profiles.work.notify] (expected "
        "true or false, got 'maybe'); fix it with `batchdeck config set profiles.work.notify.bell VALUE`",
    ]
    code, out, err = run_cli(capsys, "config", "set", "sync.timeout", "45")
    assert (code, out) == (0, "sync.timeout = 45\n") and err.splitlines() == [err.splitlines()[0]]
    assert "`batchdeck config set profiles.work.notify.bell VALUE`" in err
    kept = tomllib.loads(path.read_text())  # the rest of the file, the other bad value included, is kept
    assert kept["sync"] == {"timeout": 45.0, "max_retries": 4} and kept["hooks"] == {"on_end": "echo done"}
    assert kept["profiles"]["work"] == {"api_key_env": "WORK_KEY", "notify": {"bell": "maybe"}}
    code, _, err = run_cli(capsys, "list", "--cached")
    assert code == 2 and "bad value for notify.bell in [profiles.work.notify]" in err and err.count("\n") == 1
    assert run_cli(capsys, "config", "set", "profiles.work.notify.bell", "false") == (
        0,
        "profiles.work.notify.bell = false\n",
        "",
    )
    assert run_cli(capsys, "list", "--cached")[0] == 0
    loaded = toml_file.load()
    assert loaded.settings_for().sync.timeout == 45.0 and loaded.settings_for("work").notify.bell is False


def test_config_set_keeps_the_settings_of_a_newer_batchdeck(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Settings this version does not know are not errors, and writing the file does not drop them."""
    path = _write_config('schema = 2\n[sync]\nnew_knob = true\n[future]\nthing = [1, 2]\n[future.deep]\nx = "y"\n')
    assert run_cli(capsys, "config", "set", "sync.timeout", "12") == (0, "sync.timeout = 12\n", "")
    assert tomllib.loads(path.read_text()) == {
        "default_profile": "default",
        "schema": 2,
        "sync": {"timeout": 12.0, "new_knob": True},
        "future": {"thing": [1, 2], "deep": {"x": "y"}},
        "profiles": {},
    }


def test_a_key_pasted_as_api_key_env_is_repaired_without_being_shown(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pasted = "sk-ant-api03-PASTED-by-mistake-0123456789abcdef"
    path = _write_config(f'[profiles.work]\napi_key_env = "{pasted}"\n')
    code, _, err = run_cli(capsys, "list", "--cached")
    assert code == 2 and err.count("\n") == 1 and pasted[:16] not in err and pasted[-12:] not in err
    assert "bad value for api_key_env in [profiles.work]" in err and "looks like an API key" in err
    assert "`batchdeck config set profiles.work.api_key_env VALUE`" in err
    code, out, err = run_cli(capsys, "config", "show")
    assert code == 0 and pasted[:16] not in out + err and pasted[-12:] not in out + err
    assert run_cli(capsys, "config", "set", "profiles.work.api_key_env", "WORK_KEY")[0] == 0
    assert pasted not in path.read_text() and toml_file.load().profile("work").api_key_env == "WORK_KEY"


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        (b'default_profile = "default"\n[sync\ntimeout = 5\n', 2, "Expected ']' at the end of a table declaration"),
        (b"[sync]\nmax_retries = 2\n\xff\xfe\n", 3, "bytes that are not UTF-8"),
        (b"[sync]\ntimeout = ", 2, "Invalid value"),
    ],
    ids=["unclosed table", "not UTF-8", "cut short"],
)
def test_toml_that_does_not_parse_is_named_by_file_and_line(
    home: Path, capsys: pytest.CaptureFixture[str], content: bytes, line: int, problem: str
) -> None:
    """`config set` reads the file before it writes it, so it cannot repair syntax: the error says where to
    edit, and does not advise `config set`. `config path` still says where the file is."""
    path = _write_config(content)
    expected = (
        f"batchdeck: error: config file {path} is not valid TOML at line {line} ({problem}); fix that "
        "line in an editor, or move the file away to start afresh\n"
    )
    for command in (["config", "set", "sync.timeout", "5"], ["config", "show"], ["list", "--cached"]):
        assert run_cli(capsys, *command) == (2, "", expected)
    assert run_cli(capsys, "config", "path") == (0, f"{path}\n", "")
    assert path.read_bytes() == content


# -- 4. watch reports the objects its sync skipped --------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True], ids=["human", "json"])
def test_watch_reports_skipped_objects_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    live = batch("msgbatch_01Live", "in_progress")
    with FakeApi() as fake:
        for var, value in environment(tmp_path / "home", fake).items():
            monkeypatch.setenv(var, value)
        fake.listed = [live, batch("msgbatch_../../x/pwn", "in_progress")]
        fake.batches[live["id"]] = live
        polls: list[float] = []

        def sleep(seconds: float) -> None:  # the second poll finds the batch ended
            polls.append(seconds)
            fake.batches[live["id"]] = batch(live["id"], "ended")

        monkeypatch.setattr(watch_cmd, "SLEEP", sleep)
        code, out, err = run_cli(capsys, "watch", "--all-live", *(["--json"] if as_json else []))
    assert code == 0 and polls, err
    skipped = (
        "skipped 1 malformed batch object from the API (first: 'msgbatch_../../x/pwn': its id is not of "
        "the form msgbatch_[A-Za-z0-9_-]); the rest were stored"
    )
    if as_json:
        events = [json.loads(line) for line in out.splitlines()]
        warnings = [e for e in events if e["event"] == "warning"]
        assert [e["message"] for e in warnings] == [skipped]
        assert [e["event"] for e in events] == ["start", "warning", "watching", "ended", "done"]
    else:
        lines = [line for line in out.splitlines() if "skipped" in line]
        assert len(lines) == 1 and lines[0].endswith(f"Z  warning: {skipped}"), out


# -- 5. BATCHDECK_DEBUG=1: the traceback, with every key redacted and escapes made visible -----------------


def test_the_debug_traceback_is_redacted_and_visible(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stored = "sk-ant-api03-STORED-key-in-config-0123456789abcdef"
    _write_config(f'[profiles.work]\napi_key = "{stored}"\n')
    paths.config_file().chmod(0o600)

    def broken(*args: Any, **kwargs: Any) -> Workspace:
        raise RuntimeError(f"bug near {SECRET} and {stored} \x1b]0;title\x07 \x1b[31mred")

    monkeypatch.setattr(Workspace, "open", broken)
    monkeypatch.setenv("BATCHDECK_DEBUG", "1")
    code, out, err = run_cli(capsys, "list", "--cached")
    assert code == 1 and out == ""
    assert err.startswith("Traceback (most recent call last):") and "in broken" in err
    assert err.rstrip("\n").endswith("RuntimeError: bug near [redacted] and [redacted] ␛]0;title␇ ␛[31mred"), err
    for secret in (SECRET, stored):
        assert secret not in err and secret[-12:] not in err
    assert "\x1b" not in err and "\x07" not in err


# -- 6. a job name that matches no job -------------------------------------------------------------------


@pytest.mark.parametrize("command", [["job", "show"], ["retry"]])
def test_a_job_name_with_spaces_that_matches_nothing_says_so(
    ws: Workspace, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    code, out, err = run_cli(capsys, *command, "night run")
    assert (code, out, err) == (
        2,
        "",
        "batchdeck: error: no job named 'night run' (`batchdeck job list` shows the jobs)\n",
    )


def test_retry_of_a_job_id_that_does_not_exist_names_the_job(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    """Not "msgbatch_job-42 was not submitted through batchdeck; attach the request file first"."""
    code, out, err = run_cli(capsys, "retry", "job-42")
    assert (code, out) == (2, "") and err.startswith("batchdeck: error: no job 'job-42': not a job id or name"), err
