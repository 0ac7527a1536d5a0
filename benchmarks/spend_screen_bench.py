"""Benchmark: the Spend screen (`$`) on 10,000 batches with saved results, against the details screen.

Run: python benchmarks/spend_screen_bench.py [--cache DIR]
(`--cache DIR` keeps the built cache in DIR and uses it again on the next run: building it downloads
10,000 result sets, minutes on 2 busy cores; the screens measured never call the API.)
The cache holds 10,000 ended batches of 10 requests each over the last 30 days, on four models, with
their results downloaded (through the emulator over HTTP, as the TUI saves them). The app runs headless
(Textual's Pilot). Each figure is the median of 5:
- details screen: `enter` until the batch details are painted: Textual's cost of pushing a screen,
  the baseline measured in the same run;
- spend screen: `$` until the range's figures are drawn (chart, words, table) and the app is idle;
- its data: the screen workers' two `core.spend` reports (per day and per model), called directly one
  after the other (the screen reads them at once, in two workers).
Goal (issue 15): the Spend screen paints within 1.5x the details screen's open time.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pilot_wait import details_screen_ms, until  # noqa: E402

from batchdeck.commands.demo_cmd import demo_session  # noqa: E402
from batchdeck.core.results.download import download  # noqa: E402
from batchdeck.core.session import Session  # noqa: E402
from batchdeck.core.spend.report import spend_report  # noqa: E402
from batchdeck.core.spend.span import SpendRange  # noqa: E402
from batchdeck.emulator import DEFAULT_WORKSPACE, Emulator, Rates  # noqa: E402
from batchdeck.emulator.sources import SyntheticSource, SyntheticSpec  # noqa: E402
from batchdeck.tui.app import BatchdeckApp  # noqa: E402
from batchdeck.tui.screens.spend import SpendScreen  # noqa: E402
from batchdeck.tui.widgets.batch_list import BatchList  # noqa: E402

BATCHES = 10_000
START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # the emulator's start; the app's clock is a day later
NOW = START + timedelta(days=1)
GOAL_RATIO = 1.5
RUNS = 5
MODELS = ("claude-haiku-4-5", "claude-sonnet-4-6", "claude-opus-4-6", "claude-sonnet-5")


async def measure(session: Session) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}

    def record(name: str, started: float) -> None:
        times.setdefault(name, []).append((time.perf_counter() - started) * 1000)

    app = BatchdeckApp(session, poll=False)
    app.main.keeper.auto_download = False
    async with app.run_test(size=(120, 40)) as pilot:
        batch_list = app.main.query_one(BatchList)
        await until(pilot, lambda: batch_list.total == BATCHES, timeout=60.0)
        for _ in range(RUNS):
            times.setdefault("details screen", []).append(await details_screen_ms(pilot, app))
            started = time.perf_counter()
            await pilot.press("dollar_sign")
            screen = app.screen
            assert isinstance(screen, SpendScreen)
            await until(pilot, lambda s=screen: s.ready)
            record("spend screen", started)
            assert screen.table_shown is not None and screen.table_shown.report.total.batches == BATCHES
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is app.main)
    with session.workspace() as ws:
        for _ in range(RUNS):
            started = time.perf_counter()
            span = SpendRange.since("30d", session.clock())
            spend_report(ws, span, "day")
            spend_report(ws, span, "model")
            record("its data (two reports)", started)
    return times


def build(emu: Emulator, home: Path) -> Session:
    """10,000 batches ended over the last 30 days, their results saved."""
    start = emu.clock.now()
    for i in range(BATCHES):
        emu.store.new_batch(
            SyntheticSource(SyntheticSpec(f"b{i}", 10, model=MODELS[i % len(MODELS)])),
            DEFAULT_WORKSPACE,
            Rates(),
            created_at=start - 27 * 86400 + i * 200,
        )
    emu.advance((NOW - START).total_seconds())
    session = demo_session(emu.base_url, home, clock=lambda: NOW)
    with session.workspace() as ws:
        assert ws.syncer().sync().ok
        for batch in ws.batches.query():
            download(ws, batch.id)
    return session


def main() -> int:
    kept = Path(sys.argv[sys.argv.index("--cache") + 1]) if "--cache" in sys.argv else None
    with tempfile.TemporaryDirectory() as tmp, Emulator(speed=0, start_time=START.timestamp()) as emu:
        home = kept or Path(tmp)
        if (home / "cache.db").exists():
            session = demo_session(emu.base_url, home, clock=lambda: NOW)
        else:
            home.mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()
            session = build(emu, home)
            print(f"cache of {BATCHES:,} batches with saved results built in {time.perf_counter() - started:.0f} s")
        times = asyncio.run(measure(session))
        session.close()
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f"{name:>24}: {value:7.1f} ms (median of {len(times[name])})")
    ratio = medians["spend screen"] / medians["details screen"]
    met = ratio <= GOAL_RATIO
    print(
        f"spend screen / details screen, in this run: {ratio:.2f} (goal <= {GOAL_RATIO}): {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
