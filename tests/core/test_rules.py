"""The one rule for what may be done to a batch, and the CLI refusing with its reason before sending anything."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import anthropic
import pytest

from batchdeck.core.batches import rules
from batchdeck.core.batches.models import CachedBatch, RequestCounts
from batchdeck.emulator import Emulator
from tests.conftest import request
from tests.core.conftest import run_cli

DAY = 86400.0


def batch(status: str = "ended", **fields: object) -> CachedBatch:
    base = CachedBatch(
        profile="default",
        id=f"msgbatch_01{status}",
        processing_status=status,
        counts=RequestCounts(succeeded=8, errored=2),
        created_at="2026-11-01T00:00:00Z",
        expires_at="2026-11-02T00:00:00Z",
        ended_at=None,
        cancel_initiated_at=None,
        archived_at=None,
        results_url=None,
        first_seen_at="2026-11-01T00:00:00Z",
        refreshed_at="2026-11-01T00:00:00Z",
    )
    return replace(base, **fields)  # type: ignore[arg-type]


RUNNING, CANCELING, ENDED = batch("in_progress"), batch("canceling"), batch("ended")
DELETED = batch("ended", id="msgbatch_01gone", deleted_at="2026-11-03T00:00:00Z")
SAVED = batch("ended", id="msgbatch_01saved", results_status="complete")


def test_each_refusal_is_one_line_naming_the_batch_and_the_cause() -> None:
    assert rules.why_not("delete", RUNNING) == f"cannot delete {RUNNING.id}: it is still running; cancel it first"
    assert rules.why_not("delete", CANCELING) == (
        f"cannot delete {CANCELING.id}: it is still canceling; it can be deleted once it has ended"
    )
    assert rules.why_not("cancel", ENDED) == f"cannot cancel {ENDED.id}: it has already ended"
    assert rules.why_not("cancel", CANCELING) == f"cannot cancel {CANCELING.id}: it is already being canceled"
    assert rules.why_not("resubmit", RUNNING) == (
        f"cannot resubmit the failed rows of {RUNNING.id}: it is still running; its results exist once it ends"
    )
    assert "no local copy" in str(rules.why_not("resubmit", DELETED))
    assert rules.why_not("resubmit", replace(DELETED, results_status="complete")) is None  # the saved copy serves
    assert "no job" in str(rules.why_not("job", ENDED, in_job=False))
    assert rules.why_not("job", ENDED, in_job=True) is None
    for action in ("cancel", "delete", "resubmit", "label", "note"):
        assert rules.why_not(action, RUNNING, readonly=True) == (
            f"cannot {rules.PHRASES[action]} {RUNNING.id}: {rules.READONLY}"
        )
    for action in ("job", "export"):
        assert rules.why_not(action, ENDED, readonly=True) is None  # reading is not changing
    assert rules.why_not("delete", ENDED) is None and rules.why_not("cancel", RUNNING) is None
    assert all("\n" not in str(rules.why_not(a, b)) for a in rules.PHRASES for b in (RUNNING, CANCELING, DELETED))


def test_marked_batches_are_split_and_counted() -> None:
    chosen = rules.sort_out("delete", [RUNNING, ENDED, CANCELING, DELETED, SAVED])
    assert [b.id for b in chosen.allowed] == [ENDED.id, SAVED.id]
    assert chosen.skipped_line() == (
        "3 marked batches left alone: 1 still running (cancel first), 1 still canceling, 1 already deleted."
    )
    none = rules.sort_out("delete", [RUNNING, replace(RUNNING, id="msgbatch_01other")])
    assert not none.allowed
    assert none.refusal_line() == "cannot delete the 2 marked batches: it is still running; cancel it first"
    mixed = rules.sort_out("cancel", [ENDED, DELETED])
    assert mixed.refusal_line() == "cannot cancel the 2 marked batches: 1 already ended, 1 deleted"
    one = rules.sort_out("cancel", [ENDED])
    assert one.refusal_line() == f"cannot cancel {ENDED.id}: it has already ended"


def test_the_delete_consequence_says_whether_results_are_kept() -> None:
    assert "Its results are saved locally, so you keep them." in rules.consequence("delete", [SAVED])
    unsaved = rules.consequence("delete", [ENDED], "HINT")
    assert "not saved locally: they will be gone" in unsaved and unsaved.endswith("HINT")
    both = rules.consequence("delete", [SAVED, ENDED])
    assert "The results of 1 of them are saved locally; the results of the other 1 are not" in both


def test_cli_refuses_before_sending(
    home: Path, emulator: Emulator, client: anthropic.Anthropic, capsys: pytest.CaptureFixture[str]
) -> None:
    running = client.messages.batches.create(requests=[request(f"r{i}") for i in range(5)]).id
    run_cli(capsys, "sync")
    code, out, err = run_cli(capsys, "delete", running, "--yes")
    assert code == 1 and out == ""
    assert err == f"batchdeck: error: cannot delete {running}: it is still running; cancel it first\n"
    assert emulator.stats.calls("delete") == 0  # refused here, not by the API
    emulator.advance(DAY)  # it ends; the cache still says in progress, the rule reads the API's state
    code, out, err = run_cli(capsys, "cancel", running, "--yes")
    assert code == 1 and err == f"batchdeck: error: cannot cancel {running}: it has already ended\n"
    assert emulator.stats.calls("cancel") == 0
    other = client.messages.batches.create(requests=[request("x")]).id
    code, out, err = run_cli(capsys, "delete", running, other, "--yes")  # one can be deleted, one cannot
    assert code == 1 and out == f"{running}: deleted\n"
    assert err == f"batchdeck: error: cannot delete {other}: it is still running; cancel it first\n"
    assert emulator.stats.calls("delete") == 1
    code, _, err = run_cli(capsys, "delete", running, "--yes")  # gone remotely: said in the rule's words
    assert code == 1 and err == f"batchdeck: error: cannot delete {running}: it is already deleted\n"
