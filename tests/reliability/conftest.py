"""The reliability suite: the program under injected API faults, SIGKILLs, bad input and a watch for secrets.

Fixtures come from the core tests (a temp home per test, the default profile on the emulator);
the numbers the suite reaches are the module constants of each test file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from batchdeck.emulator import Emulator, FaultConfig
from tests.core.conftest import home, ws  # noqa: F401  (fixtures reused as they are)

# 429, 500 and 529 answers, slow answers and connections dropped before any answer: each drawn
# independently per request, so 1 - 0.95^3 * 0.96 * 0.965 = 20.6% of requests are faulted.
FAULT_RATES = {"rate_429": 0.05, "rate_500": 0.05, "rate_529": 0.05, "rate_slow": 0.04, "rate_drop": 0.035}
COMBINED_RATE = 1 - (1 - 0.05) ** 3 * (1 - 0.04) * (1 - 0.035)


def faults(seed: int, **extra: float) -> FaultConfig:
    """The suite's fault mix: a 20% combined rate, short waits (slow = 50 ms, retry-after 10 ms)."""
    return FaultConfig(**{**FAULT_RATES, **extra}, slow_seconds=0.05, retry_after=0.01, seed=seed)  # type: ignore[arg-type]


def faulted_share(emulator: Emulator) -> tuple[int, int]:
    """(requests answered with an injected 429/500/529 or dropped, all requests) so far."""
    stats = emulator.stats.as_dict()["statuses"]
    assert isinstance(stats, dict)
    bad = sum(n for key, n in stats.items() if key.rsplit(" ", 1)[1] in ("429", "500", "529", "0"))
    return bad, emulator.stats.calls()


def use_home(monkeypatch: pytest.MonkeyPatch, root: Path, emulator: Emulator) -> Path:
    """Point the XDG dirs and the default profile at `root` and `emulator` (a second, independent run)."""
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(root / var.lower()))
    monkeypatch.setenv("ANTHROPIC_BASE_URL", emulator.base_url)
    return root


def integrity(db_path: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    """Errors are checked as users see them: one line, no traceback."""
    monkeypatch.delenv("BATCHDECK_DEBUG", raising=False)
