"""Spend reports over the local index: one source of truth with `list --json`, groups that add up
exactly, days in the local timezone, budgets, and the per-model usage table's migration."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import anthropic
import pytest

from batchdeck.commands import status_cmd
from batchdeck.core.spend.budget import budget_status
from batchdeck.core.spend.figures import COUNTS, MONEY, Figures
from batchdeck.core.spend.report import BREAKDOWNS, SpendReport, group_batch_ids, spend_report
from batchdeck.core.spend.span import SpendRange
from batchdeck.core.store.migrations import MIGRATIONS, SCHEMA_VERSION
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from tests.conftest import request
from tests.core.conftest import run_cli
from tests.core.spend_helpers import HAIKU_INPUT_OVERRIDE, Month, make_month

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
NOVEMBER = SpendRange.between("2026-11-01", "2026-11-30", NOW, utc=True)


@pytest.fixture
def month(
    home: Path, emulator: Emulator, client: anthropic.Anthropic, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> Month:
    return make_month(emulator, client, capsys, tmp_path)


def listed_costs(capsys: pytest.CaptureFixture[str]) -> dict[str, float]:
    code, out, err = run_cli(capsys, "list", "--cached", "--json")
    assert code == 0, err
    return {b["id"]: b["cost_usd"] for b in json.loads(out) if b["cost_usd"] is not None}


def assert_adds_up(report: SpendReport) -> None:
    assert report.groups
    for name in (*MONEY, *COUNTS):
        assert sum(getattr(g.figures, name) for g in report.groups) == getattr(report.total, name), name
    data = json.loads(json.dumps(report.as_json()))
    for name in (*MONEY, *COUNTS):
        assert sum(g[name] for g in data["groups"]) == data["total"][name], name


def test_every_breakdown_adds_up_to_the_costs_list_shows(month: Month, capsys: pytest.CaptureFixture[str]) -> None:
    costs = listed_costs(capsys)
    assert set(costs) == {month.mixed, month.opus, month.failed, month.job} and costs[month.failed] == 0
    with Workspace.open() as ws:
        for by in BREAKDOWNS:
            report = spend_report(ws, NOVEMBER, by, utc=True)
            assert_adds_up(report)
            assert report.total.batches == 4, by
            assert report.total.cost_usd == pytest.approx(sum(costs.values()), abs=1e-9), by
            assert report.total.standard_cost_usd == pytest.approx(2 * sum(costs.values()), abs=1e-9), by
            assert report.total.saved_usd == pytest.approx(sum(costs.values()), abs=1e-9), by
            assert report.total.requests == 3 + 1 + 2 + 5, by
            assert [u.id for u in report.unknown.items] == [month.unsaved], by
            assert report.unknown.items[0].reason == "not saved"


def test_by_model_splits_a_batch_and_counts_it_once(month: Month, capsys: pytest.CaptureFixture[str]) -> None:
    with Workspace.open() as ws:
        report = spend_report(ws, NOVEMBER, "model", utc=True)
        groups = {g.key: g.figures for g in report.groups}
        haiku = groups["claude-haiku-4-5-20251001"]
        sonnet = groups.get("claude-sonnet-4-5-20250929")
        assert sonnet is not None, sorted(groups)
        assert (haiku.batches, haiku.requests) == (2, 3 + 5)  # the mixed batch counts under haiku, its main model
        assert (sonnet.batches, sonnet.requests) == (0, 1)
        assert groups["(no model)"] == Figures(batches=1)  # the batch whose requests all errored
        assert group_batch_ids(ws, NOVEMBER, "model", "(no model)", utc=True) == [month.failed]
        assert haiku.cost_usd == pytest.approx(
            0.5 * (haiku.input_tokens * HAIKU_INPUT_OVERRIDE + haiku.output_tokens * 5) / 1e6, abs=1e-9
        )
        assert sonnet.cost_usd == pytest.approx(0.5 * (sonnet.input_tokens * 3 + sonnet.output_tokens * 15) / 1e6)
        assert group_batch_ids(ws, NOVEMBER, "model", "claude-sonnet-4-5-20250929", utc=True) == [month.mixed]
        assert set(group_batch_ids(ws, NOVEMBER, "model", "claude-haiku-4-5-20251001", utc=True)) == {
            month.mixed,
            month.job,
        }


def test_labels_and_jobs(month: Month) -> None:
    with Workspace.open() as ws:
        labels = {g.key: g.figures.batches for g in spend_report(ws, NOVEMBER, "label").groups}
        assert labels == {"nightly": 1, "ad\x1b[2Jhoc": 1, "triage": 1, "(no label)": 1}  # submit labels with the job
        jobs = {g.key: g.figures.batches for g in spend_report(ws, NOVEMBER, "job").groups}
        assert jobs == {"triage": 1, "(no job)": 3}
        assert group_batch_ids(ws, NOVEMBER, "job", "triage") == [month.job]
        ws.batches.set_meta(month.job, ws.now(), label=None)
        assert group_batch_ids(ws, NOVEMBER, "label", "(no label)") == [month.job, month.failed]
        days = spend_report(ws, NOVEMBER, "day", utc=True).groups
        assert [g.key for g in days] == ["2026-11-01", "2026-11-02", "2026-11-03"]


def test_budget_levels_and_live_estimate(month: Month) -> None:
    with Workspace.open() as ws:
        spent = spend_report(ws, SpendRange.month_to_date(NOW), "month").total.cost_usd
        assert spent > 0
        levels = []
        for budget in (0.0, spent * 10, spent / 0.85, spent):
            ws.settings = ws.settings.with_values({"budget.monthly_usd": budget})
            status = budget_status(ws, NOW)
            assert status.spent_usd == spent
            levels.append(status.level)
        assert levels == ["ok", "ok", "amber", "red"]
        assert status.live.batches == 1 and status.live.estimated == 1
        assert 0 < status.live.low_usd < status.live.high_usd
        assert status.unknown_batches == 1
        assert "estimate" in status.text() and "budget reached" in status.text()


def test_figures_total_is_the_plain_sum_of_groups() -> None:
    parts = [Figures.of(0.1, 0.2, 1, 1, 0, 0, 0, 0, 0), Figures.of(0.2, 0.4, 1, 2, 0, 0, 0, 0, 0)]
    total = Figures.total(parts)
    assert total.cost_usd == 0.1 + 0.2 and total.batches == 2 and total.saved_usd == 0.1 + 0.2
    assert Figures.total([]) == Figures()


def test_migration_fills_usage_for_results_saved_before_it(month: Month) -> None:
    """A cache from before the usage table (results saved, no per-model rows) gets them from its step."""
    step = next(i for i, script in enumerate(MIGRATIONS) if "CREATE TABLE result_usage" in script)
    with Workspace.open() as ws:
        before = {by: spend_report(ws, NOVEMBER, by, utc=True).as_json() for by in BREAKDOWNS}
        path = ws.db.path
    old = sqlite3.connect(path)  # the step's work undone, then the step itself (the runner is test_cache_file's)
    old.executescript("DROP TABLE result_usage; DROP INDEX batches_by_ended;")
    old.executescript(f"BEGIN; {MIGRATIONS[step]}; COMMIT;")
    old.close()
    with Workspace.open() as ws:
        assert ws.db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert ws.db.conn.execute("SELECT COUNT(DISTINCT batch_id) FROM result_usage").fetchone()[0] == 4
        after = {by: spend_report(ws, NOVEMBER, by, utc=True).as_json() for by in BREAKDOWNS}
    assert after == before


# -- the command line --------------------------------------------------------------------------------
NOV = ("--from", "2026-11-01", "--to", "2026-11-30")


def spend_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code, out, err = run_cli(capsys, "spend", *NOV, "--json", *args)
    assert code == 0, err
    return json.loads(out)


def test_cli_json_is_the_sum_of_list_costs_for_every_breakdown(
    month: Month, capsys: pytest.CaptureFixture[str]
) -> None:
    costs = listed_costs(capsys)
    for by in BREAKDOWNS:
        doc = spend_json(capsys, "--by", by, "--utc")
        assert set(doc) >= {"total", "groups", "unknown"}
        total = doc["total"]
        assert set(total) == {*MONEY, *COUNTS}
        assert all(set(g) == {"key", *MONEY, *COUNTS} for g in doc["groups"])
        for name in (*MONEY, *COUNTS):
            assert sum(g[name] for g in doc["groups"]) == total[name], (by, name)
        assert total["cost_usd"] == pytest.approx(sum(costs.values()), abs=1e-9)
        assert total["batches"] == len(costs) == 4
        assert doc["unknown"]["batches"] == 1 and doc["unknown"]["items"][0]["id"] == month.unsaved
    by_label = {g["key"]: g["cost_usd"] for g in spend_json(capsys, "--by", "label")["groups"]}
    assert by_label["nightly"] == pytest.approx(costs[month.mixed], abs=1e-9)
    assert by_label["ad\x1b[2Jhoc"] == pytest.approx(costs[month.opus], abs=1e-9)  # exact in JSON


def test_cli_days_follow_the_local_timezone_or_utc(month: Month) -> None:
    """The batches ended near 12:00 UTC: at UTC+14 that is the next day."""

    def days(*extra: str) -> list[str]:
        env = {**os.environ, "TZ": "Pacific/Kiritimati"}
        proc = subprocess.run(
            [sys.executable, "-m", "batchdeck", "spend", *NOV, "--by", "day", *extra],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        if "--json" in extra:
            return [g["key"] for g in json.loads(proc.stdout)["groups"]]
        return proc.stdout.splitlines()

    assert days("--json") == ["2026-11-02", "2026-11-03", "2026-11-04"]
    assert days("--json", "--utc") == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert "(UTC+14:00)" in days()[0]
    assert "batch end dates in UTC" in days("--utc")[0]


def test_cli_table_csv_and_unknown(month: Month, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "label", month.mixed, "=HYPERLINK(1)")
    code, out, _ = run_cli(capsys, "spend", *NOV, "--by", "label")
    assert code == 0
    header, columns, *rows = out.splitlines()
    assert "by label" in header and "batch end dates in" in header
    assert columns.split()[:4] == ["label", "cost", "standard", "saved"] and "unpriced" in columns
    assert any(r.startswith("ad␛[2Jhoc") for r in rows) and "\x1b" not in out
    assert any(r.startswith("total ") for r in rows)
    assert "1 ended batch of unknown cost" in out and month.unsaved in out and "not saved" in out
    code, out, err = run_cli(capsys, "spend", *NOV, "--by", "label", "--csv")
    assert code == 0 and "unknown cost" in err
    parsed = list(csv.reader(io.StringIO(out)))
    assert parsed[0] == ["label", *MONEY, *COUNTS]
    doc = spend_json(capsys, "--by", "label")
    assert [r[0] for r in parsed[1:]] == [
        "'" + g["key"] if g["key"].startswith("=") else g["key"] for g in doc["groups"]
    ]
    for row, group in zip(parsed[1:], doc["groups"], strict=True):
        assert [float(v) for v in row[1:4]] == [group[k] for k in MONEY]
        assert [int(v) for v in row[4:]] == [group[k] for k in COUNTS]


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("--since", "30x"), "cannot read --since '30x'"),
        (("--since", "0d"), "cannot read --since '0d'"),
        (("--from", "yesterday"), "cannot read --from 'yesterday'"),
        (("--from", "2026-11-05", "--to", "2026-11-01"), "--from 2026-11-05 is after --to 2026-11-01"),
        (("--to", "2026-11-01"), "--to needs --from"),
    ],
)
def test_cli_bad_ranges_are_one_line(
    home: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], problem: str
) -> None:
    code, out, err = run_cli(capsys, "spend", *args)
    assert code == 2 and not out
    assert problem in err and len(err.strip().splitlines()) == 1


def test_status_and_submit_report_the_budget(
    month: Month,
    capsys: pytest.CaptureFixture[str],
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(status_cmd, "CLOCK", emulator.clock.now_dt)
    assert run_cli(capsys, "config", "set", "budget.monthly_usd", "0.000001")[0] == 0
    code, out, _ = run_cli(capsys, "status", "--json")  # a sync measures the API clock against CLOCK
    budget = json.loads(out)["budget"]
    assert budget["level"] == "red", budget
    assert budget["budget_usd"] == 0.000001 and budget["month"] == "November 2026"
    live = budget["live"]
    assert (live["batches"], live["estimated"]) == (1, 1) and 0 < live["estimate_low_usd"] < live["estimate_high_usd"]
    code, out, _ = run_cli(capsys, "status", "--offline")
    assert "budget reached" in out and "1 live batch: estimate $" in out
    source = tmp_path / "more.jsonl"
    source.write_text(json.dumps(request("x0")) + "\n")
    code, out, err = run_cli(capsys, "submit", str(source), "--dry-run")
    assert code == 0, err
    assert "with this batch $" in out and "of the $0.00 budget" in out
