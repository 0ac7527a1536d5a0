"""Child process for tui_bench.py: runs the real app headless and reports what it measured.

Usage: tui_child.py MODE DB_PATH BASE_URL [SECONDS]
- baseline: Textual's floor, the smallest app painting one widget: prints `PAINT <time>`
- paint: prints `PAINT <time> <rows>` once the batch list has drawn its first rows
- keys: after the first paint, presses every sort (descending, then ascending) and quick filter and types a
  `/` filter, and prints
  `KEY <name> <seconds>` for each key, from the key event posted to the first frame drawn with the new view
  (and `floor`: a cursor step, a key and one frame alone)
- idle: runs SECONDS (polling, background downloads on as the demo has them), printing `SETTLED <time>` each
  time the background downloads have finished, then exits
- demo: `batchdeck demo` itself (its emulator, its job, its folder): prints `PAINT <time> <rows>`
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from rich.console import RenderableType
from textual import events
from textual._compositor import CompositorUpdate
from textual.screen import Screen

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

    pressed: tuple[int, bool] | None = None  # the view's generation when a key was pressed; wants a new view
    drawn = asyncio.Event()
    drawn_at = 0.0

    async def press_and_draw(self, key: str, new_view: bool) -> float:
        """Post the key as the driver would; return when it was posted, once a frame shows what it asked for."""
        self.drawn = asyncio.Event()
        self.pressed = (self.main.generation, new_view)
        started = time.perf_counter()
        assert self._driver is not None
        self._driver.send_message(events.Key(key, key if len(key) == 1 else None))
        await self.drawn.wait()
        return started

    def _display(self, screen: Screen[object], renderable: RenderableType | None) -> None:
        super()._display(screen, renderable)
        if isinstance(renderable, CompositorUpdate):
            renderable.render_segments(self.console)  # what a terminal's driver would write (headless skips it)
            if self.pressed is not None and self._shows_view(*self.pressed):
                self.pressed, self.drawn_at = None, time.perf_counter()
                self.drawn.set()

    def _shows_view(self, generation: int, new_view: bool) -> bool:
        """The frame drawn shows the newest view, read and with its cursor row (any frame, for other keys)."""
        if not new_view:
            return True
        batch_list = self.main.query_one(BatchList)
        caught_up = batch_list.generation == self.main.generation > generation
        return caught_up and (not batch_list.total or batch_list.current is not None)

    def run(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        super().run(headless=True, size=(120, 40))  # `batchdeck demo` runs it in a terminal


async def press_keys(app: Probe) -> None:
    """Each key, from the key event posted (as a terminal's driver posts it) to the first frame drawn with what
    the key asked for, its terminal bytes rendered as a real driver would."""
    async with app.run_test(size=(120, 40)) as pilot:
        batch_list = app.main.query_one(BatchList)
        while batch_list.row_at(0) is None:
            await asyncio.sleep(0.01)
        await pilot.pause()
        keys = [("down", f"floor {i}", False) for i in range(3)]  # a cursor step: a key and one frame alone
        keys += [("s", f"sort {i}", True) for i in range(8)] + [("S", "reverse", True)]
        keys += [("s", f"sort_up {i}", True) for i in range(8)]  # every sort again, ascending
        keys += [("f", f"quick {i}", True) for i in range(5)] + [("slash", "/", False)]
        keys += [(c, f"type {c}", True) for c in "nightly-1"]
        for key, name, new_view in keys:
            started = await app.press_and_draw(key, new_view)
            print(f"KEY {name.replace(' ', '_')} {app.drawn_at - started:.4f}", flush=True)
            await pilot.pause()  # the next key starts from a settled screen


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
