"""Child process for tui_bench.py: runs the real app headless and reports what it measured.

Usage: tui_child.py MODE DB_PATH BASE_URL [SECONDS]
- baseline: Textual's floor, the smallest app painting one widget: prints `PAINT <time>`
- paint: prints `PAINT <time> <rows>` once the batch list has drawn its first rows
- keys: after the first paint, presses every sort and quick filter and types a `/` filter, and prints
  `KEY <name> <seconds>` for each key, from the press to the list drawn with the new view
- idle: runs SECONDS (polling, background downloads on as the demo has them), printing `SETTLED <time>` each
  time the background downloads have finished, then exits
- demo: `batchdeck demo` itself (its emulator, its job, its folder): prints `PAINT <time> <rows>`
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

mode, db_path, base_url = sys.argv[1], Path(sys.argv[2]), sys.argv[3]

if mode == "baseline":
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Hello(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("hello")

        def on_mount(self) -> None:
            self.call_after_refresh(lambda: (print(f"PAINT {time.time()}", flush=True), self.exit()))

    Hello().run(headless=True)
    raise SystemExit(0)

from batchdeck.core.config.model import Config  # noqa: E402
from batchdeck.core.config.profiles import Profile  # noqa: E402
from batchdeck.core.session import Session  # noqa: E402
from batchdeck.tui import app as tui_app  # noqa: E402
from batchdeck.tui.widgets.batch_list import BatchList  # noqa: E402


class Probe(tui_app.BatchdeckApp):
    """Says when the list has first drawn rows (the screen has shown them when its messages reach the app)."""

    painted = False
    exit_on_paint = mode in ("paint", "demo")

    def _check(self) -> None:
        if not self.painted and self.main.query_one(BatchList).row_at(0) is not None:
            self.painted = True
            self.call_after_refresh(self._painted)

    def on_data_loaded(self) -> None:
        self._check()

    def on_rows_read(self) -> None:
        self._check()

    def _painted(self) -> None:
        print(f"PAINT {time.time()} {self.main.query_one(BatchList).total}", flush=True)
        if self.exit_on_paint:
            self.exit()

    def on_auto_downloads_done(self) -> None:
        """The background results downloads have finished: from here on the app only polls."""
        print(f"SETTLED {time.time()}", flush=True)

    def run(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        super().run(headless=True, size=(120, 40))  # `batchdeck demo` runs it in a terminal


async def press_keys(app: Probe) -> None:
    """Each key, from the press to the list drawn with the view it asked for."""
    async with app.run_test(size=(120, 40)) as pilot:
        batch_list = app.main.query_one(BatchList)
        while batch_list.row_at(0) is None:
            await asyncio.sleep(0.01)
        await pilot.pause()
        keys = [("z", f"noop {i}") for i in range(3)]  # an unbound key: what a press and a repaint cost alone
        keys += [("s", f"sort {i}") for i in range(8)] + [("S", "reverse")]
        keys += [("f", f"quick {i}") for i in range(5)] + [("slash", "/")]
        keys += [(c, f"type {c}") for c in "nightly-1"]
        for key, name in keys:
            started = time.perf_counter()
            await pilot.press(key)
            while batch_list.generation != app.main.generation or (batch_list.total and batch_list.current is None):
                await asyncio.sleep(0.001)
            await pilot.pause()
            print(f"KEY {name.replace(' ', '_')} {time.perf_counter() - started:.4f}", flush=True)


if mode == "demo":
    import argparse

    from batchdeck.commands import demo_cmd
    from batchdeck.commands.tui_cmd import QuitOnSignal

    tui_app.BatchdeckApp = Probe  # type: ignore[misc]  # the demo imports the app class when it starts it
    demo_cmd._run_in_folder(
        argparse.Namespace(speed=demo_cmd.DEMO_SPEED, readonly=False, readonly_global=False), QuitOnSignal()
    )
    raise SystemExit(0)

profile = Profile("bench", api_key="bench-key", base_url=base_url)
session = Session(Config(db_path.parent / "config.toml", profiles={"bench": profile}), profile, db_path=db_path)
app = Probe(session)
if mode == "keys":
    asyncio.run(press_keys(app))
    raise SystemExit(0)
if mode == "idle":
    app.call_later(lambda: app.set_timer(float(sys.argv[4]), app.exit))
app.run()
