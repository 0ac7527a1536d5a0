"""A long-lived handle on one profile for an interactive app: a cache connection per thread, one API client.

SQLite connections must not be shared between threads at once, while the SDK client is
thread-safe and worth reusing (its connection pool), so workers each get their own
`Workspace` over the same file and the same `BatchesApi`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from batchdeck.core import paths
from batchdeck.core.clock import Clock, utcnow
from batchdeck.core.config import Config, Profile
from batchdeck.core.workspace import Workspace

if TYPE_CHECKING:
    from batchdeck.core.api import BatchesApi


class Session:
    def __init__(self, config: Config, profile: Profile, db_path: Path | None = None, clock: Clock = utcnow) -> None:
        self.config = config
        self.profile = profile
        self.db_path = db_path or paths.database_file()
        self.clock = clock
        self._local = threading.local()
        self._lock = threading.Lock()
        self._api: BatchesApi | None = None
        self._opened: list[Workspace] = []

    def api(self) -> BatchesApi:
        with self._lock:
            if self._api is None:
                from batchdeck.core.api import BatchesApi

                self._api = BatchesApi(self.profile, max_retries=int(self.config.get("sync.max_retries")),
                                       timeout=float(self.config.get("sync.timeout")))
            return self._api

    def workspace(self) -> Workspace:
        """This thread's workspace (opened on first use). Its `api` is the shared client."""
        ws: Workspace | None = getattr(self._local, "workspace", None)
        if ws is None:
            ws = Workspace(self.config, self.profile, self.db_path, self.clock, api_factory=self.api)
            self._local.workspace = ws
            with self._lock:
                self._opened.append(ws)
        return ws

    def close(self) -> None:
        with self._lock:
            for ws in self._opened:
                ws.close()
            self._opened.clear()
            if self._api is not None:
                self._api.close()
                self._api = None
