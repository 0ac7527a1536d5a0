"""A long-lived handle on one profile for an interactive app: one API client, a cache connection per task.

SQLite connections must not be shared between threads, and closing one that another thread
is using can crash the process, so each task opens its own short-lived `Workspace` (a cheap
open of the same file) and closes it in the thread that used it. The SDK client is
thread-safe and worth reusing (its connection pool), so every workspace shares one.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
        self._lock = threading.Lock()
        self._api: BatchesApi | None = None

    def setting(self, key: str) -> Any:
        """A setting as it applies to this profile (its own value over the global one)."""
        return self.config.get(key, self.profile.name)

    def api(self) -> BatchesApi:
        with self._lock:
            if self._api is None:
                from batchdeck.core.api import BatchesApi

                self._api = BatchesApi(self.profile, max_retries=int(self.setting("sync.max_retries")),
                                       timeout=float(self.setting("sync.timeout")))
            return self._api

    def workspace(self) -> Workspace:
        """A workspace for one task, to be closed by the thread that opened it (use `with`)."""
        return Workspace(self.config, self.profile, self.db_path, self.clock, api_factory=self.api)

    def close(self) -> None:
        with self._lock:
            if self._api is not None:
                self._api.close()
                self._api = None
