"""Seeded workspaces: `empty`, and `demo` (about 60 batches over 35 days, in every state).

Times are relative to the clock's now, so the demo always looks current: a few batches
finish within minutes, one is canceling, and the history has clean runs, partial failures
of several error types, expired rows, cancellations, archive-soon and archived batches, and
one ended batch of 100,000 requests. Live batches and history run at one pace, so the usual
turnaround batchdeck learns from the history fits them: one live batch alone is unusually slow.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from batchdeck.emulator.batch import DAY, HOUR
from batchdeck.emulator.config import DEFAULT_WORKSPACE
from batchdeck.emulator.outcomes import Rates
from batchdeck.emulator.plans import FEATURE_CACHE, FEATURE_THINKING, FEATURE_TOOLS
from batchdeck.emulator.sources import TASKS, SyntheticSource, SyntheticSpec
from batchdeck.emulator.store import BatchStore

MINUTE = 60.0
# How long the demo's batches take: a base and a per-request time, times a spread. The live batches
# and the history share this pace, so that the turnaround batchdeck learns from the history fits the
# live batches, and only the one meant to be unusually slow (20,000 requests, 2 h in) runs past it.
BASE_SECONDS = 30 * MINUTE
PER_REQUEST_SECONDS = 0.1
SPREAD = (0.8, 1.5)
MODELS = (
    "claude-haiku-4-5",
    "claude-sonnet-4-6",
    "claude-sonnet-5",
    "claude-opus-4-6",
    "claude-haiku-5-5",
    "claude-opus-5",
    "claude-sonnet-4-5",
)
FEATURES = (0, 0, 0, FEATURE_CACHE, FEATURE_TOOLS, FEATURE_THINKING)
NO_FAILURES = Rates()  # frozen: one shared default


class _DemoBuilder:
    def __init__(self, store: BatchStore, seed: int) -> None:
        self.store = store
        self.rng = random.Random(seed)
        self.pace = random.Random(f"demo-pace-{seed}")  # its own stream: the other draws stay as they were
        self.now = store.clock.now()
        self.n = 0

    def add(
        self,
        age: float,
        count: int,
        *,
        duration: float | None = None,
        rates: Rates = NO_FAILURES,
        cancel_fraction: float | None = None,
        cancel_latency: float | None = None,
        model: str | None = None,
        features: int | None = None,
        invalid_every: int = 0,
        too_long_every: int = 0,
    ) -> None:
        rng = self.rng
        task = rng.choice(sorted(TASKS))
        self.n += 1
        spec = SyntheticSpec(
            prefix=f"{task}-{self.n:02d}",
            count=count,
            task=task,
            model=model or rng.choice(MODELS),
            max_tokens=rng.choice((256, 512, 1024, 2048)),
            invalid_every=invalid_every,
            too_long_every=too_long_every,
            features=rng.choice(FEATURES) if features is None else features,
        )
        batch = self.store.new_batch(
            SyntheticSource(spec), DEFAULT_WORKSPACE, rates, created_at=self.now - age, seed=self.store.seed + self.n
        )
        if duration is not None:
            batch.duration = duration
        elif cancel_fraction is None:  # a canceled one keeps the emulator's pace: its counts stay as they were
            batch.duration = self.usual_duration(count)
        if cancel_fraction is not None:  # canceled this far into its processing time
            batch.cancel_initiated_at = batch.created_at + cancel_fraction * batch.duration
        if cancel_latency is not None:
            batch.cancel_latency = cancel_latency

    def usual_duration(self, count: int) -> float:
        """How long a batch of `count` requests takes in the demo's workspace (see BASE_SECONDS)."""
        return (BASE_SECONDS + PER_REQUEST_SECONDS * count) * self.pace.uniform(*SPREAD)


def _seed_demo(store: BatchStore, seed: int) -> None:
    b = _DemoBuilder(store, seed)
    rng = b.rng
    # Live now: three finish within minutes, one runs for hours, one is canceling.
    for age, ends_in, size in (
        (28 * MINUTE, 3 * MINUTE, 40),
        (25 * MINUTE, 6 * MINUTE, 250),
        (22 * MINUTE, 10 * MINUTE, 1200),
    ):
        b.add(age, size, duration=age + ends_in, rates=Rates(error_rate=0.02))
    b.add(2 * HOUR, 20_000, duration=7 * HOUR, model="claude-sonnet-4-6")
    b.add(40 * MINUTE, 800, duration=3 * HOUR, cancel_fraction=0.2, cancel_latency=5 * MINUTE)
    # One large ended batch, a few days old.
    b.add(3 * DAY, 100_000, model="claude-haiku-4-5", features=0, rates=Rates(error_rate=0.004))
    # History within the 29-day window.
    for _ in range(30):
        b.add(
            rng.uniform(0.2, 25) * DAY,
            rng.choice((12, 50, 200, 500, 1000, 2500, 5000)),
            rates=Rates(error_rate=rng.choice((0.0, 0.0, 0.0, 0.01, 0.05))),
        )
    for _ in range(4):  # invalid requests: unknown models and too many output tokens
        b.add(
            rng.uniform(1, 20) * DAY,
            rng.choice((300, 800)),
            invalid_every=40,
            too_long_every=97,
            rates=Rates(error_rate=0.02),
        )
    for _ in range(3):  # rows that never ran before the 24 h limit
        b.add(rng.uniform(2, 20) * DAY, rng.choice((400, 2000)), rates=Rates(error_rate=0.01, expire_rate=0.03))
    for _ in range(3):  # canceled part-way
        b.add(rng.uniform(1, 22) * DAY, rng.choice((600, 3000)), cancel_fraction=rng.uniform(0.2, 0.6))
    for age in (26.5, 27.5, 28.5):  # results archived within three days
        b.add(age * DAY, rng.choice((100, 700)), rates=Rates(error_rate=0.01))
    for _ in range(8):  # archived: older than 29 days
        b.add(rng.uniform(29.3, 35) * DAY, rng.choice((50, 300, 1500)), rates=Rates(error_rate=0.01))
    for count in (10_000, 15_000, 20_000, 25_000):  # last month's large runs (37 min-1 h 47 min), so the
        # live 20,000-request batch, 2 h in, is the one unusually slow batch (archived: nothing to download)
        b.add(rng.uniform(29.5, 34) * DAY, count, rates=Rates(error_rate=0.005))


SCENARIOS: dict[str, Callable[[BatchStore, int], None]] = {
    "empty": lambda store, seed: None,
    "demo": _seed_demo,
}


def seed_scenario(store: BatchStore, name: str, seed: int) -> None:
    try:
        builder = SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; choose one of: {', '.join(SCENARIOS)}") from None
    builder(store, seed)
