"""Child process for tui_bench.py: runs the real app headless and reports when the list is first painted.

Usage: tui_child.py paint|idle|baseline DB_PATH BASE_URL
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

mode, db_path, base_url = sys.argv[1], Path(sys.argv[2]), sys.argv[3]

if mode == "baseline":  # Textual's own floor: the smallest app painting one widget
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
from batchdeck.tui.app import BatchdeckApp  # noqa: E402
from batchdeck.tui.messages import DataLoaded  # noqa: E402


class Probe(BatchdeckApp):
    painted = False

    def on_data_loaded(self, message: DataLoaded) -> None:  # after the main screen has shown it (it bubbles up)
        if mode == "paint" and message.batches and not self.painted:
            self.painted = True
            self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        print(f"PAINT {time.time()} {len(self.main.query_one('BatchList').rows)}", flush=True)
        self.exit()


profile = Profile("bench", api_key="bench-key", base_url=base_url)
# Idle means polling only: background results downloads (the demo's 100,000-row batch among them) are work.
settings = {"results.auto_download": False}
session = Session(
    Config(db_path.parent / "config.toml", profiles={"bench": profile}, settings=settings), profile, db_path=db_path
)
app = Probe(session)
if mode == "idle":
    app.call_later(lambda: app.set_timer(float(sys.argv[4]), app.exit))
app.run(headless=True, size=(120, 40))
