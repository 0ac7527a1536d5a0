"""`Config`: what config.toml holds (profiles, settings, prices), and the typed settings it gives a profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchdeck.core.config.profiles import DEFAULT_PROFILE, Profile
from batchdeck.core.config.settings import Settings
from batchdeck.core.errors import ConfigError


@dataclass(frozen=True)
class Invalid:
    """A value of the file that failed its check: where it is, as written, and what is wrong with it."""

    path: tuple[str, ...]  # (SECTION, KEY), or (profiles, NAME, SECTION, KEY), or (profiles, NAME, api_key_env)
    value: Any
    problem: str

    def where(self) -> str:
        """`sync.timeout`, `notify.bell in [profiles.work.notify]`, `api_key_env in [profiles.work]`."""
        if self.path[0] != "profiles":
            return ".".join(self.path)
        return f"{'.'.join(self.path[2:])} in [{'.'.join(self.path[:-1])}]"


@dataclass
class Config:
    path: Path
    default_profile: str = DEFAULT_PROFILE
    profiles: dict[str, Profile] = field(default_factory=dict)
    # The settings the file sets (parsed), by `section.key`; the rest keep their defaults.
    settings: dict[str, Any] = field(default_factory=dict)
    prices: dict[str, dict[str, float]] = field(default_factory=dict)  # model -> overrides (USD per MTok)
    profile_settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # profile -> settings it overrides
    # Values of the file that failed their check, by the `config set` key that fixes each. Only a lenient
    # load keeps them (see `toml_file.load`); `save` writes them back unchanged until they are set.
    invalid: dict[str, Invalid] = field(default_factory=dict)
    # Settings of a newer batchdeck (unknown here): kept out of the way, and written back as they were.
    unknown: dict[tuple[str, ...], Any] = field(default_factory=dict)

    def profile(self, name: str | None = None) -> Profile:
        name = name or self.default_profile
        if name in self.profiles:
            return self.profiles[name]
        if name == DEFAULT_PROFILE:
            return Profile(DEFAULT_PROFILE)
        known = ", ".join(sorted({DEFAULT_PROFILE, *self.profiles}))
        raise ConfigError(f"no profile named {name!r} (profiles: {known}); add it with `batchdeck profile add {name}`")

    def settings_for(self, profile: str | None = None) -> Settings:
        """The settings as they apply to a profile: its own (`[profiles.NAME.hooks]`) over the global ones,
        over the defaults. None: the global ones."""
        return Settings().with_values(self.settings).with_values(self.profile_settings.get(profile or "", {}))

    def all_profiles(self) -> list[Profile]:
        return [self.profile(DEFAULT_PROFILE)] * (DEFAULT_PROFILE not in self.profiles) + [
            self.profiles[n] for n in sorted(self.profiles)
        ]

    def secrets(self) -> list[str]:
        """Every key this config can reach, for redaction (and a key pasted as an api_key_env by mistake)."""
        pasted = [p.api_key_env for p in self.profiles.values() if p.api_key_env.startswith("sk-")]
        return [k for p in self.all_profiles() if (k := p.resolve_key())] + pasted

    def problems(self) -> list[str]:
        """One line per bad value, each naming the `config set` command that fixes it."""
        return [
            f"config file {self.path}: bad value for {bad.where()} ({bad.problem}); fix it with "
            f"`batchdeck config set {key} VALUE`"
            for key, bad in sorted(self.invalid.items(), key=lambda item: item[1].path[0] == "profiles")
        ]  # global first
