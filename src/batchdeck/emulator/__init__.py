"""A local emulator of the Anthropic Message Batches HTTP API.

It imports nothing else from batchdeck, so it encodes the API's behaviour rather than our
client's assumptions. See `Emulator` for the in-process handle.
"""

from batchdeck.emulator.catalog import Catalog, load_catalog
from batchdeck.emulator.config import DEFAULT_WORKSPACE, EmulatorConfig
from batchdeck.emulator.faults import FaultConfig, parse_fault_spec
from batchdeck.emulator.handle import Emulator
from batchdeck.emulator.outcomes import Rates
from batchdeck.emulator.scenarios import SCENARIOS

__all__ = [
    "DEFAULT_WORKSPACE",
    "SCENARIOS",
    "Catalog",
    "Emulator",
    "EmulatorConfig",
    "FaultConfig",
    "Rates",
    "load_catalog",
    "parse_fault_spec",
]
