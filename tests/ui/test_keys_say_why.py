"""Keys that do something or say why not (issue 11 §3), through Pilot against the demo workspace."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from batchdeck.emulator import Emulator
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.screens.confirm import ConfirmScreen
from batchdeck.tui.screens.job import JobScreen
from batchdeck.tui.screens.results import ResultsScreen
from batchdeck.tui.widgets.batch_list import BatchList
from batchdeck.tui.widgets.result_list import ResultList
from tests.ui.conftest import make_session, move_to, open_results, polled, rows, wait_for

pytestmark = pytest.mark.anyio
RUNNING = "it is still running; cancel it first"


def said(app: BatchdeckApp) -> list[str]:
    """Every notification raised so far, in order."""
    return [n.message for n in app._notifications]


def drawn(widget: Static) -> str:
    return str(widget.render())


def footer_text(app: BatchdeckApp) -> str:
    return " ".join(str(key.render()) for key in app.screen.query("FooterKey"))


def live(b: object) -> bool:
    return b.processing_status == "in_progress" and not b.deleted_at  # type: ignore[attr-defined]


def ended(b: object) -> bool:
    return b.processing_status == "ended" and not b.deleted_at and not b.archived_at  # type: ignore[attr-defined]


def small_ended(b: object) -> bool:
    return ended(b) and b.counts.total <= 800  # type: ignore[attr-defined]


async def test_d_on_a_live_batch_is_refused_before_the_dialog(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        move_to(app, live)
        target = app.main.query_one(BatchList).current
        await pilot.press("d")
        assert app.screen is app.main and said(app)[-1] == f"cannot delete {target.id}: {RUNNING}"
        move_to(app, ended)
        finished = app.main.query_one(BatchList).current
        await pilot.press("c")
        assert app.screen is app.main and said(app)[-1] == f"cannot cancel {finished.id}: it has already ended"
        move_to(app, live)
        await pilot.press("R")
        assert said(app)[-1] == (
            f"cannot resubmit the failed rows of {target.id}: it is still running; its results exist once it ends"
        )
        assert demo.stats.calls("delete") == demo.stats.calls("cancel") == 0


async def test_marks_act_on_those_the_rule_allows_and_say_which_are_left(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        move_to(app, live)
        await pilot.press("space")
        move_to(app, ended)
        target = app.main.query_one(BatchList).current
        await pilot.press("space", "d")
        assert isinstance(app.screen, ConfirmScreen)
        body = drawn(app.screen.query_one("#dialog-body", Static))
        assert target.id in body and "1 marked batch left alone: 1 still running (cancel first)." in body
        assert sum("msgbatch_" in line for line in body.splitlines()) == 1
        await pilot.press("n", "c")  # the same two marked: one live, one ended
        assert isinstance(app.screen, ConfirmScreen)
        assert "1 marked batch left alone: 1 already ended." in drawn(app.screen.query_one("#dialog-body", Static))


async def test_the_delete_dialog_says_whether_results_are_kept(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(140, 40)) as pilot:
        await polled(pilot)
        move_to(app, small_ended)
        saved = app.main.query_one(BatchList).current
        await pilot.press("o")  # opening the results saves them
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        await wait_for(pilot, lambda: screen.ready)
        await pilot.press("q")
        await wait_for(pilot, lambda: any(b.id == saved.id and b.results_saved for b in rows(app)))
        move_to(app, lambda b: b.id == saved.id)
        await pilot.press("d")
        body = drawn(app.screen.query_one("#dialog-body", Static))
        assert "results saved locally" in body and "Its results are saved locally, so you keep them." in body
        await pilot.press("n")
        move_to(app, lambda b: ended(b) and not b.results_saved)
        await pilot.press("d")
        body = drawn(app.screen.query_one("#dialog-body", Static))
        assert "Its results are not saved locally: they will be gone." in body and "open them with o" in body


async def test_readonly_keys_say_why_and_are_not_offered(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path), readonly=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await polled(pilot)
        move_to(app, live)
        target = app.main.query_one(BatchList).current
        footer = footer_text(app)
        assert "Refresh" in footer and "Cancel" not in footer and "Delete" not in footer
        phrases = {"c": "cancel", "d": "delete", "l": "label", "n": "add a note to", "R": "resubmit the failed rows of"}
        for key, phrase in phrases.items():
            await pilot.press(key)
            assert app.screen is app.main
            assert (
                said(app)[-1] == f"cannot {phrase} {target.id}: read-only mode (started with --readonly): "
                "nothing can be changed"
            )
        assert demo.stats.calls("cancel") == demo.stats.calls("delete") == 0


async def test_j_on_a_batch_without_a_job_says_so(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        jobs = app.main.feed.job_batches
        assert jobs is not None
        move_to(app, lambda b: b.id not in jobs)
        target = app.main.query_one(BatchList).current
        await pilot.press("J")
        assert not isinstance(app.screen, JobScreen)
        assert said(app)[-1].startswith(f"cannot open the job of {target.id}: it was not submitted through batchdeck")


async def test_copy_inside_tmux_says_where_the_id_went(
    demo: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMUX", "/tmp/tmux-1000/default,1234,0")
    app = BatchdeckApp(make_session(demo, tmp_path))
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]  # the terminal's clipboard is not ours
    async with app.run_test(size=(140, 40)) as pilot:
        await polled(pilot)
        move_to(app, small_ended)
        target = app.main.query_one(BatchList).current
        await pilot.press("y")
        assert copied == [target.id]
        assert said(app)[-1] == (
            f"sent {target.id} to the terminal's clipboard (OSC 52); in tmux it reaches the "
            "clipboard only with `set -g set-clipboard on` in ~/.tmux.conf"
        )
        await pilot.press("o")
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        await wait_for(pilot, lambda: screen.ready and screen.query_one(ResultList).current is not None)
        await pilot.press("y")
        custom_id = screen.query_one(ResultList).current.custom_id
        assert copied[-1] == custom_id and said(app)[-1].startswith(f"sent {custom_id} to the terminal's clipboard")


def header(screen: ResultsScreen) -> str:
    return drawn(screen.query_one("#results-header", Static)).splitlines()[0]


def errored_not_canceled(b: object) -> bool:
    counts = b.counts  # type: ignore[attr-defined]
    return small_ended(b) and counts.errored > 0 and counts.canceled == 0


async def test_results_esc_clears_search_then_filters_then_leaves(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_results(pilot, app, errored_not_canceled)
        total = screen.total
        await pilot.press("f")  # failed
        await wait_for(pilot, lambda: "outcome failed" in header(screen))
        await pilot.press("slash", *screen.query_one(ResultList).current.custom_id[:3], "enter")  # kept search
        await wait_for(pilot, lambda: "search " in header(screen))
        await pilot.press("escape")  # the search goes, the filter stays
        await wait_for(pilot, lambda: "search" not in header(screen))
        assert app.screen is screen and "outcome failed" in header(screen)
        await pilot.press("escape")  # then the filter
        await wait_for(pilot, lambda: header(screen).startswith(f"{total:,} of {total:,} shown"))
        assert app.screen is screen and "outcome" not in header(screen)
        await pilot.press("escape")  # then the screen
        assert app.screen is app.main


async def test_f_skips_outcomes_without_rows(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_results(pilot, app, errored_not_canceled)
        outcomes = screen.facets[0]
        assert "canceled" not in outcomes  # the view this batch cannot fill
        expected = [
            name
            for name, kinds in (
                ("failed", ("canceled", "errored", "expired")),
                ("succeeded", ("succeeded",)),
                ("errored", ("errored",)),
                ("expired", ("expired",)),
                ("canceled", ("canceled",)),
            )
            if any(outcomes.get(k) for k in kinds)
        ]
        seen = []
        for _ in expected:
            await pilot.press("f")
            await wait_for(
                pilot,
                lambda: (
                    "outcome" in header(screen)
                    and len(seen) < len(expected)
                    and header(screen).split("outcome ")[1].split(" ")[0] not in seen
                ),
            )
            seen.append(header(screen).split("outcome ")[1].split(" ")[0])
        assert seen == expected
        await pilot.press("f")  # back to every row
        await wait_for(pilot, lambda: "outcome" not in header(screen))


async def test_resubmit_preview_starts_on_the_categories_with_glyphs_and_plain_buttons(tmp_path: Path) -> None:
    from textual.widgets import Button, SelectionList

    from batchdeck.tui.screens.retry_preview import RetryPreview
    from tests.conftest import START
    from tests.ui.test_resubmit import failing_job

    with Emulator(speed=0, start_time=START, scenario="empty") as emu:
        batch_id, _ = failing_job(emu, tmp_path)
        app = BatchdeckApp(make_session(emu, tmp_path))
        async with app.run_test(size=(120, 40)) as pilot:
            await polled(pilot)
            move_to(app, lambda b: b.id == batch_id)
            await pilot.press("R")
            await wait_for(pilot, lambda: isinstance(app.screen, RetryPreview))
            preview = app.screen
            categories = preview.query_one(SelectionList)
            assert preview.focused is categories
            lines = {
                categories.get_option_at_index(i).value: categories.render_line(i).text
                for i in range(categories.option_count)
            }
            ticked = set(categories.selected)
            assert ticked and set(lines) - ticked  # both kinds are on screen
            for value, text in lines.items():
                box = text.split(value)[0]
                assert ("✓" in box) == (value in ticked), text
            count = len(preview.plan.selected)
            buttons = {b.id: str(b.label) for b in preview.query(Button)}
            assert buttons == {"no": "Cancel", "yes": f"Send {count:,} request{'' if count == 1 else 's'}"}
            drawn_buttons = " ".join(str(b.render()) for b in preview.query(Button))
            assert "Cancel" in drawn_buttons and f"Send {count:,} request" in drawn_buttons
            await pilot.press("space")  # space on the focused list ticks the highlighted category
            await wait_for(pilot, lambda: set(categories.selected) != ticked)
            await pilot.press("escape")
            assert not isinstance(app.screen, RetryPreview)


async def test_export_dialog_names_the_rows_and_no_keeps_the_choices(demo: Emulator, tmp_path: Path) -> None:
    from textual.widgets import Input, RadioSet

    from batchdeck.tui.screens.export_dialog import ExportDialog

    session = make_session(demo, tmp_path)
    session.settings = session.settings.with_values({"results.export_dir": str(tmp_path)})
    app = BatchdeckApp(session)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_results(pilot, app, errored_not_canceled)
        batch_id = screen.shown_batch.id
        await pilot.press("f")  # failed rows only
        await wait_for(pilot, lambda: "outcome failed" in header(screen))
        await pilot.press("E")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        path = dialog.query_one("#export-path", Input)

        def name() -> str:
            return Path(path.value).name

        assert name() == f"{batch_id}-canceled-errored-expired.jsonl"  # the rows shown: the filter's name
        await pilot.press("tab", "down", "space")  # every result: no filter in the name
        await wait_for(pilot, lambda: name() == f"{batch_id}.jsonl")
        await pilot.press("shift+tab", "down", "space")  # csv
        await wait_for(pilot, lambda: name() == f"{batch_id}.csv")
        target = tmp_path / name()
        target.write_text("keep me")
        path.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is not dialog)
        assert drawn(app.screen.query_one("#dialog-title", Static)) == "Replace the file?"
        await pilot.press("n")  # no: back to the dialog, the choices as they were
        await wait_for(pilot, lambda: app.screen is dialog)
        assert target.read_text() == "keep me" and name() == f"{batch_id}.csv"
        assert dialog.query_one("#export-format", RadioSet).pressed_button.name == "csv"
        assert dialog.query_one("#export-subset", RadioSet).pressed_button.name == "all"
        await pilot.press("enter", "y")  # yes this time
        await wait_for(pilot, lambda: target.read_text().startswith("custom_id,"))
        assert len(target.read_text().splitlines()) == screen.shown_batch.counts.total + 1


async def test_a_long_export_shows_its_progress(demo: Emulator, tmp_path: Path) -> None:
    session = make_session(demo, tmp_path)
    app = BatchdeckApp(session)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_results(pilot, app, lambda b: ended(b) and 2000 <= b.counts.total <= 3000)
        total = screen.total
        headers: list[str] = []
        field = screen.query_one("#results-header", Static)
        update = field.update

        def recorded(content: object = "", **kwargs: object) -> None:
            headers.append(str(content).splitlines()[0])
            update(content, **kwargs)  # type: ignore[arg-type]

        field.update = recorded  # type: ignore[method-assign]  # records each header drawn, then draws it
        target = tmp_path / "all.text.jsonl"
        await pilot.press("E")
        path = app.screen.query_one("#export-path")
        path.value = str(target)  # type: ignore[attr-defined]
        path.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: target.exists() and "exporting" not in header(screen))
        progress = [h for h in headers if "exporting" in h]
        assert progress[0].endswith(f"exporting to {target.name}…")
        assert any(f" of {total:,} rows to {target.name}…" in h for h in progress[1:]), progress
        assert len(target.read_text().splitlines()) == total
