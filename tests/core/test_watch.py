"""`batchdeck watch` against the emulator: time moves only when the watch sleeps (the hook advances
the emulator's virtual clock), so a night of polling takes a fraction of a second."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import anthropic
import pytest

from batchdeck.commands import watch_cmd
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator, FaultConfig
from tests.conftest import request
from tests.core.conftest import SECRET, run_cli
from tests.core.hook_server import webhook_server
from tests.core.test_hooks import read_env, set_config
from tests.emulator_process import EmulatorProcess

DAY = 86400.0
BATCH_NUMBERS = itertools.count(1)


class Sleeper:
    """The watch's sleep: records each delay and moves the emulator's clock by it (plus `then` hooks)."""

    def __init__(self, emulator: Emulator, then: Callable[[int], None] | None = None) -> None:
        self.emulator = emulator
        self.delays: list[float] = []
        self.then = then

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.emulator.advance(seconds)
        if self.then:
            self.then(len(self.delays))


@pytest.fixture
def sleeper(home: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Sleeper:
    sleeper = Sleeper(emulator)
    monkeypatch.setattr(watch_cmd, "SLEEP", sleeper)
    monkeypatch.setattr(watch_cmd, "CLOCK", emulator.clock.now_dt)
    return sleeper


def create(
    client: anthropic.Anthropic, emulator: Emulator, n: int = 2, *, error_rate: float = 0.0, expire_rate: float = 0.0
) -> str:
    emulator.set_rates(error_rate=error_rate, expire_rate=expire_rate)
    tag = next(BATCH_NUMBERS)  # fresh custom_ids: the emulator lets a resubmitted custom_id succeed
    batch_id = client.messages.batches.create(requests=[request(f"b{tag}-r{i}") for i in range(n)]).id
    emulator.set_rates(error_rate=0.0, expire_rate=0.0)
    return batch_id


def events(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_watch_until_ended_prints_changes_and_exits_0(
    sleeper: Sleeper, client: anthropic.Anthropic, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = create(client, emulator), create(client, emulator, 3)
    emulator.stats.reset()
    code, out, err = run_cli(capsys, "watch", a, b.removeprefix("msgbatch_"), "--interval", "20")
    lines = out.splitlines()
    assert code == 0 and err == ""
    assert "watching 2 batches of profile 'default', polling every 20s until all have ended" in lines[0]
    assert f"batch {a}: in progress, 2 requests, running 0s, expires in 24h 00m" in lines[1]
    assert f"batch {b}: in progress, 3 requests" in lines[2]
    assert sorted(line.split("  ", 1)[1] for line in lines[3:5]) == sorted(
        [f"batch {a} ended: 2 succeeded", f"batch {b} ended: 3 succeeded"]
    )
    assert "done: 2 watched batches ended, 2 without failed rows, 0 with failed rows or gone" in lines[-1]
    assert len(lines) == 6 and set(sleeper.delays) == {20.0}
    # few ids: one retrieve per live watched batch per poll (and one sync to resolve the uncached part of an id)
    assert emulator.stats.calls("retrieve") <= 2 * (len(sleeper.delays) + 1) and emulator.stats.calls("list") == 2
    with Workspace.open() as ws:  # the cache saw it all (a TUI open meanwhile would too)
        assert {ws.batches.get(i).processing_status for i in (a, b)} == {"ended"}  # type: ignore[union-attr]


def test_failed_rows_exit_3_and_json_lines_parse(
    sleeper: Sleeper, client: anthropic.Anthropic, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = create(client, emulator), create(client, emulator, 6, error_rate=0.5)
    code, out, _ = run_cli(capsys, "watch", good, bad, "--json", "--interval", "15")
    docs = events(out)
    assert code == 3
    assert [d["event"] for d in docs] == ["start", "watching", "watching", "ended", "ended", "done"]
    assert all(set(d) >= {"event", "at", "message"} for d in docs)
    ended = {d["batch"]["id"]: d["batch"] for d in docs if d["event"] == "ended"}
    assert ended[good]["status"] == "ended" and ended[bad]["request_counts"]["errored"] > 0
    assert docs[-1]["exit_code"] == 3 and docs[-1]["failed"] == [bad] and docs[-1]["still_live"] == []


def test_until_any_ended_stops_at_the_first(
    sleeper: Sleeper, client: anthropic.Anthropic, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    quick, slow = create(client, emulator), create(client, emulator, expire_rate=1.0)  # runs its full 24 h
    code, out, _ = run_cli(capsys, "watch", quick, slow, "--until", "any-ended", "--json", "--interval", "30")
    done = events(out)[-1]
    assert code == 0 and done["ended"] == [quick] and done["still_live"] == [slow]
    assert sum(sleeper.delays) < 3600


def test_no_ids_watches_every_live_batch_and_says_so(
    sleeper: Sleeper, client: anthropic.Anthropic, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    old = create(client, emulator)
    emulator.advance(DAY)
    live = [create(client, emulator, 1), create(client, emulator, 2, error_rate=1.0)]
    code, out, err = run_cli(capsys, "watch", "--json", "--interval", "10")
    docs = events(out)
    assert "no batch ids given: watching every live batch" in err
    assert docs[0]["event"] == "start" and sorted(docs[0]["ids"]) == sorted(live) and old not in docs[0]["ids"]
    assert code == 3 and docs[-1]["failed"] == [live[1]]
    code, out, err = run_cli(capsys, "watch", "--all-live")
    assert code == 0 and err == "" and "no live batches in profile 'default': nothing to watch" in out


def test_many_ids_poll_with_one_sync(
    sleeper: Sleeper, client: anthropic.Anthropic, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = [create(client, emulator, 1 + i % 3) for i in range(6)]
    emulator.stats.reset()
    code, out, _ = run_cli(capsys, "watch", *ids, "--json", "--interval", "10")
    assert code == 0 and sorted(events(out)[-1]["ended"]) == sorted(ids)
    polls = len(sleeper.delays) + 1
    # the first poll checks each id; later ones list once while more than 3 are live, then retrieve those left
    assert emulator.stats.calls("retrieve") <= 6 + 3 * (polls - 1) < 6 * polls
    assert 2 < emulator.stats.calls("list") <= 2 + polls  # 2: the sync that found the ids


def test_outage_reported_once_and_recovery_once(
    sleeper: Sleeper, client: anthropic.Anthropic, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    set_config(sync__max_retries="0")
    batch_id = create(client, emulator)

    def network(n: int) -> None:  # the network drops after the first poll and comes back after the fifth
        emulator.faults.set(rate_drop=1.0 if 1 <= n < 5 else 0.0)

    sleeper.then = network
    code, out, _ = run_cli(capsys, "watch", batch_id, "--interval", "5")
    lines = out.splitlines()
    assert code == 0
    errors = [x for x in lines if "cannot poll" in x]
    recovered = [x for x in lines if "the API answers again" in x]
    assert len(errors) == 1 and "retrying with backoff" in errors[0]
    assert len(recovered) == 1 and "after 4 failed polls" in recovered[0]
    assert sleeper.delays[:5] == [5.0, 10.0, 20.0, 40.0, 80.0]  # backing off, then the normal interval again
    assert set(sleeper.delays[5:]) <= {5.0}
    assert lines[-1].endswith("done: 1 watched batch ended, 1 without failed rows, 0 with failed rows or gone")


def test_retry_after_is_honoured(
    sleeper: Sleeper, client: anthropic.Anthropic, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    set_config(sync__max_retries="0")
    batch_id = create(client, emulator)
    emulator.faults.configure(FaultConfig(retry_after=600))
    emulator.faults.queue("429", endpoint="retrieve")
    code, out, _ = run_cli(capsys, "watch", batch_id, "--interval", "5", "--json")
    assert code == 0 and sleeper.delays[0] == 600.0
    assert [d["event"] for d in events(out)][:2] == ["error", "recovered"]


def test_watch_under_random_faults_ends_with_the_right_states(
    sleeper: Sleeper, client: anthropic.Anthropic, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    set_config(sync__max_retries="0")  # every injected fault reaches the watch
    ids = [create(client, emulator, 2, error_rate=0.3 * (i % 2)) for i in range(5)]
    emulator.faults.configure(FaultConfig(rate_429=0.15, rate_500=0.15, rate_drop=0.1, retry_after=1, seed=7))
    code, out, _ = run_cli(capsys, "watch", *ids, "--json", "--interval", "10")
    docs = events(out)
    emulator.faults.configure(FaultConfig())
    kinds = [d["event"] for d in docs]
    assert kinds.count("error") >= 1 and kinds.count("error") == kinds.count("recovered")
    outages = [k for k in kinds if k in ("error", "recovered")]
    assert outages == ["error", "recovered"] * (len(outages) // 2)  # each outage said once, each recovery once
    truth = {i: client.messages.batches.retrieve(i) for i in ids}
    ended = {d["batch"]["id"]: d["batch"]["request_counts"] for d in docs if d["event"] == "ended"}
    assert ended == {i: {k: getattr(b.request_counts, k) for k in ended[i]} for i, b in truth.items()}
    assert code == (3 if any(b.request_counts.errored for b in truth.values()) else 0)


def test_end_actions_from_flags_and_config(
    sleeper: Sleeper,
    client: anthropic.Anthropic,
    emulator: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    batch_id = create(client, emulator, 4)
    out_env = tmp_path / "env.txt"
    set_config(hooks__on_end=f"env > {out_env}", hooks__timeout="10")
    with webhook_server(200) as (url, got):
        code, out, _ = run_cli(
            capsys,
            "watch",
            batch_id,
            "--download",
            "--export-dir",
            str(tmp_path / "x"),
            "--export-format",
            "text",
            "--webhook",
            url,
            "--interval",
            "30",
        )
    assert code == 0
    env = read_env(out_env)
    assert env["BATCHDECK_BATCH_ID"] == batch_id and SECRET not in out_env.read_text()
    assert Path(env["BATCHDECK_RESULTS_PATH"]).exists()
    assert Path(env["BATCHDECK_EXPORT_PATH"]) == tmp_path / "x" / f"{batch_id}.text.jsonl"
    assert got.json()["results_path"] == env["BATCHDECK_RESULTS_PATH"] and got.json()["total"] == 4
    assert "4 results of" in out and "exported 4 results" in out and "on-end command ran" in out
    # --no-hooks ignores the configured command; a failing flag command is reported, never fatal
    out_env.unlink()
    again = create(client, emulator)
    code, out, _ = run_cli(capsys, "watch", again, "--no-hooks", "--on-end", "exit 9", "--interval", "30")
    assert code == 0 and not out_env.exists() and "problem: on-end command exited with code 9" in out


def test_ctrl_c_exits_130_cleanly(
    sleeper: Sleeper, client: anthropic.Anthropic, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    batch_id = create(client, emulator, expire_rate=1.0)

    def interrupt(n: int) -> None:
        if n == 2:
            raise KeyboardInterrupt

    sleeper.then = interrupt
    code, out, err = run_cli(capsys, "watch", batch_id, "--json")
    assert code == 130 and err == ""
    assert events(out)[-1] == {**events(out)[-1], "event": "interrupted", "still_live": [batch_id]}


def test_usage_and_fatal_errors(
    sleeper: Sleeper,
    client: anthropic.Anthropic,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batch_id = create(client, emulator)
    assert run_cli(capsys, "watch", batch_id, "--all-live")[0] == 2
    code, _, err = run_cli(capsys, "watch", batch_id, "--interval", "0")
    assert code == 2 and "--interval must be a number of seconds above 0" in err
    code, _, err = run_cli(capsys, "watch", "msgbatch_doesnotexist")
    assert code == 1 and "no batch msgbatch_doesnotexist in profile 'default'" in err and err.count("\n") == 1
    with Emulator(speed=0, api_keys={"the-right-key": ""}) as locked:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", locked.base_url)
        code, _, err = run_cli(capsys, "watch", batch_id)
    assert code == 1 and "rejected the key" in err and SECRET not in err


@pytest.mark.slow
def test_watch_subprocess_against_a_fast_emulator(tmp_path: Path) -> None:
    with EmulatorProcess("--speed", "600", "--quiet") as emu:
        with anthropic.Anthropic(base_url=emu.base_url, api_key=SECRET) as c:
            batch_id = c.messages.batches.create(requests=[request("a"), request("b")]).id
        env = {
            **os.environ,
            "ANTHROPIC_BASE_URL": emu.base_url,
            "ANTHROPIC_API_KEY": SECRET,
            "XDG_CONFIG_HOME": str(tmp_path / "c"),
            "XDG_DATA_HOME": str(tmp_path / "d"),
        }
        started = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "batchdeck",
                "watch",
                batch_id,
                "--json",
                "--interval",
                "0.1",
                "--on-end",
                f"echo $BATCHDECK_SUMMARY > {tmp_path / 'summary'}",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    assert [d["event"] for d in events(done.stdout)][-3:] == ["ended", "action", "done"]
    assert (tmp_path / "summary").read_text() == "ended\n"
    assert time.monotonic() - started < 30
