"""The command line as a user meets it: help, the emulator command, and its errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import anthropic
import pytest

from tests.emulator_process import EmulatorProcess

ROOT = Path(__file__).resolve().parents[1]


def batchdeck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "batchdeck", *args], capture_output=True, text=True, timeout=60)


def test_top_level_help_lists_commands() -> None:
    result = batchdeck("--help")
    assert result.returncode == 0
    assert "emulator" in result.stdout and "Message Batches" in result.stdout


def test_no_command_without_a_terminal_points_to_the_commands() -> None:
    """`batchdeck` alone opens the TUI; from a script (no terminal) it says what to do instead."""
    result = batchdeck()
    assert result.returncode == 2 and "the TUI needs a terminal" in result.stderr and "Traceback" not in result.stderr


def test_demo_without_a_terminal() -> None:
    result = batchdeck("demo")
    assert result.returncode == 2 and "the TUI needs a terminal" in result.stderr


def test_emulator_help_explains_the_options() -> None:
    result = batchdeck("emulator", "--help")
    assert result.returncode == 0
    for option in ("--speed", "--scenario", "--faults", "--api-key", "--state", "ANTHROPIC_BASE_URL"):
        assert option in result.stdout


def test_version() -> None:
    result = batchdeck("--version")
    assert result.returncode == 0 and result.stdout.startswith("batchdeck ")


@pytest.mark.slow
def test_emulator_serves_logs_and_stops_cleanly_on_ctrl_c() -> None:
    with EmulatorProcess("--scenario", "demo", "--seed", "4") as emu:
        assert any("export ANTHROPIC_BASE_URL=" + emu.base_url in line for line in emu.banner)
        assert emu.base_url.startswith("http://127.0.0.1:")
        client = anthropic.Anthropic(base_url=emu.base_url, api_key="whatever")
        assert len(list(client.messages.batches.list(limit=1000))) > 50
        code, _, err = emu.interrupt()
    assert code == 0
    assert "GET /v1/messages/batches?limit=1000 -> 200" in err
    assert "emulator stopped" in err and "Traceback" not in err


def test_api_key_flag_restricts_access() -> None:
    with EmulatorProcess("--api-key", "let-me-in", "--quiet") as emu:
        with pytest.raises(anthropic.AuthenticationError):
            anthropic.Anthropic(base_url=emu.base_url, api_key="wrong", max_retries=0).messages.batches.list()
        assert list(anthropic.Anthropic(base_url=emu.base_url, api_key="let-me-in").messages.batches.list()) == []
        _, _, err = emu.interrupt()
    assert "let-me-in" not in err and "wrong" not in err


def test_busy_port_is_a_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = batchdeck("emulator", "--port", str(port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port 0" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--faults", "429=lots"], "fault '429' needs a number"),
        (["--speed", "-1"], "--speed must be 0 or more"),
        (["--error-rate", "2"], "error_rate must be between 0 and 1"),
        (["--scenario", "mars"], "unknown scenario 'mars'"),
        (["--api-key", "=wrkspc_x"], "has an empty key"),
    ],
)
def test_bad_arguments_are_named(args: list[str], message: str) -> None:
    result = batchdeck("emulator", "--port", "0", *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_documentation_script_runs_unchanged_against_the_emulator() -> None:
    """Anthropic's documented flow (create, poll, results, cancel, delete, list) against `batchdeck emulator`."""
    with EmulatorProcess("--speed", "3000", "--quiet") as emu:
        env = {**os.environ, "ANTHROPIC_BASE_URL": emu.base_url, "ANTHROPIC_API_KEY": "doc-key", "POLL_SECONDS": "0.05"}
        result = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "batches_quickstart.py")],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Success! my-first-request" in out and "Success! my-second-request" in out
    assert "canceling msgbatch_" in out and "(message_batch_deleted)" in out
    assert out.count(" ended created ") == 1  # the listing shows the first batch; the deleted one is gone


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "99999"], "port must be between 0 and 65535"),
        (["--speed", "nan"], "--speed must be 0 or more"),
    ],
)
def test_more_bad_emulator_arguments(args: list[str], message: str) -> None:
    result = batchdeck("emulator", *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_state_path_that_is_a_file(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    result = batchdeck("emulator", "--port", "0", "--state", str(not_a_dir))
    assert result.returncode == 2
    assert f"cannot use {not_a_dir} as the emulator's state directory" in result.stderr
    assert "cannot listen" not in result.stderr
