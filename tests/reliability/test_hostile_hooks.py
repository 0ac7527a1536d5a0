"""Hooks against hostile values and receivers, and `watch` against stop signals (issue 12, items 7, 14, 15).

A webhook URL's path and query are its credential: no error shows more than scheme and host. A
receiver that answers with an endless body costs a few KB, a URL that does not parse is refused
where it enters, and no hook failure ends `watch` or goes unseen in the TUI. SIGTERM stops `watch`
as Ctrl-C does: the "interrupted" line, and the running on-end command's process group stopped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anthropic
import pytest

from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.config import paths
from batchdeck.core.watch.hooks import run_on_end
from batchdeck.core.watch.loop import Watch
from batchdeck.core.watch.outcome import HookOutcome
from batchdeck.core.watch.webhook import post_webhook
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from batchdeck.tui.app import BatchdeckApp
from tests.conftest import START, request
from tests.core.conftest import run_cli, seed
from tests.http_server import QuietHandler, serving
from tests.peak_rss import run_batchdeck
from tests.ui.conftest import make_session, polled, press_and_poll, screen_text, wait_for

TOKEN = "T0KEN-5ecret-9f2c"  # what a Slack or Discord webhook carries in its path or query
BODY_CAP = 256 * 2**20  # the hostile receiver stops here only to spare the test machine from today's code
RSS_LIMIT = 160 * 2**20  # a watch that read the body would pass this long before the receiver stops
CHUNK = b"x" * 65536


def ended(client: anthropic.Anthropic, emulator: Emulator) -> str:
    """A batch that has already ended when the watch starts (its end actions run on the first poll)."""
    batch_id = client.messages.batches.create(requests=[request("a"), request("b")]).id
    emulator.advance(86400)
    return batch_id


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


# -- item 7: the webhook is shown by scheme and host only -----------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        f"ftp://hooks.example.com/services/{TOKEN}",
        f"https://hooks.example.com/services/x?token={TOKEN} extra",
        f"https://bot:{TOKEN}@hooks.example.com/x y",
        f"http://[::1:bad/hook/{TOKEN}",
        f"https://hooks.example.com:99999/{TOKEN}",
    ],
)
def test_a_bad_webhook_is_refused_in_one_line_that_shows_only_its_host(
    home: Path, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "config", "set", "hooks.webhook", value)
    assert code == 2 and "hooks.webhook" in one_line(err) and TOKEN not in err
    code, _, err = run_cli(capsys, "watch", "--webhook", value, "abc")
    assert code == 2 and "--webhook" in one_line(err) and TOKEN not in err
    assert "hooks.example.com" in err or "[::1:bad" in err  # the host says which URL it is


@pytest.mark.parametrize("value", [f"ftp://hooks.example.com/services/{TOKEN}", f"http://[::1:bad/hook/{TOKEN}"])
def test_a_bad_webhook_already_in_config_toml_is_one_line_at_run_time(
    home: Path, value: str, client: anthropic.Anthropic, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    config = paths.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[hooks]\nwebhook = "{value}"\n')
    code, out, err = run_cli(capsys, "watch", ended(client, emulator), "--interval", "1")
    assert code == 2 and "bad value for hooks.webhook" in one_line(err) and TOKEN not in err + out
    assert "internal error" not in err


def test_a_webhook_that_cannot_be_sent_is_a_problem_never_a_crash() -> None:
    outcome = post_webhook(f"http://[::1:bad/hook/{TOKEN}", {"id": "x"}, timeout=1, attempts=2, backoff=0)
    assert not outcome.ok and "webhook http://[::1:bad not sent: InvalidURL" in outcome.message
    assert TOKEN not in outcome.message
    outcome = post_webhook(f"http://127.0.0.1:1/{TOKEN}?sig={TOKEN}", {"id": "x"}, timeout=1, attempts=1)
    assert not outcome.ok and outcome.message.startswith("webhook http://127.0.0.1:1 failed after 1 attempt: ")
    assert TOKEN not in outcome.message


def test_an_on_end_commands_output_reaches_no_terminal_raw(tmp_path: Path) -> None:
    outcome = run_on_end(r"printf 'model says \033]52;c;cHduZWQ=\007 \033[2J'; exit 4", dict(os.environ), 10, [])
    assert outcome.message == "on-end command exited with code 4: model says ␛]52;c;cHduZWQ=␇ ␛[2J"


# -- item 14: a few KB of the answer, and no hook failure ends the watch -------------------------------------
@contextmanager
def endless_receiver() -> Iterator[tuple[str, list[int]]]:
    """Answers every POST with 200 and a body that does not end (up to BODY_CAP); yields (url, bytes sent)."""
    sent = [0]

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(200)
            self.send_header("content-length", str(100 * 2**30))
            self.end_headers()
            try:
                while sent[0] < BODY_CAP:
                    self.wfile.write(CHUNK)
                    sent[0] += len(CHUNK)
            except OSError:  # the client hung up: what a sane client does
                pass

    with serving(Handler) as server:
        yield f"{server.base_url}/hook/{TOKEN}", sent


@pytest.mark.slow
def test_an_endless_webhook_answer_costs_a_few_kb(home: Path, client: anthropic.Anthropic, emulator: Emulator) -> None:
    batch_id = ended(client, emulator)
    with endless_receiver() as (url, sent):
        started = time.monotonic()
        run = run_batchdeck("watch", batch_id, "--webhook", url)
        seconds = time.monotonic() - started
    peak = run.peak_bytes
    figures = (
        f"endless webhook answer: watch peak RSS {peak / 2**20:.0f} MB, {sent[0] / 2**20:.1f} MB sent "
        f"before it hung up, {seconds:.1f}s"
    )
    print(figures)
    assert peak < RSS_LIMIT and sent[0] < BODY_CAP, figures
    assert run.code == 0, run.stderr
    assert f"webhook {url.split('/hook')[0]} answered HTTP 200" in run.stdout and TOKEN not in run.stdout + run.stderr


def test_no_hook_failure_ends_the_watch(ws: Workspace, client: anthropic.Anthropic, emulator: Emulator) -> None:
    first, second = ended(client, emulator), ended(client, emulator)
    seen: list[str] = []

    def on_end(batch: CachedBatch) -> list[HookOutcome]:
        seen.append(batch.id)
        if len(seen) == 1:
            raise RuntimeError("a step nobody foresaw broke")
        return [HookOutcome("on_end", True, "on-end command ran (exit 0)")]

    watch = Watch(ws, [first, second], interval=1, sleep=emulator.advance, on_end=on_end)
    events = list(watch.events())
    actions = [e for e in events if e.kind == "action"]
    assert seen == [first, second] and events[-1].kind == "done"
    assert [a.extra["ok"] for a in actions] == [False, True]
    assert actions[0].message == (
        f"end-of-batch actions for {first} failed: internal error (RuntimeError: a step nobody foresaw broke)"
    )


@pytest.mark.anyio
async def test_the_tui_shows_hook_failures(tmp_path: Path) -> None:
    with Emulator(speed=0, start_time=START, scenario="empty") as emu:
        seed(emu, 1, size=3)
        session = make_session(emu, tmp_path)
        # A value a config file can no longer hold, as an older batchdeck accepted it: the TUI must cope
        session.settings = session.settings.with_values(
            {"hooks.on_end": "exit 3", "hooks.webhook": f"http://[::1:bad/h/{TOKEN}"}
        )
        app = BatchdeckApp(session, readonly=True)
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await polled(pilot)
            emu.advance(86400)
            await press_and_poll(pilot, "r")
            await wait_for(pilot, lambda: "hook failed" in screen_text(app))
            screen = screen_text(app)
    assert "End-of-batch hook failed" in screen and "on-end command exited with code 3" in screen
    assert "webhook not sent" in screen and "'http://[::1:bad'" in screen and TOKEN not in screen
    assert "Something went wrong" not in screen


# -- item 15: SIGTERM stops watch as Ctrl-C does ------------------------------------------------------------
def live_members(group: int) -> list[int]:
    """Processes of process group `group` that still run (zombies waiting for a reaper do not count)."""
    members = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(entry.name))
    return members


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_sigterm_prints_interrupted_and_stops_the_on_end_group(
    home: Path, client: anthropic.Anthropic, emulator: Emulator, tmp_path: Path
) -> None:
    batch_id = ended(client, emulator)
    pid_file = tmp_path / "hook.pid"
    hook = f"echo $$ > {pid_file}.tmp && mv {pid_file}.tmp {pid_file}; sleep 120; echo never"
    proc = subprocess.Popen(
        [sys.executable, "-m", "batchdeck", "watch", batch_id, "--on-end", hook],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists():  # the hook says it runs (a shell leading its own process group)
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.02)
        group = int(pid_file.read_text())
        assert live_members(group)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 143, err
    assert out.splitlines()[-1].endswith("interrupted; 0 watched batches still live") and err == ""
    assert live_members(group) == []


def test_stop_signals_respect_nohup_and_act_once() -> None:
    """A SIGHUP the parent ignores (nohup) stays ignored; the first SIGTERM acts, a second one during the
    cleanup does not; the previous handlers come back."""
    from batchdeck.core.stop_signals import Stopped, on_stop_signals, raise_stopped  # new with this rule

    before, term = signal.signal(signal.SIGHUP, signal.SIG_IGN), signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(Stopped) as stop, on_stop_signals(raise_stopped):
            os.kill(os.getpid(), signal.SIGHUP)  # delivered to this thread before kill() returns: ignored
            try:
                os.kill(os.getpid(), signal.SIGTERM)
            finally:
                os.kill(os.getpid(), signal.SIGTERM)  # the cleanup is not interrupted
        assert stop.value.exit_code == 143
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is term
    finally:
        signal.signal(signal.SIGHUP, before)
