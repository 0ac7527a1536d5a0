"""Reading and writing config.toml (tomllib in, tomli-w out), keeping what this version cannot use.

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
A file holding a key that others can read, or in a directory they can enter, is warned about and
made private on load, as ssh does with keys. Without any file, the implicit `default` profile
reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from batchdeck.core.config import paths
from batchdeck.core.config.model import Config
from batchdeck.core.config.parse import from_toml
from batchdeck.core.errors import ConfigError


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
    config = from_toml(path, raw)
    if config.invalid and not lenient:
        raise ConfigError(config.problems()[0])
    if any(p.api_key for p in config.profiles.values()):
        _make_private(path)
    return config


def save(config: Config) -> None:
    doc: dict[str, Any] = {"default_profile": config.default_profile, **as_tables(config.settings)}
    doc["profiles"] = {
        name: {**p.to_toml(), **as_tables(config.profile_settings.get(name, {}))}
        for name, p in sorted(config.profiles.items())
    }
    if config.prices:
        doc["prices"] = config.prices
    put_as_written(doc, {**config.unknown, **{bad.path: bad.value for bad in config.invalid.values()}})
    paths.write_private(config.path, tomli_w.dumps(doc).encode())


def put_as_written(doc: dict[str, Any], values: dict[tuple[str, ...], Any]) -> None:
    """Values kept as they were written (bad ones, unknown ones): changing one setting loses nothing else."""
    for path, value in values.items():
        table = doc
        for part in path[:-1]:
            table = table.setdefault(part, {})
        table[path[-1]] = value


def as_tables(settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`{"hooks.on_end": x}` as the TOML tables `{"hooks": {"on_end": x}}`."""
    doc: dict[str, dict[str, Any]] = {}
    for dotted, value in sorted(settings.items()):
        section, key = dotted.split(".", 1)
        doc.setdefault(section, {})[key] = value
    return doc


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
