"""The cache file itself: permissions, WAL, migrations, damage, crashes, and no secrets inside."""

from __future__ import annotations

import os
import random
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from batchdeck.core.config import paths
from batchdeck.core.errors import CacheError
from batchdeck.core.store.db import Database, salvage_local_tables
from batchdeck.core.store.migrations import MIGRATIONS, SCHEMA_VERSION
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from tests.core.conftest import SECRET, cache_view, emulator_view, run_cli, seed
from tests.reliability.killer import Killer, kill_points


def test_database_is_private_and_in_wal_mode(ws: Workspace, emulator: Emulator) -> None:
    seed(emulator, 3)
    ws.syncer().sync()
    path = paths.database_file()
    assert path == ws.db.path and path.is_relative_to(Path(os.environ["XDG_DATA_HOME"]))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ws.db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ws.db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_migration_from_schema_1_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(MIGRATIONS[0])
    old.execute(
        "INSERT INTO batches VALUES ('p', 'msgbatch_old', 'ended', 0, 5, 0, 0, 0, "
        "'2026-10-01T00:00:00.000000Z', NULL, NULL, NULL, NULL, NULL, '{}', 'x', 'x', NULL)"
    )
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()
    db = Database(path)
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    from batchdeck.core.store.batch_repo import BatchRepo

    cache = BatchRepo(db, "p")
    cache.set_meta("msgbatch_old", "now", label="migrated")
    batch = cache.get("msgbatch_old")
    assert batch is not None and batch.counts.succeeded == 5 and batch.label == "migrated"


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(CacheError, match="newer batchdeck"):
        Database(path)


def test_damaged_database_names_the_file_and_the_fix(
    home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(emulator, 4)
    assert run_cli(capsys, "sync")[0] == 0
    run_cli(capsys, "label", seed_id(emulator), "precious")
    path = paths.database_file()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"this is not a database at all" * 100)
    code, _, err = run_cli(capsys, "list", "--cached")
    assert code == 1 and str(path) in err and "batchdeck sync --rebuild" in err and "Traceback" not in err
    code, out, err = run_cli(capsys, "sync", "--rebuild")
    assert code == 0, err
    assert "damaged cache was kept as" in out
    kept = list(path.parent.glob("cache.db.corrupt-*"))
    assert kept and kept[0].read_bytes().startswith(b"this is not a database")
    assert len(Workspace.open().batches.query()) == 4


def seed_id(emulator: Emulator) -> str:
    return emulator.store.all_batches()[-1].id


def test_rebuild_carries_local_metadata_over(
    home: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = seed(emulator, 5)
    run_cli(capsys, "sync")
    run_cli(capsys, "note", ids[2], "rerun with sonnet")
    code, out, _ = run_cli(capsys, "sync", "--rebuild")
    assert code == 0 and "full sync: 5 new" in out
    assert Workspace.open().batches.get(ids[2]).note == "rerun with sonnet"  # type: ignore[union-attr]


def test_salvage_copies_readable_local_rows(tmp_path: Path) -> None:
    old = Database(tmp_path / "old.db")
    from batchdeck.core.store.batch_repo import BatchRepo

    BatchRepo(old, "p").set_meta("msgbatch_a", "t", label="A", tags=["x"])
    old.close()
    fresh = Database(tmp_path / "fresh.db")
    copied = salvage_local_tables(tmp_path / "old.db", fresh)
    assert copied["batch_meta"] == 1 and not any(n for table, n in copied.items() if table != "batch_meta")
    assert fresh.conn.execute("SELECT label, tags FROM batch_meta").fetchone()[:] == ("A", '["x"]')


def test_key_never_reaches_the_database(ws: Workspace, emulator: Emulator, home: Path) -> None:
    seed(emulator, 50)
    ws.syncer().sync()
    emulator.faults.queue("500", count=3)
    assert not ws.syncer().sync().ok
    ws.db.conn.execute("PRAGMA wal_checkpoint(FULL)")
    for path in home.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
            assert SECRET[-12:].encode() not in path.read_bytes(), path


@pytest.mark.slow
def test_sigkill_mid_sync_leaves_a_consistent_resumable_cache(home: Path, emulator: Emulator, tmp_path: Path) -> None:
    """Kill `batchdeck sync` at seeded random points of its run (a real process, forked with the SDK already
    imported, see `tests/reliability/killer.py`); the cache always opens, and a final sync matches the API."""
    seed(emulator, 5000)
    stored_after_kills: list[int] = []

    def check() -> None:
        with Workspace.open() as ws:  # opens cleanly; whatever is stored is whole pages
            stored_after_kills.append(len(ws.batches.query()))
            assert stored_after_kills[-1] % 1000 == 0
            assert ws.db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def start_afresh() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{paths.database_file()}{suffix}").unlink(missing_ok=True)

    kill_points(Killer(tmp_path / "out"), ["sync"], random.Random(5), 6, check, start_afresh)
    assert any(0 < n < 5000 for n in stored_after_kills), stored_after_kills  # some kills landed mid-walk
    with Workspace.open() as ws:
        report = ws.syncer().sync()
        assert report.ok
        assert cache_view(ws) == emulator_view(emulator)


def test_two_processes_migrating_at_once(tmp_path: Path) -> None:
    """A TUI and a cron sync opening an old cache together: both succeed, neither sees 'corrupt'."""
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(MIGRATIONS[0])
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()
    code = f"from batchdeck.core.store.db import Database; Database(__import__('pathlib').Path({str(path)!r}))"
    procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True) for _ in range(4)]
    errors = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    assert Database(path).conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
