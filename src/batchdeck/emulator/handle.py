"""`Emulator`: one running emulator, usable in-process (tests, demo) or from the command line.

with Emulator(speed=0) as emu:
    client = anthropic.Anthropic(base_url=emu.base_url, api_key="test")
    batch = client.messages.batches.create(requests=[...])
    emu.advance(25 * 3600)          # every batch has ended
    emu.faults.queue("529", count=2)  # the next two requests are overloaded
    emu.stats.calls("list")         # how many list requests were made
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
import traceback
from typing import Any

from batchdeck.emulator.api import ORGANIZATION_ID, BatchesApi, authenticate, endpoint_of
from batchdeck.emulator.batch import Batch
from batchdeck.emulator.clock import VirtualClock, rfc3339
from batchdeck.emulator.config import EmulatorConfig
from batchdeck.emulator.control import handle_control
from batchdeck.emulator.create import too_large
from batchdeck.emulator.errors import ApiError
from batchdeck.emulator.faults import FaultInjector
from batchdeck.emulator.http_types import Request, Response
from batchdeck.emulator.outcomes import Rates
from batchdeck.emulator.persist import StateDir
from batchdeck.emulator.scenarios import seed_scenario
from batchdeck.emulator.server import FAULT_ERRORS, EmulatorServer
from batchdeck.emulator.stats import Stats
from batchdeck.emulator.store import BatchStore

RATE_LIMIT_HEADERS = {
    "anthropic-ratelimit-requests-limit": "20000",
    "anthropic-ratelimit-requests-remaining": "19999",
}


class Emulator:
    """A local Message Batches API. Configure with an `EmulatorConfig` or keyword overrides."""

    def __init__(self, config: EmulatorConfig | None = None, **overrides: Any) -> None:
        self.config = dataclasses.replace(config or EmulatorConfig(), **overrides)
        cfg = self.config
        if not 0 <= cfg.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, got {cfg.port}")
        self.clock = VirtualClock(cfg.start_time, cfg.speed)
        self.faults = FaultInjector(cfg.faults)
        self.stats = Stats()
        self.state_dir = StateDir(cfg.state_dir) if cfg.state_dir else None
        self.store = BatchStore(self.clock, cfg.seed, cfg.cancel_latency, on_change=self._persist_batch)
        self.api = BatchesApi(self.store, cfg.rates, cfg.max_requests, cfg.catalog)
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None
        if self.state_dir and self.state_dir.exists():
            meta = self.state_dir.load_meta(cfg.speed)
            self.clock.set_time(meta["virtual_now"])
            for batch in self.state_dir.load_batches():
                self.store.add(batch)
        else:
            self.seed(cfg.scenario)

    # -- control ------------------------------------------------------------------------------
    def seed(self, scenario: str) -> None:
        """Add a scenario's batches (`empty`, `demo`) to the workspace."""
        seed_scenario(self.store, scenario, self.config.seed)
        for batch in self.store.all_batches():
            self._persist_batch(batch)

    def advance(self, seconds: float) -> None:
        """Move the virtual clock forward (batches end, expire and archive accordingly)."""
        self.clock.advance(seconds)
        self._persist_meta()

    def set_rates(self, error_rate: float | None = None, expire_rate: float | None = None) -> None:
        """Failure rates for batches created from now on (existing batches keep theirs)."""
        current = self.api.rates
        self.api.rates = Rates(
            current.error_rate if error_rate is None else float(error_rate),
            current.expire_rate if expire_rate is None else float(expire_rate),
        )

    def record_create_bodies(self) -> dict[str, bytes]:
        """From now on keep every create body exactly as received (batch id -> bytes), for tests."""
        if self.api.bodies is None:
            self.api.bodies = {}
        return self.api.bodies

    def _persist_batch(self, batch: Batch) -> None:
        if self.state_dir:
            self.state_dir.save_batch(batch)
            self._persist_meta()

    def _persist_meta(self) -> None:
        if self.state_dir:
            self.state_dir.save_meta(self.clock.now(), self.config.seed)

    # -- serving ------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def bind(self) -> Emulator:
        """Open the listening socket (port 0 picks a free one) without serving yet."""
        self._server = EmulatorServer((self.config.host, self.config.port), self)
        return self

    def start(self) -> Emulator:
        """Bind and serve in a background thread."""
        if self._server is None:
            self.bind()
        assert self._server is not None
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="batchdeck-emulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until `stop()` or KeyboardInterrupt."""
        if self._server is None:
            self.bind()
        assert self._server is not None
        self._server.serve_forever()

    def stop(self) -> None:
        if self._server is not None:
            if self._thread is not None:
                self._server.shutdown()
                self._thread.join(timeout=5)
            self._server.server_close()
            self._server.close_connections()
            self._server = None
        self._persist_meta()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- requests -----------------------------------------------------------------------------
    def too_large_response(self, request: Request) -> Response:
        endpoint, _ = endpoint_of(request.method, request.path)
        self.stats.record(endpoint, 413)
        return self._error(too_large(self.config.max_body_bytes))

    def dispatch(self, request: Request) -> tuple[Response, str | None]:
        """Answer one request; the second value names a connection-level fault to apply."""
        if "/_emulator/" in request.path:
            return self._answer(lambda: self._control(request)), None
        endpoint, batch_id = endpoint_of(request.method, request.path)
        drawn = self.faults.pick(endpoint)
        fault = drawn.kind if drawn else None
        if fault == "drop":
            self.stats.record(endpoint, 0)
            return Response(0), fault
        if fault == "slow":
            time.sleep(self.faults.config.slow_seconds)
        workspace: list[str] = []

        def answer() -> Response:
            if fault in FAULT_ERRORS:
                raise self._fault_error(fault)
            workspace.append(authenticate(request.headers, self.config.api_keys))
            return self.api.handle(endpoint, batch_id, request, workspace[0])

        response = self._answer(answer)
        if workspace:
            response.headers["anthropic-workspace-id"] = workspace[0]
        if drawn and fault == "cut" and response.stream is None:
            self.faults.unused(drawn)
            fault = None
        self.stats.record(endpoint, response.status)
        return response, fault

    def _control(self, request: Request) -> Response:
        if self.config.api_keys is not None:
            authenticate(request.headers, self.config.api_keys)
        return handle_control(self, request)

    def _fault_error(self, fault: str) -> ApiError:
        """An injected 429/500/529, with the small `retry-after` and `x-should-retry` the spec asks for."""
        headers = {"retry-after": f"{self.faults.config.retry_after:g}", "x-should-retry": "true"}
        return dataclasses.replace(FAULT_ERRORS[fault], headers=headers)

    def _answer(self, produce: Any) -> Response:
        try:
            response: Response = produce()
        except ApiError as error:
            response = self._error(error)
        except Exception:  # a bug in the emulator must still answer like an API: 500
            traceback.print_exc(file=sys.stderr)
            response = self._error(ApiError(500, "api_error", "Internal server error"))
        response.headers.setdefault("anthropic-organization-id", ORGANIZATION_ID)
        response.headers.update(RATE_LIMIT_HEADERS)
        response.headers["anthropic-ratelimit-requests-reset"] = rfc3339(self.clock.now() + 60)
        return response

    @staticmethod
    def _error(error: ApiError) -> Response:
        return Response(error.status, error.envelope(""), dict(error.headers))
