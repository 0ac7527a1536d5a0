"""config.toml's tables as a `Config`: each value checked by its setting's parser, bad ones kept aside
(`Config.invalid`) with the `config set` key that fixes them, settings of a newer batchdeck kept as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from batchdeck.core.config.model import Config, Invalid
from batchdeck.core.config.profiles import DEFAULT_PROFILE, PROFILE_FIELDS, Profile, check_env_name
from batchdeck.core.config.secret import Secret
from batchdeck.core.config.settings import SETTINGS
from batchdeck.core.errors import ConfigError

PRICE_FIELDS = ("input", "output", "cache_read")


def from_toml(path: Path, raw: dict[str, Any]) -> Config:
    config = Config(path, default_profile=str(raw.get("default_profile", DEFAULT_PROFILE)))
    profiles = raw.get("profiles") or {}
    if not isinstance(profiles, dict):
        raise ConfigError(f"config file {path}: profiles must be tables like [profiles.NAME], got {profiles!r}")
    for name, body in profiles.items():
        if not isinstance(body, dict):
            raise ConfigError(f"config file {path}: [profiles.{name}] must be a table")
        _add_profile(config, name, body)
    config.prices = _prices(path, raw.get("prices") or {})
    for section, values in raw.items():
        if section in ("profiles", "default_profile", "prices"):
            continue
        if not isinstance(values, dict):
            config.unknown[(section,)] = values
            continue
        for key, value in values.items():
            dotted = f"{section}.{key}"
            if dotted not in SETTINGS:
                config.unknown[(section, key)] = value  # a setting of a newer batchdeck: not an error
                continue
            try:
                config.settings[dotted] = SETTINGS[dotted].parse(str(value))
            except ValueError as exc:
                config.invalid[dotted] = Invalid((section, key), value, str(exc))
    for profile in config.profiles.values():
        try:
            check_env_name(profile.api_key_env, "it")
        except ConfigError as exc:
            config.invalid[f"profiles.{profile.name}.api_key_env"] = Invalid(
                ("profiles", profile.name, "api_key_env"), profile.api_key_env, str(exc)
            )
    return config


def _add_profile(config: Config, name: str, body: dict[str, Any]) -> None:
    """`[profiles.NAME]` and its tables of settings (`[profiles.NAME.hooks]`); unknown keys are errors."""
    path = config.path
    sections = {k: v for k, v in body.items() if isinstance(v, dict)}
    body = {k: v for k, v in body.items() if k not in sections}
    unknown = set(body) - set(PROFILE_FIELDS)
    if unknown:
        raise ConfigError(
            f"config file {path}: unknown key {sorted(unknown)[0]!r} in [profiles.{name}] "
            f"(known: {', '.join(PROFILE_FIELDS)}, or tables of settings like [profiles.{name}.hooks])"
        )
    fields = {k: str(v) for k, v in body.items()}
    config.profiles[name] = Profile(
        name,
        api_key_env=fields.get("api_key_env", Profile.api_key_env),
        api_key=Secret(fields.get("api_key", "")),
        base_url=fields.get("base_url", ""),
        workspace_id=fields.get("workspace_id", ""),
    )
    for section, values in sections.items():
        for key, value in values.items():
            dotted = f"{section}.{key}"
            if dotted not in SETTINGS:
                raise ConfigError(
                    f"config file {path}: unknown setting {key!r} in [profiles.{name}.{section}] "
                    f"(settings: {', '.join(SETTINGS)})"
                )
            try:
                config.profile_settings.setdefault(name, {})[dotted] = SETTINGS[dotted].parse(str(value))
            except ValueError as exc:
                config.invalid[f"profiles.{name}.{dotted}"] = Invalid(("profiles", name, section, key), value, str(exc))


def _prices(path: Path, table: Any) -> dict[str, dict[str, float]]:
    """`[prices."MODEL"]` tables: standard USD per million tokens for input, output and cache_read."""
    if not isinstance(table, dict):
        raise ConfigError(
            f"config file {path}: [prices] must hold one table per model, like "
            '[prices."claude-sonnet-4-5"] with input, output and cache_read'
        )
    prices: dict[str, dict[str, float]] = {}
    for model, body in table.items():
        if not isinstance(body, dict):
            raise ConfigError(f'config file {path}: [prices."{model}"] must be a table of input, output, cache_read')
        unknown = set(body) - set(PRICE_FIELDS)
        if unknown:
            raise ConfigError(
                f'config file {path}: unknown key {sorted(unknown)[0]!r} in [prices."{model}"] '
                f"(known: {', '.join(PRICE_FIELDS)})"
            )
        values = {}
        for key, value in body.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(
                    f'config file {path}: [prices."{model}"] {key} must be a number of USD per '
                    f"million tokens, 0 or more (got {value!r})"
                )
            values[key] = float(value)
        prices[model] = values
    return prices
