"""A month of spend to report on, made through the real emulator: several models, labels, a job, a
batch whose results were never saved (cost unknown), and a price override in config."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import anthropic
import pytest

from batchdeck.core.config import paths
from batchdeck.core.results.download import download
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from tests.conftest import request
from tests.core.conftest import run_cli

DAY = 86400.0
HAIKU_INPUT_OVERRIDE = 2.0  # USD per MTok, against 1.0 in the built-in table
SONNET = "claude-sonnet-4-5"
OPUS = "claude-opus-4-5"
NOPE = "claude-nope"  # no such model: the request errors


@dataclass(frozen=True)
class Month:
    mixed: str  # haiku and sonnet (and one errored request), label "nightly"
    opus: str  # opus only, a label with an escape character in it
    failed: str  # every request errored: a known cost of $0, no model
    job: str  # sent by `batchdeck submit --name triage`
    unsaved: str  # ended, results never downloaded
    live: str  # still in progress, sent by batchdeck (has an estimate)


def write_price_override() -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'[prices."claude-haiku-4-5"]\ninput = {HAIKU_INPUT_OVERRIDE}\n')


def make_month(emulator: Emulator, client: anthropic.Anthropic, capsys: pytest.CaptureFixture[str], tmp: Path) -> Month:
    """Batches ending on different days (the emulator starts 2026-11-01 12:00 UTC), downloaded but one."""
    write_price_override()
    mixed = client.messages.batches.create(
        requests=[request(f"m{i}") for i in range(3)]
        + [request("m-sonnet", model=SONNET), request("m-bad", model=NOPE)]
    ).id
    emulator.advance(DAY)
    opus = client.messages.batches.create(requests=[request(f"o{i}", model=OPUS) for i in range(2)]).id
    failed = client.messages.batches.create(requests=[request("f0", model=NOPE)]).id
    emulator.advance(DAY)
    job_file = tmp / "triage.jsonl"
    job_file.write_text("".join(json.dumps(request(f"t{i}")) + "\n" for i in range(5)))
    code, _, err = run_cli(capsys, "submit", str(job_file), "--name", "triage", "--yes")
    assert code == 0, err
    job = _only_new(client, {mixed, opus, failed})
    emulator.advance(DAY)
    unsaved = client.messages.batches.create(requests=[request("u0"), request("u1")]).id
    emulator.advance(DAY)
    job_file2 = tmp / "later.jsonl"
    job_file2.write_text("".join(json.dumps(request(f"l{i}", max_tokens=1000)) + "\n" for i in range(4)))
    code, _, err = run_cli(capsys, "submit", str(job_file2), "--name", "later", "--yes")
    assert code == 0, err
    live = _only_new(client, {mixed, opus, failed, job, unsaved})
    with Workspace.open() as ws:
        ws.syncer().sync()
        ws.batches.set_meta(mixed, ws.now(), label="nightly")
        ws.batches.set_meta(opus, ws.now(), label="ad\x1b[2Jhoc")
        for batch_id in (mixed, opus, failed, job):
            download(ws, batch_id)
    return Month(mixed, opus, failed, job, unsaved, live)


def _only_new(client: anthropic.Anthropic, known: set[str]) -> str:
    (new,) = [b.id for b in client.messages.batches.list(limit=100) if b.id not in known]
    return new
