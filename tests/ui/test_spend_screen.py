"""The Spend screen (`$`), drawn: totals in words, the range and breakdown keys, `enter` to the batch list
limited to a group, and the budget in the status line. The demo's history with its results saved, against
the demo emulator over HTTP; every expected figure is read from the cache the screen reads."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from rich.style import Style
from textual.color import Color
from textual.command import CommandPalette
from textual.pilot import Pilot

from batchdeck.commands.demo_history import save_results
from batchdeck.commands.demo_job import write_requests
from batchdeck.core.jobs.submit import SubmitSource, plan_submit, submit
from batchdeck.core.session import Session
from batchdeck.core.spend.budget import budget_status
from batchdeck.core.spend.report import group_batch_ids, spend_report
from batchdeck.core.spend.span import SpendRange
from batchdeck.core.timefmt import parse
from batchdeck.emulator import Emulator
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.money import money
from batchdeck.tui.screens.help import HelpScreen
from batchdeck.tui.screens.spend import SpendScreen, SpendTable
from batchdeck.tui.widgets.batch_list import BatchList
from batchdeck.tui.widgets.columns import short_id
from batchdeck.tui.widgets.status_line import StatusLine
from tests.ui.conftest import (
    make_session,
    open_spend,
    polled,
    rows,
    screen_lines,
    screen_text,
    wait_for,
    with_saved_history,
)

pytestmark = pytest.mark.anyio


def history_session(demo: Emulator, saved_history: Path, home: Path, **settings: object) -> Session:
    with_saved_history(saved_history, home)
    session = make_session(demo, home)
    if settings:
        session.settings = session.settings.with_values(settings)
    return session


def drawn_words(app: BatchdeckApp) -> str:
    return " ".join(screen_text(app).split())  # the sentence wraps at 80 columns


async def shown(pilot: Pilot[None], screen: SpendScreen, range_name: str, by: str) -> None:
    await wait_for(pilot, lambda: (screen.range_name, screen.by) == (range_name, by) and screen.ready)
    await pilot.pause()


def sentence(session: Session, since: str) -> str:
    """The totals as core reports them, and as the cache's per-batch costs add up."""
    with session.workspace() as ws:
        span = SpendRange.since(since, session.clock())
        report = spend_report(ws, span, "model")
        ended = [b for b in ws.batches.query() if b.ended_at and span.start <= parse(b.ended_at) < span.end]
    known = [b.cost_usd for b in ended if b.cost_usd is not None]
    assert money(sum(known)) == money(report.total.cost_usd)  # one source of truth: list's per-batch cost
    assert report.unknown.batches == len(ended) - len(known) > 0
    unknown = report.unknown.batches
    return (
        f"{span.label}: {money(report.total.cost_usd)} paid, {money(report.total.saved_usd)} saved against "
        f"standard prices, {unknown} batch{'es' if unknown != 1 else ''} of unknown cost"
    )


async def test_dollar_opens_spend_and_the_range_keys_change_the_drawn_totals(
    demo: Emulator, saved_history: Path, tmp_path: Path
) -> None:
    session = history_session(demo, saved_history, tmp_path)
    app = BatchdeckApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_spend(pilot, app)
        assert sentence(session, "30d") in drawn_words(app)
        span = SpendRange.since("30d", session.clock())
        first, last = span.start.date(), (span.end - timedelta(days=1)).date()
        assert "per day" in screen_text(app)
        assert f"{first:%b %d}" in screen_text(app) and f"{last:%b %d}" in screen_text(app)  # the chart's ends
        await pilot.press("right_square_bracket")
        await shown(pilot, screen, "90d", "model")
        assert sentence(session, "90d") in drawn_words(app)
        assert "per week" in screen_text(app)
        await pilot.press("left_square_bracket", "left_square_bracket")
        await shown(pilot, screen, "7d", "model")
        assert sentence(session, "7d") in drawn_words(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main)


async def test_b_cycles_the_drawn_breakdown(demo: Emulator, saved_history: Path, tmp_path: Path) -> None:
    session = history_session(demo, saved_history, tmp_path)
    app = BatchdeckApp(session)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_spend(pilot, app)
        with session.workspace() as ws:
            span = SpendRange.since("30d", session.clock())
            models = [g.key for g in spend_report(ws, span, "model").groups]
            labels = [g.key for g in spend_report(ws, span, "label").groups]
        assert len(models) >= 4 and len(labels) >= 4
        table = screen.query_one(SpendTable)
        assert "MODEL" in screen_text(app) and all(m in screen_text(app) for m in models)
        await pilot.press("b")
        await shown(pilot, screen, "30d", "label")
        assert "LABEL" in screen_text(app) and "MODEL" not in screen_text(app)
        assert all(label in screen_text(app) for label in labels) and "news-digest" in labels
        assert table.row_count == len(labels)
        await pilot.press("b")
        await shown(pilot, screen, "30d", "job")
        assert "JOB" in screen_text(app) and "(no job)" in screen_text(app)
        await pilot.press("b")
        await shown(pilot, screen, "30d", "model")
        assert "MODEL" in screen_text(app)


async def test_enter_on_a_row_lists_exactly_that_groups_batches_until_esc(
    demo: Emulator, saved_history: Path, tmp_path: Path
) -> None:
    session = history_session(demo, saved_history, tmp_path)
    app = BatchdeckApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_spend(pilot, app)
        everything = len(rows(app))
        await pilot.press("b")
        await shown(pilot, screen, "30d", "label")
        assert screen.table_shown is not None
        keys = [g.key for g in screen.table_shown.report.groups]
        table = screen.query_one(SpendTable)
        table.move_cursor(row=keys.index("news-digest"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is app.main and app.main.scope is not None)
        await pilot.pause()
        with session.workspace() as ws:
            expected = group_batch_ids(ws, SpendRange.since("30d", session.clock()), "label", "news-digest")
        assert expected and len(expected) < everything
        assert sorted(b.id for b in rows(app)) == sorted(expected)
        lines = screen_lines(app)
        assert f"showing {len(expected)}: label news-digest, last 30 days" in lines[0]
        region = app.main.query_one(BatchList).region
        listed = [line for line in lines[region.y : region.bottom] if line.strip()]
        assert len(listed) == len(expected) and all("news-digest" in line for line in listed)
        assert sorted(short_id(i) for i in expected) == sorted(line.split()[0] for line in listed)
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(rows(app)) == everything)
        assert "news-digest, last 30 days" not in screen_text(app)


def status_segments(app: BatchdeckApp) -> list[tuple[str, Style]]:
    line = app.main.query_one(StatusLine)
    strip = app.screen._compositor.render_strips()[line.region.y]
    return [(segment.text, segment.style or Style()) for segment in strip]


def theme_colour(app: BatchdeckApp, name: str) -> str:
    return Color.parse(app.theme_variables[name]).hex.lower()


async def budget_line(
    demo: Emulator, saved_history: Path, home: Path, share: float
) -> tuple[str, Style, str, BatchdeckApp]:
    """The status line's month-to-date segment when the month so far is `share` of the budget, and the
    whole line; the demo's own job (sent through batchdeck, so it has a submit estimate) is live."""
    demo.advance(15 * 60)  # the demo's three short live batches end: this month has known spend
    session = history_session(demo, saved_history, home)
    with session.workspace() as ws:
        save_results(ws)
        write_requests(home / "tickets.jsonl")
        submit(ws, plan_submit(ws, SubmitSource(home / "tickets.jsonl")))
        spent = budget_status(ws, session.clock()).spent_usd
    assert spent > 0
    session.settings = session.settings.with_values({"budget.monthly_usd": round(spent / share, 2)})
    app = BatchdeckApp(session)
    async with app.run_test(size=(200, 30)) as pilot:
        await polled(pilot)
        await wait_for(pilot, lambda: "Nov $" in screen_text(app).splitlines()[0])
        await pilot.pause()
        found = next((text, style) for text, style in status_segments(app) if "Nov $" in text)
        line = screen_lines(app)[0]
    return found[0], found[1], line, app


async def test_the_status_line_shows_the_budget_amber_at_80_percent(
    demo: Emulator, saved_history: Path, tmp_path: Path
) -> None:
    text, style, line, app = await budget_line(demo, saved_history, tmp_path, 0.9)
    assert "(90%)" in text
    with app.session.workspace() as ws:
        live = budget_status(ws, app.session.clock()).live
    assert live.estimated == 1 and live.low_usd < live.high_usd
    estimate = f"+ est. {money(live.low_usd)}–{money(live.high_usd)} live"
    assert estimate in line and f"+ {live.unestimated} live without estimate" in line
    assert style.bold and not style.reverse and style.color is not None
    assert style.color.triplet is not None and style.color.triplet.hex == theme_colour(app, "warning")


async def test_the_status_line_shows_the_budget_red_at_100_percent(
    demo: Emulator, saved_history: Path, tmp_path: Path
) -> None:
    text, style, _line, app = await budget_line(demo, saved_history, tmp_path, 1.25)
    assert "(125%)" in text
    assert style.bold and style.reverse and style.color is not None
    assert style.color.triplet is not None and style.color.triplet.hex == theme_colour(app, "error")


async def test_no_budget_no_budget_in_the_status_line(demo: Emulator, saved_history: Path, tmp_path: Path) -> None:
    app = BatchdeckApp(history_session(demo, saved_history, tmp_path))
    async with app.run_test(size=(160, 30)) as pilot:
        await polled(pilot)
        await pilot.pause()
        assert " of $" not in screen_text(app).splitlines()[0]


async def test_spend_is_in_the_palette_and_the_help(demo: Emulator, saved_history: Path, tmp_path: Path) -> None:
    app = BatchdeckApp(history_session(demo, saved_history, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        titles = [c.title for c in app.get_system_commands(app.main)]
        assert "Spend ($)" in titles
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert re.search(r"\$\s+Spend\b", screen_text(app))
        await pilot.press("escape")
        await open_spend(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_text = screen_text(app)
        assert "Spend — keys" in help_text
        for key, what in (("[", "Shorter"), ("]", "Longer"), ("b", "Breakdown"), ("⏎", "Its batches")):
            assert re.search(rf"{re.escape(key)}\s+{what}", help_text), (key, what)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))


async def test_a_label_is_drawn_with_its_control_characters_visible(
    demo: Emulator, saved_history: Path, tmp_path: Path
) -> None:
    session = history_session(demo, saved_history, tmp_path)
    with session.workspace() as ws:
        span = SpendRange.since("30d", session.clock())
        batch_id = group_batch_ids(ws, span, "label", "news-digest")[0]
        ws.batches.set_meta(batch_id, ws.now(), label="[b]x\x1b]52;c;cHduZWQ=\x07\x1b[2J")
    app = BatchdeckApp(session)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_spend(pilot, app)
        await pilot.press("b")
        await shown(pilot, screen, "30d", "label")
        assert "[b]x␛]52;c;cHduZWQ=␇␛[2J" in screen_text(app) and "\x1b" not in screen_text(app)
        keys = [g.key for g in screen.table_shown.report.groups] if screen.table_shown else []
        screen.query_one(SpendTable).move_cursor(row=keys.index("[b]x\x1b]52;c;cHduZWQ=\x07\x1b[2J"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is app.main and app.main.scope is not None)
        await pilot.pause()
        assert [b.id for b in rows(app)] == [batch_id]
        status = screen_lines(app)[0]
        assert "showing 1: label [b]x␛]52;c;cHduZWQ=␇␛[2J" in status and "\x1b" not in status
