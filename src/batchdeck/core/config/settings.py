"""The typed settings: one frozen dataclass per config.toml section, each setting with its default,
its parser and a one-line doc in one place. `SETTINGS` (what `config set` accepts) is derived from
them, and so is the README's settings table (a test checks it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeVar

from batchdeck.core.config import values

T = TypeVar("T")


def setting(default: T, parse: Callable[[str], T], doc: str) -> T:
    """A settable field: its default, the parser `config set` and config.toml go through, and its doc."""
    return field(default=default, metadata={"parse": parse, "doc": doc})


@dataclass(frozen=True)
class SyncSettings:
    max_retries: int = setting(2, values.count, "SDK retries per API call before a sync reports an error")
    timeout: float = setting(60.0, values.seconds, "seconds before one API call times out")


@dataclass(frozen=True)
class TuiSettings:
    poll_seconds: float = setting(5.0, values.seconds, "seconds between polls while batches are live")


@dataclass(frozen=True)
class NotifySettings:
    toast: bool = setting(True, values.boolean, "a notification inside the TUI when a batch ends")
    bell: bool = setting(True, values.boolean, "ring the terminal bell when a batch ends")
    desktop: bool = setting(True, values.boolean, "an OSC 9 desktop notification when a batch ends")


@dataclass(frozen=True)
class ResultsSettings:
    auto_download: bool = setting(
        True, values.boolean, "the TUI downloads the results of ended batches in the background"
    )
    export_dir: str = setting("", values.text, "where the TUI's quick export writes (empty: the current directory)")


@dataclass(frozen=True)
class WatchSettings:
    interval: float = setting(30.0, values.seconds, "seconds between polls of `batchdeck watch` (--interval overrides)")


@dataclass(frozen=True)
class HookSettings:
    on_end: str = setting(
        "", values.text, "shell command run when a batch ends (BATCHDECK_* variables, never the API key)"
    )
    webhook: str = setting("", values.http_url, "http(s) URL that receives a JSON POST when a batch ends (empty: none)")
    download: bool = setting(
        False, values.boolean, "download the results of a batch when it ends (watch and TUI hooks)"
    )
    export_dir: str = setting(
        "", values.text, "export the results of a batch to this directory when it ends (empty: no export)"
    )
    export_format: str = setting("jsonl", values.export_format, "format of those exports: jsonl, csv or text")
    timeout: float = setting(60.0, values.seconds, "seconds an on-end command, or one webhook attempt, may take")


@dataclass(frozen=True)
class SubmitSettings:
    settle_seconds: float = setting(
        30.0,
        values.seconds_or_zero,
        "seconds after an interrupted create before batchdeck decides it never reached the API and sends it again",
    )


@dataclass(frozen=True)
class BudgetSettings:
    monthly_usd: float = setting(
        0.0,
        values.usd,
        "monthly spend budget in USD, by batch end in local time: `status` and the TUI warn at 80% and 100% (0: none)",
    )


@dataclass(frozen=True)
class Settings:
    """Every setting as it applies to one profile: read once from config.toml (`Config.settings_for`)."""

    sync: SyncSettings = field(default_factory=SyncSettings)
    tui: TuiSettings = field(default_factory=TuiSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    results: ResultsSettings = field(default_factory=ResultsSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)
    hooks: HookSettings = field(default_factory=HookSettings)
    submit: SubmitSettings = field(default_factory=SubmitSettings)
    budget: BudgetSettings = field(default_factory=BudgetSettings)

    def value(self, key: str) -> Any:
        """One setting by its `section.key` name."""
        section, name = _split(key)
        return getattr(getattr(self, section), name)

    def with_values(self, changes: Mapping[str, Any]) -> Settings:
        """These settings with some replaced, by `section.key` name (values already parsed)."""
        by_section: dict[str, dict[str, Any]] = {}
        for key, value in changes.items():
            section, name = _split(key)
            by_section.setdefault(section, {})[name] = value
        return replace(self, **{s: replace(getattr(self, s), **v) for s, v in by_section.items()})


@dataclass(frozen=True)
class Spec:
    """One settable `section.key`: how its text is parsed, its default and what it does."""

    key: str
    parse: Callable[[str], Any]
    default: Any
    doc: str


def _specs() -> dict[str, Spec]:
    defaults = Settings()
    specs = {}
    for section in fields(Settings):
        for item in fields(getattr(defaults, section.name)):
            key = f"{section.name}.{item.name}"
            specs[key] = Spec(key, item.metadata["parse"], item.default, item.metadata["doc"])
    return specs


def _split(key: str) -> tuple[str, str]:
    if key not in SETTINGS:
        raise KeyError(f"unknown setting {key!r}")
    section, name = key.split(".", 1)
    return section, name


# Settable `section.key` settings, in the order `config show` and `config set --help` list them.
SETTINGS: dict[str, Spec] = _specs()
