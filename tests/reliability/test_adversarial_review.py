"""An adversarial review after issue 12: what the CLI still let through (API clock, echoes of settings,
odd arguments). Real emulator or hostile fake over HTTP, real cache files, in-process CLI unless a pty
is needed."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from batchdeck.emulator import DEFAULT_WORKSPACE, Emulator, FaultConfig, Rates
from batchdeck.emulator.sources import SyntheticSource, SyntheticSpec
from tests.conftest import request
from tests.core.conftest import SECRET, run_cli
from tests.reliability.conftest import use_home

HOURS_BEHIND = 15


@pytest.fixture
def behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """An emulator whose clock (and so its Date header) is 15 hours behind ours, with the default profile on it."""
    start = time.time() - HOURS_BEHIND * 3600
    with Emulator(speed=0, start_time=start, faults=FaultConfig(retry_after=0.01)) as emu:
        use_home(monkeypatch, tmp_path, emu)
        monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
        yield emu


def new_batch(emulator: Emulator, size: int = 3) -> str:
    """A batch created just now on the API's clock."""
    return emulator.store.new_batch(
        SyntheticSource(SyntheticSpec("now", size)), DEFAULT_WORKSPACE, Rates(), created_at=emulator.clock.now()
    ).id


def ages(text: str) -> list[str]:
    return re.findall(r"\b(\d+[smhd][^,\n]*?) ago\b|running (\S+)", text)


@pytest.mark.parametrize("argv", [["list"], ["show", "{id}"], ["status"]], ids=["list", "show", "status"])
def test_ages_follow_the_api_clock(behind: Emulator, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    batch_id = new_batch(behind)
    code, out, err = run_cli(capsys, *[a.format(id=batch_id) for a in argv])
    assert code == 0, err
    assert batch_id in out
    assert "15h" not in out and "14h" not in out, out  # the local clock's view of a batch created just now
    assert re.search(r"\b[0-9]s ago\b|running [0-9]s\b", out), out


@pytest.mark.parametrize(
    "argv",
    [["list", "--cached"], ["status", "--offline"], ["show", "{id}", "--cached"]],
    ids=["list --cached", "status --offline", "show --cached"],
)
def test_offline_commands_use_the_skew_measured_before(
    behind: Emulator, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    batch_id = new_batch(behind)
    assert run_cli(capsys, "sync")[0] == 0
    code, out, err = run_cli(capsys, *[a.format(id=batch_id) for a in argv])
    assert code == 0, err
    assert batch_id in out
    assert "15h" not in out and "14h" not in out, out
    assert re.search(r"\b[0-9]s ago\b|running [0-9]s\b", out), out


def test_watch_ages_follow_the_api_clock(
    behind: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from batchdeck.commands import watch_cmd

    monkeypatch.setattr(watch_cmd, "SLEEP", lambda seconds: behind.advance(3600))  # an hour per poll
    batch_id = new_batch(behind)
    code, out, err = run_cli(capsys, "watch", batch_id, "--interval", "1")
    assert code == 0, err
    first = next(line for line in out.splitlines() if batch_id in line)
    assert "running 0s" in first or "running 1s" in first, out
    assert "expires in 23h 59m" in first or "expires in 24h" in first, out


# -- config set / show: a webhook's path is its credential; values are shown, never sent to the terminal --------
TOKEN = "T0K3N-9f8e7d6c"


@pytest.mark.parametrize("key", ["hooks.webhook", "profiles.default.hooks.webhook"])
def test_config_set_and_show_name_only_the_webhook_host(
    home: Path, capsys: pytest.CaptureFixture[str], key: str
) -> None:
    url = f"https://hooks.example.com/services/{TOKEN}?sig={TOKEN}"
    code, out, err = run_cli(capsys, "config", "set", key, url)
    assert code == 0, err
    assert TOKEN not in out + err
    assert "hooks.example.com" in out
    code, out, err = run_cli(capsys, "config", "show")
    assert code == 0, err
    assert TOKEN not in out + err and "https://hooks.example.com" in out
    code, path, _ = run_cli(capsys, "config", "path")
    assert url in Path(path.strip()).read_text()  # kept whole in the file: only the display hides it


def test_config_set_and_show_make_control_characters_visible(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    command = "notify-send \u202edone \x1b]0;pwn\x07"
    code, out, err = run_cli(capsys, "config", "set", "hooks.on_end", command)
    assert code == 0, err
    code, shown, err = run_cli(capsys, "config", "show")
    for text in (out, shown):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text, text
    assert "␛]0;pwn␇" in out


def test_a_setting_of_the_implicit_default_profile_is_saved(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`config set profiles.default.sync.timeout 5` said it was set, and the file never held it."""
    assert run_cli(capsys, "config", "set", "profiles.default.sync.timeout", "5")[0] == 0
    code, out, err = run_cli(capsys, "config", "show")
    assert code == 0, err
    assert "[profiles.default.sync]\ntimeout = 5.0" in out, out


# -- submit's plan shows the file's name and model names: shown, never obeyed (a real pty) ------------------------
def test_submit_plan_shows_file_and_model_names_visibly(home: Path, tmp_path: Path) -> None:
    import os

    from tests.reliability.test_cli_escapes import CORPUS, EVERY, SEEN, raw_controls, run_on_pty

    source = tmp_path / ("req" + "".join(seq for name, seq in CORPUS.items() if name != "osc8") + ".jsonl")
    line = {
        "custom_id": "a",
        "params": {
            "model": f"claude-haiku-4-5{EVERY}",
            "max_tokens": 10,
            "messages": [{"role": "user", "content": "hi"}],
        },
    }
    source.write_text(json.dumps(line, ensure_ascii=False) + "\n")
    env = {**os.environ, "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8", "TERM": "xterm-256color"}
    written = run_on_pty([("dry run", ["submit", str(source), "--dry-run"])], env).decode()
    assert raw_controls(written) == [], written
    assert f"req{SEEN}" in written and f"claude-haiku-4-5{SEEN}" in written, written
    assert "=== end dry run: 0 ===" in written, written


# -- -o, files of requests and templates: odd paths get one clear line ----------------------------------------------
@pytest.mark.parametrize("command", ["export", "job export"])
def test_export_into_a_directory_writes_the_default_name_there(
    home: Path, emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """`-o DIR --force` said "DIR already exists; pass --force to replace it", then tried to replace the directory."""
    target = tmp_path / "exports"
    (target / "keep").mkdir(parents=True)
    requests = tmp_path / "requests.jsonl"
    requests.write_text("".join(json.dumps(request(f"r{i}")) + "\n" for i in range(3)))
    code, out, err = run_cli(capsys, "submit", str(requests), "--yes")
    assert code == 0, err
    batch_id = out.split()[-1]
    emulator.advance(86400)
    argv = ["export", batch_id] if command == "export" else ["job", "export", "job-1"]
    for force in ([], ["--force"]):
        code, out, err = run_cli(capsys, *argv, "-o", str(target), *force)
        if not force:
            assert code == 0, err
            written = next(p for p in target.iterdir() if p.is_file())
            assert written.name == (f"{batch_id}.jsonl" if command == "export" else "job-1.jsonl")
            assert len(written.read_text().splitlines()) == 3
            assert str(written) in out
        else:  # the default name is taken now: replaced only with --force, the directory never
            assert code == 0, err
    assert (target / "keep").is_dir()


@pytest.mark.parametrize("kind", ["directory", "device"])
def test_a_requests_file_that_is_not_a_file_is_named_as_such(
    home: Path, tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path) if kind == "directory" else "/dev/null"
    code, _, err = run_cli(capsys, "submit", path, "--dry-run")
    assert code == 2
    assert err.strip() == (
        f"batchdeck: error: {path}: is a directory, not a file of requests"
        if kind == "directory"
        else f"batchdeck: error: {path}: not a regular file"
    ), err


def test_a_template_that_is_not_text_is_one_line(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records, template = tmp_path / "rows.csv", tmp_path / "prompt.bin"
    records.write_text("id,text\n1,hello\n")
    template.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    code, _, err = run_cli(
        capsys,
        "submit",
        str(records),
        "--template",
        f"@{template}",
        "--id-field",
        "id",
        "--model",
        "claude-haiku-4-5",
        "--max-tokens",
        "5",
        "--dry-run",
    )
    assert code == 2, err
    assert err.count("\n") == 1 and "not UTF-8 text" in err and "internal error" not in err, err


@pytest.mark.parametrize(
    "argv",
    [
        ["profile", "add", "p", "--base-url", "http://[::1:bad/x"],
        ["config", "set", "profiles.default.base_url", "http://u:pw@[::1:bad/x"],
    ],
    ids=["profile add", "config set"],
)
def test_a_base_url_that_cannot_parse_is_refused_when_set(
    home: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """It was saved, and then every command of the profile failed on it."""
    code, out, err = run_cli(capsys, *argv)
    assert code == 2, out + err
    assert err.count("\n") == 1 and "does not parse" in err and "pw" not in err, err
    code, out, _ = run_cli(capsys, "config", "show")
    assert "[::1:bad" not in out


# -- odd arguments: one clear line, never an internal error --------------------------------------------------------
@pytest.mark.parametrize(
    "argv,says",
    [
        (["list", "--cached", "--since", "99999999999d"], None),  # further back than any date: everything
        (["list", "--cached", "--since", "\u00b2d"], "cannot read --since"),
        (["watch", "msgbatch_notthere", "--interval", "1e308"], "at most 604800"),
        (["config", "set", "watch.interval", "1e300"], "at most 604800"),
        (["config", "set", "submit.settle_seconds", "1e300"], "at most 604800"),
        (["submit", "x" * 100_000], "File name too long"),
    ],
    ids=["since overflow", "since superscript", "watch interval", "config seconds", "settle seconds", "long file name"],
)
def test_odd_arguments_get_one_clear_line(
    home: Path, capsys: pytest.CaptureFixture[str], argv: list[str], says: str | None
) -> None:
    code, _out, err = run_cli(capsys, *argv)
    assert "internal error" not in err and "Traceback" not in err, err
    if says is None:
        assert code == 0 and err == "", err
    else:
        assert code in (1, 2) and err.count("\n") == 1 and says in err, err
        assert len(err) < 1200, len(err)


def test_a_limit_beyond_sqlite_integers_means_no_limit(
    home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.core.conftest import seed

    batch_id = seed(emulator, 1, size=3)[0]
    emulator.advance(86400)
    for argv in (["list", "--limit", str(10**30)], ["results", batch_id, "--limit", str(10**30)]):
        code, out, err = run_cli(capsys, *argv)
        assert code == 0 and "internal error" not in err, err
        assert batch_id in out if argv[0] == "list" else len(out.splitlines()) >= 4, out


def test_a_proxy_password_in_the_base_url_is_never_shown(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`cannot reach http://user:PASSWORD@host…` was printed, and kept in the sync state that `status` shows."""
    password = "pw-5ecret-77"
    base_url = f"http://user:{password}@127.0.0.1:9/proxy"  # nothing listens on port 9
    assert run_cli(capsys, "profile", "add", "proxied", "--base-url", base_url)[0] == 0
    assert run_cli(capsys, "config", "set", "sync.max_retries", "0")[0] == 0  # refused at once: no retries needed
    seen = ""
    for argv in (
        ["list", "--profile", "proxied"],
        ["status", "--profile", "proxied"],
        ["profile", "list"],
        ["config", "show"],
        ["sync", "--profile", "proxied"],
    ):
        _code, out, err = run_cli(capsys, *argv)
        assert "internal error" not in err, err
        seen += out + err
    assert password not in seen, seen
    assert "cannot reach http://127.0.0.1:9/proxy" in seen, seen


@pytest.mark.parametrize(
    "argv", [["list", "--bogus", "\x1b]0;pwn\x07"], ["sync", "extra\u202etxt"]], ids=["escape", "bidi"]
)
def test_arguments_argparse_refuses_are_shown_visibly(
    home: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    from batchdeck.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "\x1b" not in err and "\x07" not in err and "\u202e" not in err, err
    assert "unrecognized arguments" in err and err.count("\n") == 2, err  # usage, then one line


def test_the_emulator_quotes_paths_visibly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from batchdeck.cli import main

    code = main(["emulator", "--port", "0", "--model-catalog", str(tmp_path / "missing\x1b[2J" / "x")])
    err = capsys.readouterr().err
    assert code == 2 and "\x1b" not in err and "missing␛[2J" in err and err.count("\n") == 1, err
