"""The list's footer: its keys follow the first rows, drawn by one recompose however many binding changes came."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets._footer import FooterKey

from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.widgets.key_footer import KeyFooter
from tests.ui.conftest import make_session, rows, wait_for

pytestmark = pytest.mark.anyio


async def test_the_footer_keys_follow_the_first_rows(demo: Emulator, tmp_path: Path) -> None:
    session = make_session(demo, tmp_path)
    Workspace(session.config, session.profile, session.db_path, session.clock).syncer().sync()
    app = BatchdeckApp(session, poll=False)
    recomposes: list[int] = []
    async with app.run_test(size=(120, 40)) as pilot:
        footer = app.main.query_one(KeyFooter)
        first_rows = False

        async def counted() -> None:
            recomposes.append(len(rows(app)))
            await KeyFooter.recompose(footer)

        footer.recompose = counted  # type: ignore[method-assign]
        await wait_for(pilot, lambda: len(footer.query(FooterKey)) > 0)
        first_rows = len(rows(app)) > 0
        keys = {key.key for key in footer.query(FooterKey)}
    assert first_rows and recomposes[0] > 0  # the keys came once the rows were there
    assert len(recomposes) == 1  # the start's binding changes drew them once
    assert {"enter", "q", "question_mark"} <= keys
