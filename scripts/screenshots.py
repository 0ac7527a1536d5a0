"""Export the TUI's main screens as SVG into screenshots/ (the demo workspace, frozen at one moment).

Run: .venv/bin/python scripts/screenshots.py [NAME.svg ...]   (no names: every screenshot)
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from batchdeck.commands.demo_cmd import demo_session  # noqa: E402
from batchdeck.commands.demo_history import label_history, save_results  # noqa: E402
from batchdeck.emulator import Emulator  # noqa: E402
from batchdeck.tui.app import BatchdeckApp  # noqa: E402
from batchdeck.tui.screens.results import ResultsScreen  # noqa: E402
from batchdeck.tui.screens.spend import SpendScreen  # noqa: E402
from batchdeck.tui.widgets.result_list import ResultList  # noqa: E402

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SHOTS = [  # (file, terminal size, keys pressed after the first sync; the spend screen's results are saved first)
    ("main.svg", (110, 34), ()),
    ("main-80x24.svg", (80, 24), ()),
    ("detail.svg", (100, 30), ("enter",)),
    ("confirm-cancel.svg", (100, 30), ("c",)),
    ("help.svg", (100, 34), ("question_mark",)),
    ("filter-failed.svg", (110, 34), ("f", "f")),
    ("results.svg", (130, 34), ("j", "j", "j", "j", "j", "o", "f")),  # a batch with errored rows, failures only
    ("spend.svg", (100, 34), ("dollar_sign", "b")),  # by label
]


async def shoot(name: str, size: tuple[int, int], keys: tuple[str, ...]) -> None:
    with (
        Emulator(speed=0, start_time=START.timestamp(), scenario="demo") as emulator,
        tempfile.TemporaryDirectory() as home,
    ):
        session = demo_session(emulator.base_url, Path(home), clock=lambda: START)
        session.settings = session.settings.with_values({"results.auto_download": False})  # the same picture every time
        with session.workspace() as ws:  # the demo's labels; for the spend screen, its results saved
            label_history(ws, emulator)
            if "dollar_sign" in keys:
                save_results(ws)
        app = BatchdeckApp(session)
        async with app.run_test(size=size) as pilot:
            while app.main.feed.polls_done < 1:
                await pilot.pause(0.05)
            for key in keys:
                await pilot.press(key)
                while isinstance(app.screen, ResultsScreen) and app.screen.query_one(ResultList).current is None:
                    await pilot.pause(0.05)  # the results are downloading
                while isinstance(app.screen, SpendScreen) and not app.screen.ready:
                    await pilot.pause(0.05)  # the figures are being read
            await pilot.pause(0.3)
            app.save_screenshot(filename=name, path=str(ROOT / "screenshots"))
    print(f"screenshots/{name}")


async def main() -> None:
    wanted = set(sys.argv[1:])
    for name, size, keys in SHOTS:
        if not wanted or name in wanted:
            await shoot(name, size, keys)


if __name__ == "__main__":
    asyncio.run(main())
