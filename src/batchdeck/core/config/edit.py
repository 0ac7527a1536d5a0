"""Changes to a `Config` that `batchdeck config set` and `profile add` make (the caller saves)."""

from __future__ import annotations

from batchdeck.core.config.model import Config
from batchdeck.core.config.profiles import PROFILE_FIELDS, PROFILE_NAME, Profile, check_env_name, checked_base_url
from batchdeck.core.config.settings import SETTINGS
from batchdeck.core.errors import ConfigError


def set_value(config: Config, key: str, value: str) -> None:
    """`batchdeck config set KEY VALUE`: validate, then store (the caller saves); a bad value is replaced."""
    if key == "default_profile":
        config.profile(value)  # must exist
        config.default_profile = value
    elif key.startswith("profiles.") and key.count(".") == 3:  # profiles.NAME.SECTION.KEY: the profile's own
        _set_profile_setting(config, key, value)
    elif key.startswith("profiles."):
        _set_profile_field(config, key, value)
    else:
        if key not in SETTINGS:
            known = ", ".join(["default_profile", "profiles.NAME.FIELD", *SETTINGS])
            raise ConfigError(f"unknown setting {key!r}; settable: {known}")
        config.settings[key] = _parsed(key, key, value)
    config.invalid.pop(key, None)


def _set_profile_setting(config: Config, key: str, value: str) -> None:
    _, name, dotted = key.split(".", 2)
    profile = config.profile(name)  # must exist
    if dotted not in SETTINGS:
        raise ConfigError(f"unknown setting {dotted!r} in {key!r}; settable per profile: {', '.join(SETTINGS)}")
    config.profile_settings.setdefault(name, {})[dotted] = _parsed(dotted, key, value)
    config.profiles[name] = profile  # the implicit default profile too: `save` writes listed profiles only


def _set_profile_field(config: Config, key: str, value: str) -> None:
    parts = key.split(".")
    if len(parts) != 3 or parts[2] not in PROFILE_FIELDS:
        raise ConfigError(
            f"unknown setting {key!r}: use profiles.NAME.FIELD with FIELD one of {', '.join(PROFILE_FIELDS)}"
        )
    profile = config.profiles.get(parts[1]) or config.profile(parts[1])
    if parts[2] == "api_key_env":
        check_env_name(value, key)
    if parts[2] == "base_url" and value.strip():
        value = checked_base_url(value, key)
    setattr(profile, parts[2], value)
    config.profiles[profile.name] = profile


def _parsed(setting: str, key: str, value: str) -> object:
    try:
        return SETTINGS[setting].parse(value)
    except ValueError as exc:
        raise ConfigError(f"bad value for {key}: {exc}") from None


def add_profile(config: Config, profile: Profile) -> None:
    if not PROFILE_NAME.match(profile.name):
        raise ConfigError(f"bad profile name {profile.name!r}: use 1-40 letters, digits, '-' or '_'")
    if profile.base_url:
        profile.base_url = checked_base_url(profile.base_url, "--base-url")
    check_env_name(profile.api_key_env)
    config.profiles[profile.name] = profile
