"""Schema versions of the cache, applied in order; `PRAGMA user_version` records the last one.

Never edit a released step: add a new one. Local tables (data the API cannot give back) are
listed in LOCAL_TABLES so a rebuild copies them over.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: every batch seen, and how far the sync has got.
    """
    CREATE TABLE batches (
        profile TEXT NOT NULL,
        id TEXT NOT NULL,
        processing_status TEXT NOT NULL,
        n_processing INTEGER NOT NULL,
        n_succeeded INTEGER NOT NULL,
        n_errored INTEGER NOT NULL,
        n_canceled INTEGER NOT NULL,
        n_expired INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        ended_at TEXT,
        cancel_initiated_at TEXT,
        archived_at TEXT,
        results_url TEXT,
        raw_json TEXT NOT NULL,
        first_seen_at TEXT NOT NULL,
        refreshed_at TEXT NOT NULL,
        deleted_at TEXT,
        PRIMARY KEY (profile, id)
    ) WITHOUT ROWID;
    CREATE INDEX batches_by_created ON batches (profile, created_at DESC, id DESC);
    CREATE INDEX batches_by_status ON batches (profile, processing_status);
    CREATE TABLE sync_state (
        profile TEXT PRIMARY KEY,
        full_walk_done INTEGER NOT NULL DEFAULT 0,
        walk_cursor TEXT,
        last_attempt_at TEXT,
        last_success_at TEXT,
        last_error TEXT
    );
    """,
    # 2: local job metadata, which the API has no place for.
    """
    CREATE TABLE batch_meta (
        profile TEXT NOT NULL,
        batch_id TEXT NOT NULL,
        label TEXT,
        note TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        source_file TEXT,
        created_by TEXT,
        parent_batch_id TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (profile, batch_id)
    ) WITHOUT ROWID;
    CREATE INDEX batch_meta_by_parent ON batch_meta (profile, parent_batch_id);
    """,
    # 3: the newest batch a finished sync saw, so an interrupted incremental sync resumes down to it.
    """
    ALTER TABLE sync_state ADD COLUMN head_id TEXT;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
LOCAL_TABLES = ("batch_meta",)
