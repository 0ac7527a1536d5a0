"""A long-lived handle on one profile for an interactive app: a factory of workspaces, one per thread.

SQLite connections must not be shared between threads, and closing one that another thread
is using can crash the process, so each task opens its own short-lived `Workspace` (a cheap
open of the same file) and closes it in the thread that used it. The API client is
thread-safe and worth reusing (its connection pool), so every workspace shares one, and
every workspace gets the settings the session read once.

The session's clock is the API's: the local clock plus the skew the client last measured from
a response's `Date` header, so ages, countdowns and the timestamps a session writes agree with
the `created_at` the API wrote, even on a machine whose clock is off.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from batchdeck.core.clock import Clock, utcnow
from batchdeck.core.config import paths
from batchdeck.core.config.model import Config
from batchdeck.core.config.profiles import Profile
from batchdeck.core.workspace import Workspace, open_api

if TYPE_CHECKING:
    from batchdeck.core.api.client import BatchesApi


class Session:
    def __init__(self, config: Config, profile: Profile, db_path: Path | None = None, clock: Clock = utcnow) -> None:
        self.config = config
        self.profile = profile
        self.settings = config.settings_for(profile.name)  # read once; every workspace it makes shares it
        self.db_path = db_path or paths.database_file()
        self.local_clock = clock
        self.clock_note: str | None = None  # said in the TUI's status line (the demo's clock runs fast)
        self._lock = threading.Lock()
        self._api: BatchesApi | None = None

    def clock(self) -> datetime:
        """Now, on the API's clock (the local one before any answer measured the skew)."""
        api = self._api
        return self.local_clock() + timedelta(seconds=api.skew_seconds if api is not None else 0.0)

    def api(self) -> BatchesApi:
        """The one API client every workspace of this session shares, made on first use."""
        with self._lock:
            if self._api is None:
                self._api = open_api(self.profile, self.settings, self.local_clock)
            return self._api

    def workspace(self) -> Workspace:
        """A workspace for one task, to be closed by the thread that opened it (use `with`)."""
        return Workspace(
            self.config, self.profile, self.db_path, self.clock, api_factory=self.api, settings=self.settings
        )

    def close(self) -> None:
        with self._lock:
            if self._api is not None:
                self._api.close()
                self._api = None
