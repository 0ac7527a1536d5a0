"""The command-line verbs over a real cache and the emulator: output, JSON, exit codes, errors."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import anthropic
import pytest

from batchdeck.emulator import Emulator, Rates
from tests.conftest import request
from tests.core.conftest import SECRET, run_cli, seed

DAY = 86400.0
JSON_KEYS = {
    "id",
    "profile",
    "processing_status",
    "status",
    "request_counts",
    "total",
    "created_at",
    "ended_at",
    "expires_at",
    "cancel_initiated_at",
    "archived_at",
    "results_url",
    "deleted",
    "deleted_at",
    "label",
    "note",
    "tags",
    "source_file",
    "created_by",
    "parent_batch_id",
    "first_seen_at",
    "refreshed_at",
    "results_saved",
    "cost_usd",
    "standard_cost_usd",
    "unpriced_rows",
}


def test_list_shows_partial_failures(home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    seed(emulator, 3, size=200, rates=Rates(error_rate=0.2))
    emulator.advance(DAY)
    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "REQUESTS", "CREATED", "DURATION", "LABEL"]
    assert len(lines) == 4 and all("ended · " in line and " errored" in line for line in lines[1:])


def test_list_json_is_stable(home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    ids = seed(emulator, 2)
    code, out, _ = run_cli(capsys, "list", "--json")
    data = json.loads(out)
    assert code == 0 and [d["id"] for d in data] == ids
    assert all(set(d) == JSON_KEYS for d in data)
    assert data[0]["request_counts"] == {"processing": 1, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}


def test_list_filters(
    home: Path, emulator: Emulator, client: anthropic.Anthropic, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(emulator, 4, size=50, rates=Rates(error_rate=1.0))
    emulator.advance(DAY)
    live = client.messages.batches.create(requests=[request("a")]).id
    statuses = {
        s: [d["id"] for d in json.loads(run_cli(capsys, "list", "--json", "--status", s)[1])]
        for s in ("live", "failed", "ended", "in_progress")
    }
    assert statuses["live"] == statuses["in_progress"] == [live]
    assert len(statuses["failed"]) == len(statuses["ended"]) == 4
    assert json.loads(run_cli(capsys, "list", "--json", "--limit", "2", "--cached")[1]).__len__() == 2
    code, _, err = run_cli(capsys, "list", "--status", "weird")
    assert code == 2 and "unknown status 'weird'" in err
    code, _, err = run_cli(capsys, "list", "--since", "yesterday-ish")
    assert code == 2 and "cannot read --since" in err


def test_since_filters_by_creation(home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    seed(emulator, 3)
    created = sorted(b.created_at for b in emulator.store.all_batches())
    from datetime import datetime

    middle = datetime.fromtimestamp(created[1], tz=UTC).isoformat()
    data = json.loads(run_cli(capsys, "list", "--json", "--since", middle)[1])
    assert len(data) == 2


def test_show_label_note(home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    ids = seed(emulator, 30, size=20)
    emulator.advance(DAY)
    run_cli(capsys, "sync")
    short = ids[3].removeprefix("msgbatch_")[:10]
    assert run_cli(capsys, "label", short, "nightly triage")[0] == 0
    assert run_cli(capsys, "note", ids[3], "first run with haiku")[0] == 0
    code, out, _ = run_cli(capsys, "show", short)
    assert code == 0 and ids[3] in out and "nightly triage" in out and "first run with haiku" in out
    shown = json.loads(run_cli(capsys, "show", ids[3], "--json")[1])
    assert shown["label"] == "nightly triage" and shown["note"] == "first run with haiku"
    assert shown["turnaround"] is None  # ended batches need no estimate
    listed = run_cli(capsys, "list", "--cached")[1]
    assert "nightly triage" in listed
    run_cli(capsys, "label", ids[3], "")
    assert json.loads(run_cli(capsys, "show", ids[3], "--json", "--cached")[1])["label"] is None


def test_show_live_batch_has_a_turnaround_estimate(
    home: Path, emulator: Emulator, client: anthropic.Anthropic, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(emulator, 10, size=30)
    emulator.advance(DAY)
    live = client.messages.batches.create(requests=[request(f"r{i}") for i in range(30)]).id
    run_cli(capsys, "sync")
    code, out, _ = run_cli(capsys, "show", live)
    assert code == 0 and "from 10 past batches" in out
    estimate = json.loads(run_cli(capsys, "show", live, "--json")[1])["turnaround"]
    assert estimate["based_on"] == 10 and 60 < estimate["typical_seconds"] < 300


def test_ambiguous_and_unknown_ids(home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    seed(emulator, 200)
    run_cli(capsys, "sync")
    code, _, err = run_cli(capsys, "show", "01")
    assert code == 2 and "matches several batches" in err
    code, _, err = run_cli(capsys, "show", "msgbatch_01nothingHere")
    assert code == 1 and "not found" in err and "Traceback" not in err


def test_cancel_and_delete(
    home: Path, emulator: Emulator, client: anthropic.Anthropic, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = client.messages.batches.create(requests=[request(f"r{i}") for i in range(10)]).id
    code, _, err = run_cli(capsys, "delete", batch, "--yes")
    assert code == 1 and "it is still running; cancel it first" in err  # refused before the API is asked
    code, _, err = run_cli(capsys, "cancel", batch)  # no terminal under pytest: refuses to guess
    assert code == 2 and "pass --yes" in err
    assert client.messages.batches.retrieve(batch).processing_status == "in_progress"
    code, out, _ = run_cli(capsys, "cancel", batch, "--yes")
    assert code == 0 and "canceling" in out
    emulator.advance(DAY)
    run_cli(capsys, "label", batch, "keep this note")
    code, out, _ = run_cli(capsys, "delete", batch, "-y")
    assert code == 0 and "deleted" in out
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve(batch)
    gone = json.loads(run_cli(capsys, "list", "--json", "--all", "--cached")[1])
    assert [(d["id"], d["deleted"], d["label"]) for d in gone] == [(batch, True, "keep this note")]


def test_auth_failure_is_one_clear_line(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Emulator(speed=0, api_keys={"the-right-key": ""}) as locked:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", locked.base_url)
        code, _, err = run_cli(capsys, "sync")
    assert code == 1
    assert err.count("\n") == 1 and "rejected the key of profile 'default' ($ANTHROPIC_API_KEY (set))" in err
    assert SECRET not in err and SECRET[-12:] not in err


def test_network_failure_is_one_clear_line_and_cache_still_shown(
    home: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(emulator, 2)
    run_cli(capsys, "sync")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    code, _, err = run_cli(capsys, "sync")
    assert code == 1 and "cannot reach http://127.0.0.1:9" in err and err.count("\n") == 1
    code, out, err = run_cli(capsys, "list")
    assert code == 0 and "showing cached data" in err and len(out.splitlines()) == 3


def test_missing_key(home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    code, _, err = run_cli(capsys, "sync")
    assert code == 1 and "no API key for profile 'default': set $ANTHROPIC_API_KEY" in err


def test_show_of_a_batch_deleted_elsewhere(
    home: Path, emulator: Emulator, client: anthropic.Anthropic, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = seed(emulator, 3)
    emulator.advance(DAY)
    run_cli(capsys, "sync")
    run_cli(capsys, "note", ids[1], "keep")
    client.messages.batches.delete(ids[1])
    code, out, err = run_cli(capsys, "show", ids[1], "--json")
    assert code == 0 and "no longer exists remotely" in err
    shown = json.loads(out)
    assert shown["deleted"] is True and shown["note"] == "keep"


def test_list_without_a_key_shows_the_cache(
    home: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(emulator, 2)
    run_cli(capsys, "sync")
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    code, out, err = run_cli(capsys, "list")
    assert code == 0 and "no API key" in err and len(out.splitlines()) == 3


def test_label_when_offline_is_an_operation_failure(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    code, _, err = run_cli(capsys, "label", "msgbatch_01unknown", "x")
    assert code == 1 and "cannot reach" in err


def test_unusable_base_url(home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://[::1")
    code, _, err = run_cli(capsys, "sync")
    assert code == 1 and "internal error" not in err and "http://[::1" in err


def test_show_finds_an_uncached_batch_by_id_without_its_prefix(
    home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    [batch_id] = seed(emulator, 1)  # not synced: the cache has never seen it
    code, out, err = run_cli(capsys, "show", batch_id.removeprefix("msgbatch_"), "--json")
    assert code == 0 and json.loads(out)["id"] == batch_id, err
