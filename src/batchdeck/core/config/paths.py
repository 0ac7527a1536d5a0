"""Where batchdeck keeps its files (platformdirs, so XDG_* variables are respected)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "batchdeck"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP))


def config_file() -> Path:
    return config_dir() / "config.toml"


def database_file() -> Path:
    return data_dir() / "cache.db"


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) readable by the owner only: `mkdir(parents=True)` would give
    the parents the default mode, so each missing level is made on its own."""
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        directory.mkdir(exist_ok=True, mode=0o700)
    return missing[0] if missing else path


def write_private(path: Path, data: bytes) -> None:
    """Write a file atomically with mode 0600 (temp file, fsync, rename)."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
