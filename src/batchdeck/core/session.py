"""A long-lived handle on one profile for an interactive app: one API client, a cache connection per task.

SQLite connections must not be shared between threads, and closing one that another thread
is using can crash the process, so each task opens its own short-lived `Workspace` (a cheap
open of the same file) and closes it in the thread that used it. The SDK client is
thread-safe and worth reusing (its connection pool), so every workspace shares one.

The session's clock is the API's: the local clock plus the skew the client last measured from
a response's `Date` header, so ages, countdowns and the timestamps a session writes agree with
the `created_at` the API wrote, even on a machine whose clock is off.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchdeck.core.clock import Clock, utcnow
from batchdeck.core.config import paths
from batchdeck.core.config.config_file import Config, Profile
from batchdeck.core.workspace import Workspace

if TYPE_CHECKING:
    from batchdeck.core.api.client import BatchesApi


class Session:
    def __init__(self, config: Config, profile: Profile, db_path: Path | None = None, clock: Clock = utcnow) -> None:
        self.config = config
        self.profile = profile
        self.db_path = db_path or paths.database_file()
        self.local_clock = clock
        self.clock: Clock = self.api_now
        self.clock_note: str | None = None  # said in the TUI's status line (the demo's clock runs fast)
        self._lock = threading.Lock()
        self._api: BatchesApi | None = None

    @property
    def skew_seconds(self) -> float:
        """The API's clock minus the local one, as last measured (0 before any answer)."""
        api = self._api
        return api.skew_seconds if api is not None else 0.0

    def api_now(self) -> datetime:
        """Now, on the API's clock."""
        return self.local_clock() + timedelta(seconds=self.skew_seconds)

    def setting(self, key: str) -> Any:
        """A setting as it applies to this profile (its own value over the global one)."""
        return self.config.get(key, self.profile.name)

    def api(self) -> BatchesApi:
        with self._lock:
            if self._api is None:
                from batchdeck.core.api.client import BatchesApi

                self._api = BatchesApi(
                    self.profile,
                    max_retries=int(self.setting("sync.max_retries")),
                    timeout=float(self.setting("sync.timeout")),
                    clock=self.local_clock,
                )
            return self._api

    def workspace(self) -> Workspace:
        """A workspace for one task, to be closed by the thread that opened it (use `with`)."""
        return Workspace(self.config, self.profile, self.db_path, self.clock, api_factory=self.api)

    def close(self) -> None:
        with self._lock:
            if self._api is not None:
                self._api.close()
                self._api = None
