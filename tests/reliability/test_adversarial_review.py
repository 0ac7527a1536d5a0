"""An adversarial review after issue 12: what the CLI still let through (API clock, echoes of settings,
odd arguments). Real emulator or hostile fake over HTTP, real cache files, in-process CLI unless a pty
is needed."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from batchdeck.emulator import DEFAULT_WORKSPACE, Emulator, FaultConfig, Rates
from batchdeck.emulator.sources import SyntheticSource, SyntheticSpec
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
    return emulator.store.new_batch(SyntheticSource(SyntheticSpec("now", size)), DEFAULT_WORKSPACE, Rates(),
                                    created_at=emulator.clock.now()).id


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


@pytest.mark.parametrize("argv", [["list", "--cached"], ["status", "--offline"], ["show", "{id}", "--cached"]],
                         ids=["list --cached", "status --offline", "show --cached"])
def test_offline_commands_use_the_skew_measured_before(behind: Emulator, capsys: pytest.CaptureFixture[str],
                                                       argv: list[str]) -> None:
    batch_id = new_batch(behind)
    assert run_cli(capsys, "sync")[0] == 0
    code, out, err = run_cli(capsys, *[a.format(id=batch_id) for a in argv])
    assert code == 0, err
    assert batch_id in out
    assert "15h" not in out and "14h" not in out, out
    assert re.search(r"\b[0-9]s ago\b|running [0-9]s\b", out), out


def test_watch_ages_follow_the_api_clock(behind: Emulator, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from batchdeck.commands import watch_cmd

    monkeypatch.setattr(watch_cmd, "SLEEP", lambda seconds: behind.advance(3600))  # an hour per poll
    batch_id = new_batch(behind)
    code, out, err = run_cli(capsys, "watch", batch_id, "--interval", "1")
    assert code == 0, err
    first = next(line for line in out.splitlines() if batch_id in line)
    assert "running 0s" in first or "running 1s" in first, out
    assert "expires in 23h 59m" in first or "expires in 24h" in first, out


def test_a_date_header_years_off_is_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A server claiming the year 9999 neither breaks every later command (a datetime overflow) nor sets the clock."""
    with Emulator(speed=0, start_time=253402214400.0 - 86400, faults=FaultConfig(retry_after=0.01)) as emu:
        use_home(monkeypatch, tmp_path, emu)
        monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
        run_cli(capsys, "sync")
        code, out, err = run_cli(capsys, "status", "--offline")
    assert code == 0, err
    assert "internal error" not in err and "Traceback" not in err


# -- config set / show: a webhook's path is its credential; values are shown, never sent to the terminal --------
TOKEN = "T0K3N-9f8e7d6c"


@pytest.mark.parametrize("key", ["hooks.webhook", "profiles.default.hooks.webhook"])
def test_config_set_and_show_name_only_the_webhook_host(home: Path, capsys: pytest.CaptureFixture[str],
                                                        key: str) -> None:
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
