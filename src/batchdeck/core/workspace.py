"""One profile opened for work: its config, its part of the cache, and (on first use) its API client."""

from __future__ import annotations

from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from batchdeck.core import config as config_mod
from batchdeck.core import paths
from batchdeck.core.cache import BatchCache
from batchdeck.core.clock import Clock, utcnow
from batchdeck.core.config import Config, Profile
from batchdeck.core.db import Database
from batchdeck.core.pricing import PriceBook
from batchdeck.core.sync import Syncer
from batchdeck.core.timefmt import iso

if TYPE_CHECKING:
    from batchdeck.core.api import BatchesApi


class Workspace:
    def __init__(self, config: Config, profile: Profile, db_path: Path | None = None, clock: Clock = utcnow,
                 api_factory: Callable[[], BatchesApi] | None = None) -> None:
        self.config = config
        self.profile = profile
        self.clock = clock
        self.db = Database(db_path or paths.database_file())
        self.cache = BatchCache(self.db, profile.name)
        self._api: BatchesApi | None = None
        self._api_factory = api_factory  # a shared client owned by someone else (see Session)

    @classmethod
    def open(cls, profile_name: str | None = None, clock: Clock = utcnow) -> Workspace:
        config = config_mod.load()
        return cls(config, config.profile(profile_name), clock=clock)

    @property
    def api(self) -> BatchesApi:
        if self._api is None and self._api_factory is not None:
            self._api = self._api_factory()
        if self._api is None:
            from batchdeck.core.api import BatchesApi  # the SDK loads only when the API is used

            self._api = BatchesApi(self.profile, max_retries=int(self.setting("sync.max_retries")),
                                   timeout=float(self.setting("sync.timeout")))
        return self._api

    def setting(self, key: str) -> Any:
        """A setting as it applies to this profile (its own value over the global one)."""
        return self.config.get(key, self.profile.name)

    def now(self) -> str:
        return iso(self.clock())

    def prices(self) -> PriceBook:
        """The built-in price table with the config's `[prices."MODEL"]` overrides on top."""
        return PriceBook(self.config.prices)

    def syncer(self) -> Syncer:
        return Syncer(self.api, self.cache, self.clock)

    def close(self) -> None:
        if self._api is not None and self._api_factory is None:
            self._api.close()
        self.db.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
