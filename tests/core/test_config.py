"""Profiles and settings through the CLI: the file, its permissions, validation, and secrets."""

from __future__ import annotations

import json
import stat
import sys
from io import StringIO
from pathlib import Path

import pytest

from batchdeck.core.config import paths, toml_file
from batchdeck.emulator import Emulator
from tests.conftest import request
from tests.core.conftest import run_cli


def test_profile_add_list_and_use(
    home: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Emulator(speed=0) as other:
        import anthropic

        anthropic.Anthropic(
            base_url=other.base_url, api_key="k", default_headers={"anthropic-workspace-id": "wrkspc_x"}
        ).messages.batches.create(requests=[request("a")])
        monkeypatch.setenv("WORK_KEY", "sk-work-0123456789abcdef")
        code, out, _ = run_cli(
            capsys,
            "profile",
            "add",
            "work",
            "--api-key-env",
            "WORK_KEY",
            "--base-url",
            other.base_url,
            "--workspace-id",
            "wrkspc_x",
        )
        assert code == 0 and "$WORK_KEY (set)" in out
        path = paths.config_file()
        assert path.is_relative_to(home) and stat.S_IMODE(path.stat().st_mode) == 0o600
        listing = run_cli(capsys, "profile", "list")[1]
        assert "* default" in listing and "work" in listing and "wrkspc_x" in listing
        assert "sk-work" not in listing
        assert json.loads(run_cli(capsys, "list", "--json")[1]) == []  # default profile: the other emulator
        code, out, err = run_cli(capsys, "list", "--json", "--profile", "work")
        assert code == 0, err
        work_batches = json.loads(out)
        assert len(work_batches) == 1 and work_batches[0]["profile"] == "work"
        assert len(json.loads(run_cli(capsys, "--profile", "work", "list", "--json", "--cached")[1])) == 1
        run_cli(capsys, "config", "set", "default_profile", "work")
        assert len(json.loads(run_cli(capsys, "list", "--json", "--cached")[1])) == 1


def test_stored_key_is_hidden_and_file_private(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", StringIO("sk-stored-secret-abcdef123456\n"))
    assert run_cli(capsys, "profile", "add", "stored", "--store-key")[0] == 0
    shown = run_cli(capsys, "config", "show")[1]
    assert "sk-stored-secret" not in shown and "[stored, hidden]" in shown
    assert stat.S_IMODE(paths.config_file().stat().st_mode) == 0o600
    assert toml_file.load().profile("stored").resolve_key() == "sk-stored-secret-abcdef123456"


def test_config_set_validates(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "config", "set", "sync.max_retries", "5")[0] == 0
    assert toml_file.load().settings_for().sync.max_retries == 5
    for args, message in (
        (["sync.max_retries", "lots"], "bad value for sync.max_retries"),
        (["colour", "blue"], "unknown setting 'colour'"),
        (["default_profile", "ghost"], "no profile named 'ghost'"),
        (["profiles.default.api_key", "sk-x"], "keys are not set on the command line"),
        (["sync.timeout", "nan"], "bad value for sync.timeout"),
        (["tui.poll_seconds", "inf"], "bad value for tui.poll_seconds"),
        (["submit.settle_seconds", "nan"], "bad value for submit.settle_seconds"),
    ):
        code, _, err = run_cli(capsys, "config", "set", *args)
        assert code == 2 and message in err


def test_corrupt_config_is_a_clear_error(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("default_profile = [unclosed")
    code, _, err = run_cli(capsys, "list", "--cached")
    assert code == 2 and str(path) in err and "not valid TOML" in err and "Traceback" not in err


def test_unknown_profile(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "list", "--profile", "nope")
    assert code == 2 and "no profile named 'nope'" in err and "batchdeck profile add nope" in err


def test_bad_profile_name_and_url(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "profile", "add", "has space")[0] == 2
    code, _, err = run_cli(capsys, "profile", "add", "x", "--base-url", "api.example.com")
    assert code == 2 and "must start with http://" in err


def test_profile_remove_keeps_default(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "profile", "add", "tmp", "--default")
    assert toml_file.load().default_profile == "tmp"
    assert run_cli(capsys, "profile", "remove", "tmp")[0] == 0
    assert toml_file.load().default_profile == "default"
    assert run_cli(capsys, "profile", "remove", "tmp")[0] == 2


def test_api_key_env_must_be_a_variable_name(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "profile", "add", "w", "--api-key-env", "sk-ant-api03-abcdef")
    assert code == 2 and "looks like an API key" in err and "sk-ant-api03" not in err
    assert not paths.config_file().exists()
    code, _, err = run_cli(capsys, "config", "set", "profiles.default.api_key_env", "not a name")
    assert code == 2 and "must name an environment variable" in err


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[sync]\nmax_retries = "three"\n', "bad value for sync.max_retries"),
        ("[sync]\nmax_retries = -3\n", "bad value for sync.max_retries"),
        ("[sync]\ntimeout = -1\n", "bad value for sync.timeout"),
    ],
)
def test_hand_edited_settings_are_checked(
    home: Path, capsys: pytest.CaptureFixture[str], toml: str, message: str
) -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(toml)
    code, _, err = run_cli(capsys, "list", "--cached")
    assert code == 2 and message in err and "internal error" not in err


def test_profile_option_on_config_commands(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "config", "show", "--profile", "default")[0] == 0
    assert run_cli(capsys, "profile", "list", "--profile", "default")[0] == 0


def test_settings_per_profile_override_the_global_ones(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "profile", "add", "work", "--api-key-env", "WORK_KEY")[0] == 0
    assert run_cli(capsys, "config", "set", "hooks.on_end", "echo global")[0] == 0
    assert run_cli(capsys, "config", "set", "profiles.work.hooks.on_end", "echo work")[0] == 0
    assert run_cli(capsys, "config", "set", "profiles.work.hooks.webhook", "https://hooks.example.com/w")[0] == 0
    loaded = toml_file.load()
    glob, default, work = loaded.settings_for(), loaded.settings_for("default"), loaded.settings_for("work")
    assert glob.hooks.on_end == "echo global" and default.hooks.on_end == "echo global"
    assert work.hooks.on_end == "echo work"
    assert work.hooks.webhook == "https://hooks.example.com/w" and glob.hooks.webhook == ""
    text = paths.config_file().read_text()
    assert "[profiles.work.hooks]" in text and 'on_end = "echo work"' in text
    from batchdeck.core.watch.batch_end import EndActions

    assert EndActions.from_settings(loaded.settings_for("work").hooks).on_end == "echo work"
    assert EndActions.from_settings(loaded.settings_for("default").hooks).on_end == "echo global"
    code, _, err = run_cli(capsys, "config", "set", "profiles.work.hooks.webhook", "ftp://x")
    assert code == 2 and "http" in err
    code, _, err = run_cli(capsys, "config", "set", "profiles.work.hooks.nope", "1")
    assert code == 2 and "unknown setting 'hooks.nope'" in err
    code, _, err = run_cli(capsys, "config", "set", "profiles.ghost.hooks.on_end", "x")
    assert code == 2 and "no profile named 'ghost'" in err
    paths.config_file().write_text(text + '\n[profiles.work.notify]\nbell = "maybe"\n')
    code, _, err = run_cli(capsys, "list", "--cached")
    assert code == 2 and "bad value for notify.bell in [profiles.work.notify]" in err
    code, out, err = run_cli(capsys, "config", "show")  # shows the file, to help fix it
    assert code == 0 and 'bell = "maybe"' in out and "bad value for notify.bell in [profiles.work.notify]" in err
