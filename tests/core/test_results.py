"""Downloaded results: kept byte for byte, indexed by custom_id, searched, exported, and safe when cut."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import anthropic
import httpx2
import pytest

from batchdeck.core.errors import ApiFailure, BatchdeckError
from batchdeck.core.results.download import download, ensure_downloaded, results_path
from batchdeck.core.results.export import export
from batchdeck.core.results.filter import ResultFilter
from batchdeck.core.results.ingest import IngestReport, LineIndexer
from batchdeck.core.spend.pricing import PriceBook, Usage
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from tests.conftest import API_KEY, request
from tests.core.conftest import run_cli

DAY = 86400.0
HEADERS = {"x-api-key": API_KEY, "anthropic-version": "2023-06-01"}


def mixed_batch(client: anthropic.Anthropic, emulator: Emulator, n: int = 300) -> str:
    """A batch with every outcome: succeeded, transient and validation errors, canceled."""
    emulator.set_rates(error_rate=0.2)
    requests = [request(f"ticket-{i:04d}") for i in range(n)]
    requests += [request("bad-model", model="claude-nope"), request("too-long", max_tokens=999_999)]
    batch = client.messages.batches.create(requests=requests)
    # cancel early enough that it lands before the natural end (cancel takes 45 s; batches of this size 81-189 s)
    emulator.advance(emulator.store.get(batch.id, emulator.store.all_batches()[0].workspace).duration * 0.2)
    client.messages.batches.cancel(batch.id)
    emulator.advance(DAY)
    return batch.id


def emulator_body(emulator: Emulator, batch_id: str) -> bytes:
    return httpx2.get(f"{emulator.base_url}/v1/messages/batches/{batch_id}/results", headers=HEADERS).content


def test_every_outcome_and_error_shape_is_indexed(
    ws: Workspace, emulator: Emulator, client: anthropic.Anthropic
) -> None:
    batch_id = mixed_batch(client, emulator)
    report = download(ws, batch_id)
    index = ws.results
    counts = client.messages.batches.retrieve(batch_id).request_counts
    assert index.outcome_counts(batch_id) == {k: v for k, v in counts.model_dump().items() if v and k != "processing"}
    assert report.rows == 302 and report.malformed == 0
    errors = {(r.error_type, r.error_message) for r in index.rows(batch_id, ResultFilter(("errored",)).where())}
    assert ("not_found_error", "model: claude-nope") in errors
    assert any(t == "invalid_request_error" and m.startswith("max_tokens: 999999 > ") for t, m in errors)
    assert {t for t, _ in errors} >= {"overloaded_error", "api_error"}
    ok = index.rows(batch_id, ResultFilter(("succeeded",)).where(), limit=1)[0]
    assert ok.model == "claude-haiku-4-5-20251001" and ok.stop_reason and ok.output_tokens > 0
    assert ok.cost_usd == pytest.approx(0.5 * (ok.input_tokens * 1 + ok.output_tokens * 5) / 1e6)
    canceled = index.rows(batch_id, ResultFilter(("canceled",)).where(), limit=1)[0]
    assert canceled.cost_usd is None and canceled.input_tokens == 0


def test_raw_copy_is_byte_for_byte(ws: Workspace, emulator: Emulator, client: anthropic.Anthropic) -> None:
    batch_id = mixed_batch(client, emulator, 200)
    download(ws, batch_id)
    path = results_path(ws, batch_id)
    assert path.read_bytes() == emulator_body(emulator, batch_id)
    assert stat_mode(path) == 0o600


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_search_by_custom_id_outcome_and_error(ws: Workspace, emulator: Emulator, client: anthropic.Anthropic) -> None:
    """The CLI's search, in the one filter language of `core.results.filter` (a plain word is a prefix)."""
    batch_id = mixed_batch(client, emulator)
    download(ws, batch_id)

    def ids(flt: ResultFilter) -> list[str]:
        return [r.custom_id for r in ws.results.rows(batch_id, flt.where())]

    assert ids(ResultFilter(search="ticket-0042")) == ["ticket-0042"]
    assert ids(ResultFilter(search="=ticket-0042")) == ["ticket-0042"]
    assert ids(ResultFilter(search="ticket-004")) == [f"ticket-004{i}" for i in range(10)]
    assert ids(ResultFilter(search="ticket-012*")) == [f"ticket-012{i}" for i in range(10)]
    assert len(ids(ResultFilter(search="ticket-00?0"))) == 10
    overloaded = ws.results.rows(batch_id, ResultFilter(("errored",), "overloaded_error").where())
    assert overloaded and all(r.error_type == "overloaded_error" for r in overloaded)
    assert ids(ResultFilter(search="nothing-like-this")) == []
    assert ids(ResultFilter(search="=ticket-004")) == []


def test_exports(ws: Workspace, emulator: Emulator, client: anthropic.Anthropic, tmp_path: Path) -> None:
    batch_id = mixed_batch(client, emulator)
    download(ws, batch_id)
    index = ws.results
    source = results_path(ws, batch_id)
    errored = index.rows(batch_id, ResultFilter(("errored",)).where())
    raw = export(source, errored, "jsonl", tmp_path / "errored.jsonl")
    expected = [
        line
        for line in emulator_body(emulator, batch_id).splitlines(keepends=True)
        if json.loads(line)["result"]["type"] == "errored"
    ]
    assert (tmp_path / "errored.jsonl").read_bytes() == b"".join(expected) and raw.rows == len(errored)
    every = index.rows(batch_id)
    export(source, every, "csv", tmp_path / "all.csv")
    with open(tmp_path / "all.csv", newline="") as fh:
        parsed = list(csv.DictReader(fh))
    assert len(parsed) == 302 and {p["custom_id"] for p in parsed} == {r.custom_id for r in every}
    first_ok = next(p for p in parsed if p["outcome"] == "succeeded")
    assert first_ok["text"] and float(first_ok["cost_usd"]) > 0
    export(source, every, "text", tmp_path / "all.text.jsonl")
    texts = [json.loads(line) for line in (tmp_path / "all.text.jsonl").read_text().splitlines()]
    assert len(texts) == 302 and all(set(t) == {"custom_id", "text"} for t in texts)


def test_export_never_overwrites_silently(
    ws: Workspace, emulator: Emulator, client: anthropic.Anthropic, tmp_path: Path
) -> None:
    batch_id = mixed_batch(client, emulator, 20)
    download(ws, batch_id)
    rows = ws.results.rows(batch_id)
    target = tmp_path / "out.jsonl"
    target.write_text("precious")
    with pytest.raises(Exception, match="already exists; pass --force"):
        export(results_path(ws, batch_id), rows, "jsonl", target)
    assert target.read_text() == "precious"
    export(results_path(ws, batch_id), rows, "jsonl", target, overwrite=True)
    assert target.read_text() != "precious" and not list(tmp_path.glob(".out.jsonl.*"))


def test_cut_download_leaves_nothing_that_looks_complete(
    ws: Workspace, emulator: Emulator, client: anthropic.Anthropic
) -> None:
    batch_id = mixed_batch(client, emulator, 500)
    emulator.faults.set(cut_after_bytes=40_000)
    emulator.faults.queue("cut")
    with pytest.raises(ApiFailure, match="cut off"):
        download(ws, batch_id)
    index = ws.results
    state = index.result_set(batch_id)
    assert state is not None and not state.complete and state.status == "failed"
    assert index.rows(batch_id) == [] and not results_path(ws, batch_id).exists()
    ensure_downloaded(ws, batch_id)
    assert index.result_set(batch_id).complete and len(index.rows(batch_id)) == 502  # type: ignore[union-attr]


def test_a_failed_fsync_keeps_nothing_and_a_retry_completes(
    ws: Workspace, emulator: Emulator, client: anthropic.Anthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The body's fsync runs beside the publish: when it fails, the file never takes its final name."""
    batch_id = mixed_batch(client, emulator, 50)

    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(BatchdeckError, match="cannot save the results"):
        download(ws, batch_id)
    state = ws.results.result_set(batch_id)
    assert state is not None and state.status == "failed" and ws.results.rows(batch_id) == []
    final = results_path(ws, batch_id)
    assert not final.exists() and list(final.parent.glob("*.part")) == []
    monkeypatch.undo()
    download(ws, batch_id)
    assert ws.results.result_set(batch_id).complete and len(ws.results.rows(batch_id)) == 52  # type: ignore[union-attr]


def test_malformed_lines_are_counted_with_line_numbers() -> None:
    report = IngestReport("b", Path("x"))
    indexer = LineIndexer(report)
    good = b'{"custom_id":"a","result":{"type":"canceled"}}\n'
    stream = [good, b'{"custom_id": "b", "res', b'ult": 5}\n', b"not json\n", good.replace(b'"a"', b'"c"')[:-1]]
    rows = [row for chunk in stream for row in indexer.feed(chunk)] + list(indexer.finish())
    assert [r[0] for r in rows] == ["a", "c"]
    assert report.malformed == 2 and report.malformed_lines == [2, 3]
    assert rows[1][11] == len(good) * 1 + len(b'{"custom_id": "b", "result": 5}\n') + len(b"not json\n")


def test_unknown_model_has_no_price() -> None:
    book = PriceBook()
    assert book.batch_cost("claude-unheard-of", Usage(1000, 1000)) is None
    assert book.batch_cost("claude-haiku-4-5-20251001", Usage(1_000_000, 0)) == pytest.approx(0.5)
    cached = Usage(input=0, cache_write_5m=1_000_000, cache_read=1_000_000)
    assert book.batch_cost("claude-sonnet-4-6", cached) == pytest.approx(0.5 * (3.75 + 0.30))
    assert PriceBook({"claude-unheard-of": {"input": 2, "output": 4}}).batch_cost(
        "claude-unheard-of", Usage(1_000_000, 1_000_000)
    ) == pytest.approx(3.0)


def test_archived_batch_without_a_copy_says_so(ws: Workspace, emulator: Emulator, client: anthropic.Anthropic) -> None:
    kept = client.messages.batches.create(requests=[request("a")]).id
    lost = client.messages.batches.create(requests=[request("b")]).id
    emulator.advance(DAY)
    download(ws, kept)
    emulator.advance(29 * DAY)
    ensure_downloaded(ws, kept)  # the local copy outlives the archive
    assert len(ws.results.rows(kept)) == 1
    with pytest.raises(ApiFailure, match=r"archived .* no local copy was kept"):
        ensure_downloaded(ws, lost)


def test_results_and_export_commands(
    home: Path,
    emulator: Emulator,
    client: anthropic.Anthropic,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batch_id = mixed_batch(client, emulator, 50)
    code, out, _ = run_cli(capsys, "results", batch_id, "--outcome", "errored", "--json")
    rows = json.loads(out)
    assert code == 0 and rows and all(r["outcome"] == "errored" for r in rows)
    code, out, _ = run_cli(capsys, "results", batch_id, "--custom-id", "ticket-001*")
    assert code == 0 and "ticket-0010" in out and "batch cost $" in out
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "export", batch_id, "--format", "csv", "--outcome", "succeeded")
    assert code == 0 and (tmp_path / f"{batch_id}-succeeded.csv").exists()
    code, _, err = run_cli(capsys, "export", batch_id, "--format", "csv", "--outcome", "succeeded")
    assert code == 2 and "already exists" in err
    code, _, err = run_cli(capsys, "results", batch_id, "--outcome", "happy")
    assert code == 2 and "unknown outcome 'happy'" in err
    live = client.messages.batches.create(requests=[request("x")]).id
    code, _, err = run_cli(capsys, "results", live)
    assert code == 1 and "no results yet" in err


@pytest.mark.slow
def test_sigkill_mid_download_then_a_clean_retry(home: Path, emulator: Emulator, client: anthropic.Anthropic) -> None:
    batch_id = mixed_batch(client, emulator, 20_000)  # about 26 MB: a second or so to stream
    rng = random.Random(3)
    interrupted = 0
    for _ in range(3):
        before = emulator.stats.calls("results")
        proc = subprocess.Popen(
            [sys.executable, "-m", "batchdeck", "results", batch_id, "--limit", "1"],
            env=os.environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while emulator.stats.calls("results") == before and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)  # until the child starts downloading (importing the SDK takes a while)
        time.sleep(rng.uniform(0.0, 0.5))
        proc.send_signal(signal.SIGKILL)
        interrupted += proc.wait() == -signal.SIGKILL
        with Workspace.open() as ws:  # whatever the kill left never passes for a complete download
            index = ws.results
            state = index.result_set(batch_id)
            if state is not None and state.complete:
                assert len(index.rows(batch_id)) == 20_002
                break
    assert interrupted >= 1
    with Workspace.open() as ws:
        ensure_downloaded(ws, batch_id)
        index = ws.results
        assert index.result_set(batch_id).complete  # type: ignore[union-attr]
        assert len(index.rows(batch_id)) == 20_002
        assert results_path(ws, batch_id).read_bytes() == emulator_body(emulator, batch_id)
        assert not list(results_path(ws, batch_id).parent.glob("*.part"))
