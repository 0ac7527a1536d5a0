"""Browsing saved results a page at a time, reading one result whole, prices from config, and what to save next."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import anthropic
import pytest

from batchdeck.core.batches.phrases import archive_soon, cost_text, results_text
from batchdeck.core.config import toml_file
from batchdeck.core.config.show import shown
from batchdeck.core.errors import ConfigError
from batchdeck.core.results.auto_download import pending_downloads
from batchdeck.core.results.browse import PAGE_ROWS, ResultsBrowser
from batchdeck.core.results.detail import result_detail
from batchdeck.core.results.download import download, read_lines, results_path
from batchdeck.core.results.export import free_path
from batchdeck.core.results.filter import ResultFilter
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from tests.conftest import request
from tests.core.conftest import run_cli, seed
from tests.core.test_results import mixed_batch

DAY = 86400.0


def big_batch(client: anthropic.Anthropic, emulator: Emulator, n: int) -> str:
    emulator.set_rates(error_rate=0.1, expire_rate=0.05)
    batch = client.messages.batches.create(requests=[request(f"row-{i:05d}") for i in range(n)])
    emulator.advance(DAY)
    return batch.id


def walk(browser: ResultsBrowser, order: list[int]) -> list[str]:
    """custom_ids of the pages visited in `order`, put back in page order."""
    pages = {n: [r.custom_id for r in browser.page(n)] for n in order}
    return [cid for n in sorted(pages) for cid in pages[n]]


def test_pages_in_any_order_give_every_row_once(ws: Workspace, emulator: Emulator, client: anthropic.Anthropic) -> None:
    batch_id = big_batch(client, emulator, 1500)
    download(ws, batch_id)
    expected = sorted(r.custom_id for r in ws.results.rows(batch_id))
    pages = -(-len(expected) // PAGE_ROWS)
    for order in (list(range(pages)), list(reversed(range(pages))), [3, 0, 5, 4, 1, 2]):
        browser = ResultsBrowser(ws.db.path, ws.profile.name, batch_id)
        assert browser.count() == 1500
        assert walk(browser, order) == expected  # forward keyset, reverse keyset and offset agree
        browser.close()


@pytest.mark.parametrize(
    "flt",
    [
        ResultFilter(("errored",)),
        ResultFilter(("canceled", "errored", "expired")),
        ResultFilter(("succeeded",)),
        ResultFilter((), "api_error"),
        ResultFilter(search="row-01"),
        ResultFilter(search="row-0*9"),
        ResultFilter(("succeeded",), search="row-00[0-4]*"),
        ResultFilter(search="row-00042"),
    ],
)
def test_filters_match_what_the_index_holds(
    ws: Workspace, emulator: Emulator, client: anthropic.Anthropic, flt: ResultFilter
) -> None:
    batch_id = big_batch(client, emulator, 1200)
    download(ws, batch_id)
    rows = ws.results.rows(batch_id)
    glob = flt.search if any(c in flt.search for c in "*?[") else None

    def wanted(r: object) -> bool:
        from fnmatch import fnmatchcase

        ok = (not flt.outcomes or r.outcome in flt.outcomes) and (not flt.error_type or r.error_type == flt.error_type)
        if flt.search:
            ok = ok and (fnmatchcase(r.custom_id, glob) if glob else r.custom_id.startswith(flt.search))
        return ok

    expected = sorted(r.custom_id for r in rows if wanted(r))
    browser = ResultsBrowser(ws.db.path, ws.profile.name, batch_id, flt)
    assert browser.count() == len(expected) > 0
    assert walk(browser, list(range(-(-len(expected) // PAGE_ROWS)))) == expected
    assert [r.custom_id for r in browser.all_rows()] == expected
    assert browser.position(expected[-1]) == len(expected) - 1
    outcomes, errors = browser.facets()
    assert sum(outcomes.values()) == 1200 and sum(errors.values()) == outcomes.get("errored", 0)
    browser.close()


def test_search_text_is_literal_outside_glob_characters(
    ws: Workspace, emulator: Emulator, client: anthropic.Anthropic
) -> None:
    batch = client.messages.batches.create(requests=[request("a_b-1"), request("a_b-2"), request("axb-3")])
    emulator.advance(DAY)
    download(ws, batch.id)
    browser = ResultsBrowser(ws.db.path, ws.profile.name, batch.id, ResultFilter(search="a_b"))
    assert [r.custom_id for r in browser.all_rows()] == ["a_b-1", "a_b-2"]
    browser.set_filter(ResultFilter(search="a?b-*"))
    assert browser.count() == 3
    browser.set_filter(ResultFilter(search="zzz"))
    assert browser.count() == 0 and browser.page(0) == [] and browser.position("a_b-1") is None
    browser.close()


def test_a_result_read_whole_shows_blocks_usage_and_errors(
    ws: Workspace, emulator: Emulator, client: anthropic.Anthropic
) -> None:
    batch_id = mixed_batch(client, emulator)
    tools = [{"name": "lookup", "description": "find", "input_schema": {"type": "object"}}]
    rich = client.messages.batches.create(
        requests=[
            request(f"rich-{i}", tools=tools, thinking={"type": "enabled", "budget_tokens": 1024}, max_tokens=4096)
            for i in range(20)
        ]
    ).id
    emulator.advance(DAY)
    download(ws, batch_id)
    download(ws, rich)
    index = ws.results
    rows = index.rows(batch_id) + index.rows(rich)
    path = results_path(ws, batch_id)
    rich_path = results_path(ws, rich)
    details = {
        r.custom_id: result_detail(
            next(read_lines(rich_path if r.custom_id.startswith("rich") else path, [(r.line_offset, r.line_length)])), r
        )
        for r in rows
    }
    kinds = {b.kind for d in details.values() for b in d.blocks}
    assert {"text", "thinking", "tool_use"} <= kinds
    tool = next(b for d in details.values() for b in d.blocks if b.kind == "tool_use")
    assert isinstance(json.loads(tool.body), dict)  # the input, as JSON
    ok = next(d for d in details.values() if d.outcome == "succeeded")
    facts = dict(ok.facts)
    assert facts["stop reason"] in ("end_turn", "max_tokens", "tool_use") and " in · " in facts["tokens"]
    assert facts["cost"].startswith("$") and ok.text
    bad = details["bad-model"]
    assert dict(bad.facts)["error type"] == "not_found_error"
    assert json.loads(bad.error)["error"]["message"] == "model: claude-nope" and bad.text == bad.error
    canceled = next(d for d in details.values() if d.outcome == "canceled")
    assert "canceled" in dict(canceled.facts)["why"] and not canceled.blocks


def test_price_overrides_from_config_change_the_cost(
    home: Path, emulator: Emulator, client: anthropic.Anthropic
) -> None:
    batch = client.messages.batches.create(requests=[request(f"p{i}") for i in range(50)])
    emulator.advance(DAY)
    with Workspace.open() as ws:
        standard = download(ws, batch.id).cost
    config = toml_file.load()
    model = request("x")["params"]["model"]
    config.prices[model] = {"input": 1000.0, "output": 2000.0}
    toml_file.save(config)
    with Workspace.open() as ws:
        report = download(ws, batch.id)
        rows = ws.results.rows(batch.id, ResultFilter(("succeeded",)).where())
        expected = sum((r.input_tokens * 1000 + r.output_tokens * 2000) / 1e6 * 0.5 for r in rows)
        assert report.cost == pytest.approx(expected) and report.cost > standard * 10
    assert "[prices.claude-haiku-4-5]\ninput = 1000.0" in shown(toml_file.load())


@pytest.mark.parametrize(
    "body, complaint",
    [
        ("[prices]\nfoo = 3\n", "must be a table of input, output, cache_read"),
        ('[prices."m"]\ninput = "cheap"\n', "input must be a number"),
        ('[prices."m"]\ninput = -1\n', "input must be a number"),
        ('[prices."m"]\nwrite = 1\n', "unknown key 'write'"),
    ],
)
def test_bad_price_overrides_name_the_problem(home: Path, body: str, complaint: str) -> None:
    path = home / "config.toml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=complaint):
        toml_file.load(path)


def test_pending_downloads_are_the_unsaved_ended_batches_nearest_the_archive(ws: Workspace, emulator: Emulator) -> None:
    ids = seed(emulator, 4, size=3)  # newest first
    emulator.advance(DAY)
    ws.syncer().sync()
    now = ws.clock()
    assert pending_downloads(ws, now) == ids[::-1]  # oldest first: the archive takes them first
    download(ws, ids[-1])
    assert pending_downloads(ws, now) == ids[::-1][1:]
    later = now + timedelta(days=40)  # past the archive: nothing left to fetch
    assert pending_downloads(ws, later) == []


def test_archive_warnings_and_cost_text(ws: Workspace, emulator: Emulator) -> None:
    [batch_id] = seed(emulator, 1, size=5)
    emulator.advance(DAY)
    ws.syncer().sync()
    batch = ws.batches.get(batch_id)
    assert batch is not None
    created = batch.created
    assert not archive_soon(batch, created + timedelta(days=20))
    assert archive_soon(batch, created + timedelta(days=27))
    assert results_text(batch, created + timedelta(days=27)).startswith("⚠ downloadable for another")
    assert "no local copy" in results_text(batch, created + timedelta(days=30))
    assert cost_text(batch) == "known once the results are downloaded"
    download(ws, batch_id)
    saved = ws.batches.get(batch_id)
    assert saved is not None and saved.results_saved and not archive_soon(saved, created + timedelta(days=28))
    assert cost_text(saved).startswith("$") and "saved $" in cost_text(saved)
    assert saved.to_json()["cost_usd"] == pytest.approx(saved.cost_usd)


def test_quick_export_names_never_clash(tmp_path: Path) -> None:
    first = free_path(tmp_path, "msgbatch_x", "jsonl")
    first.write_text("taken")
    second = free_path(tmp_path, "msgbatch_x", "jsonl")
    assert first.name == "msgbatch_x.jsonl" and second.name == "msgbatch_x-2.jsonl"


def test_list_warns_about_results_archived_soon(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    # The command line follows the API's clock (its Date header): the old batch is 27 days old on it.
    with Emulator(speed=0, start_time=time.time() - 28 * DAY) as emulator:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", emulator.base_url)
        [old] = seed(emulator, 1, size=3)
        emulator.advance(20 * DAY)
        [fresh] = seed(emulator, 1, size=3)
        emulator.advance(7 * DAY)
        code, _, err = run_cli(capsys, "list")
        assert code == 0 and "archived by Anthropic within 3 days and not saved locally" in err
        assert old in err and fresh not in err
        assert run_cli(capsys, "results", old)[0] == 0
        code, _, err = run_cli(capsys, "list")
        assert code == 0 and "archived" not in err
