"""One profile opened for work: its typed settings, its repositories in the cache (batches, jobs,
results) and, on first use, its API client. Core functions take a `Workspace`; a `Session` makes one
per thread for the TUI."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from batchdeck.core.clock import Clock, utcnow
from batchdeck.core.config import paths, toml_file
from batchdeck.core.config.model import Config
from batchdeck.core.config.profiles import Profile
from batchdeck.core.config.settings import Settings
from batchdeck.core.spend.pricing import PriceBook
from batchdeck.core.store.batch_repo import BatchRepo
from batchdeck.core.store.db import Database
from batchdeck.core.store.job_repo import JobRepo
from batchdeck.core.store.result_repo import ResultRepo
from batchdeck.core.sync.walk import Syncer
from batchdeck.core.timefmt import iso

if TYPE_CHECKING:
    from batchdeck.core.api.client import BatchesApi


def open_api(profile: Profile, settings: Settings, clock: Clock) -> BatchesApi:
    """The API client for a profile, with the `sync.*` settings; its HTTP stack loads only when one is made."""
    from batchdeck.core.api.client import BatchesApi

    return BatchesApi(profile, max_retries=settings.sync.max_retries, timeout=settings.sync.timeout, clock=clock)


class Workspace:
    def __init__(
        self,
        config: Config,
        profile: Profile,
        db_path: Path | None = None,
        clock: Clock = utcnow,
        api_factory: Callable[[], BatchesApi] | None = None,
        follow_api_clock: bool = False,
        settings: Settings | None = None,
    ) -> None:
        self.config = config
        self.profile = profile
        self.settings = settings or config.settings_for(profile.name)  # read once, here
        self.clock = clock  # stamps the cache keeps and compares (jobs, intents): never jumps with the skew
        self.follow_api_clock = follow_api_clock
        self._stored_skew: float | None = None
        self.db = Database(db_path or paths.database_file())
        self.batches = BatchRepo(self.db, profile.name)
        self.jobs = JobRepo(self.db, profile.name)
        self.results = ResultRepo(self.db, profile.name)
        self._api: BatchesApi | None = None
        self._api_factory = api_factory  # a shared client owned by someone else (see Session)

    @classmethod
    def open(cls, profile_name: str | None = None, clock: Clock = utcnow) -> Workspace:
        """A workspace whose ages follow the API's clock (see `api_now`), as the CLI's commands use it."""
        config = toml_file.load()
        return cls(config, config.profile(profile_name), clock=clock, follow_api_clock=True)

    def skew_seconds(self) -> float:
        """The API's clock minus ours: as this process's client measured it, else as a command before
        stored it (0 when none ever did)."""
        api = self._api
        if api is not None and api.skew_measured:
            return api.skew_seconds
        if self._stored_skew is None:
            self._stored_skew = self.batches.clock_skew() or 0.0
        return self._stored_skew

    def api_now(self) -> datetime:
        """Now on the API's clock, the one `created_at` was written with, for ages and countdowns: a
        batch just created is never "15h ago" on a machine whose clock is off, even with no request
        made (`list --cached`). A session's workspace has the API's clock already."""
        if not self.follow_api_clock:
            return self.clock()
        return self.clock() + timedelta(seconds=self.skew_seconds())

    @property
    def api(self) -> BatchesApi:
        if self._api is None and self._api_factory is not None:
            self._api = self._api_factory()
        if self._api is None:
            self._api = open_api(self.profile, self.settings, self.clock)
        return self._api

    def now(self) -> str:
        return iso(self.clock())

    def prices(self) -> PriceBook:
        """The built-in price table with the config's `[prices."MODEL"]` overrides on top."""
        return PriceBook(self.config.prices)

    def syncer(self) -> Syncer:
        return Syncer(self.api, self.batches, self.api_now)  # its stamps are shown as ages, next to API times

    def close(self) -> None:
        try:
            self._store_skew()
        finally:
            if self._api is not None and self._api_factory is None:
                self._api.close()
            self.db.close()

    def _store_skew(self) -> None:
        """Keep the skew this process measured for the next command; a cache that cannot be written
        now (locked, read-only) keeps the one before."""
        api = self._api
        if not (self.follow_api_clock and api is not None and api.skew_measured):
            return
        with contextlib.suppress(sqlite3.Error):
            stored = self.batches.clock_skew()
            if stored is None or abs(stored - api.skew_seconds) >= 1.0:  # most commands write nothing
                self.batches.record_clock_skew(api.skew_seconds)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
