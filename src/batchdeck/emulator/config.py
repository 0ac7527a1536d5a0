"""Settings of one emulator instance (all optional; the defaults emulate a quiet, healthy API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from batchdeck.emulator.catalog import DEFAULT_CATALOG, Catalog
from batchdeck.emulator.create import MAX_BODY_BYTES, MAX_REQUESTS
from batchdeck.emulator.faults import FaultConfig
from batchdeck.emulator.outcomes import Rates

DEFAULT_WORKSPACE = "wrkspc_01emulatordefault00000"


@dataclass
class EmulatorConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0 = any free port
    speed: float = 1.0  # simulated seconds per real second; 0 freezes the clock
    start_time: float | None = None  # virtual time at start (default: now)
    seed: int = 0
    scenario: str = "empty"
    api_keys: dict[str, str] | None = None  # key -> workspace id; None accepts any non-empty key
    rates: Rates = field(default_factory=Rates)
    cancel_latency: float = 45.0  # simulated seconds from cancel to ended
    public_url: str | None = None  # base of results_url (default: the request's Host)
    state_dir: Path | None = None  # keep batches across restarts
    max_body_bytes: int = MAX_BODY_BYTES
    max_requests: int = MAX_REQUESTS
    faults: FaultConfig = field(default_factory=FaultConfig)
    log_requests: bool = False
    catalog: Catalog = DEFAULT_CATALOG  # models and their rules (see `catalog.load_catalog`)
