"""`config.toml`: profiles (one per Anthropic workspace) and settings, read with tomllib, written with tomli-w.

    default_profile = "default"
    [sync]
    max_retries = 2
    [profiles.work]
    api_key_env = "WORK_ANTHROPIC_KEY"       # preferred: the key stays in the environment
    base_url = "https://api.anthropic.com"
    workspace_id = "wrkspc_..."
    [prices."claude-sonnet-4-5"]              # USD per million tokens at standard prices
    input = 3.0
    output = 15.0
    cache_read = 0.3

A profile may instead store `api_key`; the file is then written with mode 0600 (it always is).
A stored key is held as a `Secret`, whose repr and str never show it (crash reports print
locals). A file holding a key that others can read, or in a directory they can enter, is
warned about and made private on load, as ssh does with keys.
Without any file, the implicit `default` profile reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL.
"""

from __future__ import annotations

import hmac
import math
import os
import re
import stat
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from batchdeck.core.config import paths
from batchdeck.core.errors import ConfigError
from batchdeck.core.urls import check_http_url, url_shown, without_userinfo

DEFAULT_PROFILE = "default"
PROFILE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PROFILE_FIELDS = ("api_key_env", "api_key", "base_url", "workspace_id")


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"expected 0 or more, got {value}")
    return number


# The longest wait a seconds setting may name: a week is already a typo, and a huge value overflows
# the timers it is given to (`sleep(1e308)`: "timestamp out of range").
MAX_SECONDS = 7 * 86400.0


def _non_negative_float(value: str) -> float:
    number = float(value)
    if not 0 <= number < math.inf:  # also refuses nan, which compares false with everything
        raise ValueError(f"expected a finite number of 0 or more, got {value}")
    if number > MAX_SECONDS:
        raise ValueError(f"expected at most {MAX_SECONDS:.0f} seconds (a week), got {value}")
    return number


def _positive_float(value: str) -> float:
    number = float(value)
    if not 0 < number < math.inf:
        raise ValueError(f"expected a finite number above 0, got {value}")
    if number > MAX_SECONDS:
        raise ValueError(f"expected at most {MAX_SECONDS:.0f} seconds (a week), got {value}")
    return number


def _text(value: str) -> str:
    return value.strip()


def _http_url(value: str) -> str:
    """An http(s) URL that parses, or empty for none (webhooks are POSTed to it); errors show its host only."""
    text = value.strip()
    return check_http_url(text) if text else text


def _export_format(value: str) -> str:
    text = value.strip().lower()
    if text not in ("jsonl", "csv", "text"):
        raise ValueError(f"expected jsonl, csv or text, got {value!r}")
    return text


# Settable `section.key` settings: (parser, default, help). Later features add theirs here.
SETTINGS: dict[str, tuple[Callable[[str], Any], Any, str]] = {
    "sync.max_retries": (_positive_int, 2, "SDK retries per API call before a sync reports an error"),
    "sync.timeout": (_positive_float, 60.0, "seconds before one API call times out"),
    "tui.poll_seconds": (_positive_float, 5.0, "seconds between polls while batches are live"),
    "notify.toast": (_bool, True, "a notification inside the TUI when a batch ends"),
    "notify.bell": (_bool, True, "ring the terminal bell when a batch ends"),
    "notify.desktop": (_bool, True, "an OSC 9 desktop notification when a batch ends"),
    "results.auto_download": (_bool, True, "the TUI downloads the results of ended batches in the background"),
    "results.export_dir": (_text, "", "where the TUI's quick export writes (empty: the current directory)"),
    "watch.interval": (_positive_float, 30.0, "seconds between polls of `batchdeck watch` (--interval overrides)"),
    "hooks.on_end": (_text, "", "shell command run when a batch ends (BATCHDECK_* variables, never the API key)"),
    "hooks.webhook": (_http_url, "", "http(s) URL that receives a JSON POST when a batch ends (empty: none)"),
    "hooks.download": (_bool, False, "download the results of a batch when it ends (watch and TUI hooks)"),
    "hooks.export_dir": (_text, "", "export the results of a batch to this directory when it ends (empty: no export)"),
    "hooks.export_format": (_export_format, "jsonl", "format of those exports: jsonl, csv or text"),
    "hooks.timeout": (_positive_float, 60.0, "seconds an on-end command, or one webhook attempt, may take"),
    "submit.settle_seconds": (
        _non_negative_float,
        30.0,
        "seconds after an interrupted create before batchdeck decides it never reached the API and sends it again",
    ),
}
PRICE_FIELDS = ("input", "output", "cache_read")


class Secret:
    """A stored API key. Its repr and str say only whether it is set; `reveal()` gives the key.

    Not a str (so no formatting, concatenation or `in` shows it by accident) and not a dataclass
    (so pretty-printers that expand dataclass fields see only the repr)."""

    __slots__ = ("_value",)

    def __init__(self, value: str = "") -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __repr__(self) -> str:
        return "Secret('[hidden]')" if self._value else "Secret('')"

    __str__ = __repr__


@dataclass
class Profile:
    name: str
    api_key_env: str = "ANTHROPIC_API_KEY"
    api_key: Secret = field(default_factory=Secret)  # a str given here is wrapped (see __setattr__)
    base_url: str = ""
    workspace_id: str = ""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "api_key" and not isinstance(value, Secret):
            value = Secret(str(value or ""))
        super().__setattr__(name, value)

    def resolve_key(self, env: Mapping[str, str] = os.environ) -> str | None:
        """The key in plain text, for the API client and for redaction only."""
        return self.api_key.reveal() or env.get(self.api_key_env) or None

    def resolve_base_url(self, env: Mapping[str, str] = os.environ) -> str | None:
        return self.base_url or env.get("ANTHROPIC_BASE_URL") or None

    def key_source(self, env: Mapping[str, str] = os.environ) -> str:
        """Where the key comes from, for display (never the key itself)."""
        if self.api_key:
            return "stored in config"
        state = "set" if env.get(self.api_key_env) else "not set"
        return f"${self.api_key_env} ({state})"

    def to_toml(self) -> dict[str, str]:
        fields = {
            "api_key_env": self.api_key_env,
            "api_key": self.api_key.reveal(),
            "base_url": self.base_url,
            "workspace_id": self.workspace_id,
        }
        return {k: v for k, v in fields.items() if v and not (k == "api_key_env" and v == "ANTHROPIC_API_KEY")}


@dataclass
class Config:
    path: Path
    default_profile: str = DEFAULT_PROFILE
    profiles: dict[str, Profile] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    prices: dict[str, dict[str, float]] = field(default_factory=dict)  # model -> overrides (USD per MTok)
    profile_settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # profile -> settings it overrides
    # Values of the file that failed their check, by the `config set` key that fixes each. Only a lenient
    # load keeps them (see `load`); `save` writes them back unchanged until they are set.
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

    def get(self, key: str, profile: str | None = None) -> Any:
        """A setting: the profile's own value (`[profiles.NAME.hooks]`) first, then the global one, then the default."""
        own = self.profile_settings.get(profile or "", {})
        if key in own:
            return own[key]
        return self.settings.get(key, SETTINGS[key][1])

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


def load(path: Path | None = None, lenient: bool = False) -> Config:
    """The config file (none: the defaults). A bad value is a `ConfigError` naming the `config set` that
    fixes it; `lenient` keeps bad values in `Config.invalid` instead, so `config set` and `config show`
    work on the file that needs them. A file that is not TOML is an error either way."""
    path = path or paths.config_file()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Config(path)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _not_toml(path, f"bytes that are not UTF-8 (at line {line})", data) from None
    except tomllib.TOMLDecodeError as exc:
        raise _not_toml(path, str(exc), data) from None
    config = _from_toml(path, raw)
    if config.invalid and not lenient:
        raise ConfigError(config.problems()[0])
    if any(p.api_key for p in config.profiles.values()):
        _make_private(path)
    return config


def _not_toml(path: Path, problem: str, data: bytes) -> ConfigError:
    """Syntax `config set` cannot repair (it must read the file first): the file and the line to edit."""
    found = re.search(r"\s*\(at (?:line (\d+)(?:, column \d+)?|(end of document))\)$", problem)
    where = ""
    if found:
        line = found.group(1) or str(max(1, len(data.splitlines())))  # the end of the document: its last line
        where = f" at line {line}"
        problem = problem[: found.start()]
    return ConfigError(
        f"config file {path} is not valid TOML{where} ({problem}); fix that line in an editor, or "
        "move the file away to start afresh"
    )


def _make_private(path: Path) -> None:
    """A file holding a key that others may read (or a directory they may enter) is warned about, then
    made private (0600, directory 0700), as ssh does with keys. One line on stderr."""
    try:
        loose = [
            (p, mode, private)
            for p, private in ((path, 0o600), (path.parent, 0o700))
            if (mode := stat.S_IMODE(p.stat().st_mode)) & 0o077
        ]
    except OSError:
        return  # gone since it was read: nothing to protect
    if not loose:
        return
    was = " and ".join(f"{p} was {mode:04o}" for p, mode, _ in loose)
    try:
        for p, _, private in loose:
            os.chmod(p, private)
    except OSError as exc:
        _warn(
            f"config file {path} holds an API key and others can read it ({was}); cannot make it private: "
            f"{exc.strerror}. Run `chmod 600 {path}` and `chmod 700 {path.parent}`"
        )
        return
    _warn(f"config file {path} holds an API key and others could read it ({was}); made private (0600, directory 0700)")


def _warn(message: str) -> None:
    print(f"batchdeck: warning: {message}", file=sys.stderr)


def _from_toml(path: Path, raw: dict[str, Any]) -> Config:
    config = Config(path, default_profile=str(raw.get("default_profile", DEFAULT_PROFILE)))
    profiles = raw.get("profiles") or {}
    if not isinstance(profiles, dict):
        raise ConfigError(f"config file {path}: profiles must be tables like [profiles.NAME], got {profiles!r}")
    for name, body in profiles.items():
        if not isinstance(body, dict):
            raise ConfigError(f"config file {path}: [profiles.{name}] must be a table")
        sections = {k: v for k, v in body.items() if isinstance(v, dict)}
        body = {k: v for k, v in body.items() if k not in sections}
        unknown = set(body) - set(PROFILE_FIELDS)
        if unknown:
            raise ConfigError(
                f"config file {path}: unknown key {sorted(unknown)[0]!r} in [profiles.{name}] "
                f"(known: {', '.join(PROFILE_FIELDS)}, or tables of settings like [profiles.{name}.hooks])"
            )
        config.profiles[name] = Profile(name, **{k: str(v) for k, v in body.items()})
        for section, values in sections.items():
            for key, value in values.items():
                dotted = f"{section}.{key}"
                if dotted not in SETTINGS:
                    raise ConfigError(
                        f"config file {path}: unknown setting {key!r} in [profiles.{name}.{section}] "
                        f"(settings: {', '.join(SETTINGS)})"
                    )
                try:
                    config.profile_settings.setdefault(name, {})[dotted] = SETTINGS[dotted][0](str(value))
                except ValueError as exc:
                    config.invalid[f"profiles.{name}.{dotted}"] = Invalid(
                        ("profiles", name, section, key), value, str(exc)
                    )
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
                config.settings[dotted] = SETTINGS[dotted][0](str(value))
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


def check_env_name(name: str, where: str = "--api-key-env") -> None:
    """An environment variable's name, not a key pasted by mistake (which would then be shown)."""
    if name.startswith("sk-") or not ENV_NAME.match(name):
        shown = "a value that looks like an API key" if name.startswith("sk-") else repr(name)
        raise ConfigError(f"{where} must name an environment variable (like ANTHROPIC_API_KEY), got {shown}")


def save(config: Config) -> None:
    doc: dict[str, Any] = {"default_profile": config.default_profile}
    for dotted, value in sorted(config.settings.items()):
        section, key = dotted.split(".", 1)
        doc.setdefault(section, {})[key] = value
    doc["profiles"] = {
        name: {**p.to_toml(), **_nested(config.profile_settings.get(name, {}))}
        for name, p in sorted(config.profiles.items())
    }
    if config.prices:
        doc["prices"] = config.prices
    _put(doc, {**config.unknown, **{bad.path: bad.value for bad in config.invalid.values()}})
    paths.write_private(config.path, tomli_w.dumps(doc).encode())


def _put(doc: dict[str, Any], values: dict[tuple[str, ...], Any]) -> None:
    """Values kept as they were written (bad ones, unknown ones): changing one setting loses nothing else."""
    for path, value in values.items():
        table = doc
        for part in path[:-1]:
            table = table.setdefault(part, {})
        table[path[-1]] = value


def _nested(settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`{"hooks.on_end": x}` as the TOML tables `{"hooks": {"on_end": x}}`."""
    doc: dict[str, dict[str, Any]] = {}
    for dotted, value in sorted(settings.items()):
        section, key = dotted.split(".", 1)
        doc.setdefault(section, {})[key] = value
    return doc


def set_value(config: Config, key: str, value: str) -> None:
    """`batchdeck config set KEY VALUE`: validate, then store (the caller saves); a bad value is replaced."""
    _set_value(config, key, value)
    config.invalid.pop(key, None)


def _set_value(config: Config, key: str, value: str) -> None:
    if key == "default_profile":
        config.profile(value)  # must exist
        config.default_profile = value
        return
    if key.startswith("profiles.") and key.count(".") == 3:  # profiles.NAME.SECTION.KEY: the profile's own setting
        _, name, dotted = key.split(".", 2)
        profile = config.profile(name)  # must exist
        if dotted not in SETTINGS:
            raise ConfigError(f"unknown setting {dotted!r} in {key!r}; settable per profile: {', '.join(SETTINGS)}")
        try:
            config.profile_settings.setdefault(name, {})[dotted] = SETTINGS[dotted][0](value)
        except ValueError as exc:
            raise ConfigError(f"bad value for {key}: {exc}") from None
        config.profiles[name] = profile  # the implicit default profile too: `save` writes listed profiles only
        return
    if key.startswith("profiles."):
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
        return
    if key not in SETTINGS:
        known = ", ".join(["default_profile", "profiles.NAME.FIELD", *SETTINGS])
        raise ConfigError(f"unknown setting {key!r}; settable: {known}")
    try:
        config.settings[key] = SETTINGS[key][0](value)
    except ValueError as exc:
        raise ConfigError(f"bad value for {key}: {exc}") from None


def checked_base_url(value: str, where: str) -> str:
    """A profile's base URL, parsed as webhooks are: one that cannot be used is refused when set, not
    on every later command. Errors name its host only (a proxy URL may carry a password)."""
    try:
        return check_http_url(value)
    except ValueError as exc:
        raise ConfigError(f"bad value for {where}: {exc}") from None


def add_profile(config: Config, profile: Profile) -> None:
    if not PROFILE_NAME.match(profile.name):
        raise ConfigError(f"bad profile name {profile.name!r}: use 1-40 letters, digits, '-' or '_'")
    if profile.base_url:
        profile.base_url = checked_base_url(profile.base_url, "--base-url")
    check_env_name(profile.api_key_env)
    config.profiles[profile.name] = profile


def shown(config: Config) -> str:
    """The config as TOML with every stored key redacted, for `config show`."""
    doc = {"default_profile": config.default_profile}
    for key in SETTINGS:
        section, name = key.split(".", 1)
        doc.setdefault(section, {})[name] = config.get(key)  # type: ignore[union-attr]
    profiles = {
        p.name: {**p.to_toml(), "api_key_env": p.api_key_env, **_nested(config.profile_settings.get(p.name, {}))}
        for p in config.all_profiles()
    }
    for body in profiles.values():
        if body.get("api_key"):
            body["api_key"] = "[stored, hidden]"
        if body.get("base_url"):
            body["base_url"] = without_userinfo(str(body["base_url"]))
    doc["profiles"] = profiles  # type: ignore[assignment]
    if config.prices:
        doc["prices"] = config.prices  # type: ignore[assignment]
    _put(doc, {bad.path: bad.value for bad in config.invalid.values()})  # as written (`problems` says why)
    for body in profiles.values():
        if str(body.get("api_key_env", "")).startswith("sk-"):
            body["api_key_env"] = "[looks like an API key, hidden]"
    for hooks in [doc.get("hooks"), *(body.get("hooks") for body in profiles.values())]:
        if isinstance(hooks, dict) and hooks.get("webhook"):
            hooks["webhook"] = webhook_shown(str(hooks["webhook"]))
    return tomli_w.dumps(doc)


def webhook_shown(url: str) -> str:
    """A webhook as `config show` and `config set` print it: its path and query are often its
    credential (Slack, Discord, signed URLs), so only scheme and host are shown."""
    return f"{url_shown(url)}/[rest hidden]" if url.strip() else ""
