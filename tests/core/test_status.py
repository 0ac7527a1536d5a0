"""`batchdeck status`: the one-screen summary, from a real cache synced from the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import anthropic
import pytest

from batchdeck.commands import status_cmd
from batchdeck.core.results.download import download
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from tests.core.conftest import SECRET, run_cli
from tests.core.test_watch import create

DAY = 86400.0


@pytest.fixture
def scene(
    home: Path, emulator: Emulator, client: anthropic.Anthropic, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """Batches in every situation the summary names, with the summary's clock on the emulator's."""
    monkeypatch.setattr(status_cmd, "CLOCK", emulator.clock.now_dt)
    old_unsaved, old_saved = create(client, emulator), create(client, emulator)
    emulator.advance(25 * DAY)
    with Workspace.open(clock=emulator.clock.now_dt) as ws:
        ws.syncer().sync()
        download(ws, old_saved)
    yesterday_failed = create(client, emulator, 4, error_rate=1.0)
    emulator.advance(2 * DAY)  # ended more than 24 h ago: not recent; the old ones are archived in 2 days
    recent_failed = create(client, emulator, 5, error_rate=0.5)
    recent_ok = create(client, emulator)
    emulator.advance(3600)
    live = create(client, emulator, expire_rate=1.0)
    emulator.advance(600)
    return {
        "old_unsaved": old_unsaved,
        "old_saved": old_saved,
        "yesterday_failed": yesterday_failed,
        "recent_failed": recent_failed,
        "recent_ok": recent_ok,
        "live": live,
    }


def test_status_text(scene: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "status")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "batchdeck · profile default · last sync 0s ago"
    assert lines[1].startswith("spend · ") and "spent (no budget set" in lines[1]  # old_saved's results are saved
    assert lines[3:5] == ["live (1):", f"  {scene['live']}  in progress, 2 requests, running 10m, expires in 23h 50m"]
    assert "ended in the last 24 h with failed rows (1 of 2):" in lines
    assert any(x.startswith(f"  {scene['recent_failed']}  ended · ") and " ended 1h 0" in x for x in lines)
    assert scene["yesterday_failed"] not in out and scene["old_saved"] not in out
    assert f"  {scene['old_unsaved']}  archived in 46h 50m" in lines  # 29 days after creation
    assert SECRET not in out


def test_status_json_and_offline(scene: dict[str, str], emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "status")
    emulator.stats.reset()
    code, out, _ = run_cli(capsys, "status", "--json", "--offline")
    assert code == 0 and emulator.stats.calls() == 0
    doc = json.loads(out)
    assert set(doc) == {"profile", "now", "last_sync", "live", "ended_24h", "recent_failures", "archive_soon", "budget"}
    assert [b["id"] for b in doc["live"]] == [scene["live"]]
    assert doc["live"][0]["elapsed_seconds"] == 600 and doc["live"][0]["expires_in_seconds"] == DAY - 600
    assert doc["ended_24h"] == 2 and [b["id"] for b in doc["recent_failures"]] == [scene["recent_failed"]]
    assert [(b["id"], b["archived_in_seconds"]) for b in doc["archive_soon"]] == [(scene["old_unsaved"], 168600)]
    assert doc["last_sync"]["error"] is None and doc["last_sync"]["success_at"] == doc["now"]


def test_status_when_the_api_is_unreachable(
    scene: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli(capsys, "status")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    code, out, _ = run_cli(capsys, "status")
    assert code == 0
    assert out.splitlines()[0].startswith(
        "batchdeck · profile default · last sync 0s ago; the last attempt (0s ago) "
        "failed: cannot list batches: cannot reach http://127.0.0.1:9"
    )
    assert "live (1):" in out
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    code, out, err = run_cli(capsys, "status")
    assert code == 0 and "showing cached data: no API key" in err and "live (1):" in out


def test_status_of_an_empty_profile(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "status", "--offline")
    assert code == 0 and out.splitlines() == [
        "batchdeck · profile default · never synced",
        "nothing live",
        "ended in the last 24 h: 0, none with failed rows",
    ]
