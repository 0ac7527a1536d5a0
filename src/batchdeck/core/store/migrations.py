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
    # 4: downloaded results: one row per download, one index row per result line. Only the failed
    #    rows get a secondary index (they are few, and what one filters for); succeeded rows are
    #    most of the table, so a scan in custom_id order serves them, and ingest stays fast.
    """
    CREATE TABLE result_sets (
        profile TEXT NOT NULL,
        batch_id TEXT NOT NULL,
        status TEXT NOT NULL,
        path TEXT,
        bytes INTEGER NOT NULL DEFAULT 0,
        rows INTEGER NOT NULL DEFAULT 0,
        malformed INTEGER NOT NULL DEFAULT 0,
        malformed_lines TEXT NOT NULL DEFAULT '[]',
        cost_usd REAL,
        standard_cost_usd REAL,
        unpriced_rows INTEGER NOT NULL DEFAULT 0,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        error TEXT,
        PRIMARY KEY (profile, batch_id)
    ) WITHOUT ROWID;
    CREATE TABLE results (
        profile TEXT NOT NULL,
        batch_id TEXT NOT NULL,
        custom_id TEXT NOT NULL,
        outcome TEXT NOT NULL,
        error_type TEXT,
        error_message TEXT,
        stop_reason TEXT,
        model TEXT,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cache_write_tokens INTEGER NOT NULL DEFAULT 0,
        cache_read_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL,
        line_offset INTEGER NOT NULL,
        line_length INTEGER NOT NULL,
        PRIMARY KEY (profile, batch_id, custom_id)
    ) WITHOUT ROWID;
    CREATE INDEX results_not_succeeded ON results (profile, batch_id, outcome, error_type, custom_id)
        WHERE outcome != 'succeeded';
    """,
    # 5: jobs (issue 6). A job ties together the requests of one submission (kept compactly, so a
    #    resubmission needs nothing else), the parts sent as batches (each written as an intent
    #    before its create call, so a crash or an uncertain create is reconciled, never resent
    #    blindly), and their lineage. Attached files index a batch's original request file by
    #    custom_id without copying it.
    """
    CREATE TABLE jobs (
        profile TEXT NOT NULL,
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        source_file TEXT,
        content_hash TEXT,
        request_count INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        PRIMARY KEY (profile, id)
    ) WITHOUT ROWID;
    CREATE INDEX jobs_by_hash ON jobs (profile, content_hash);
    CREATE TABLE job_requests (
        profile TEXT NOT NULL,
        job_id TEXT NOT NULL,
        custom_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        line BLOB NOT NULL,
        wire_bytes INTEGER NOT NULL,
        model TEXT,
        max_tokens INTEGER NOT NULL DEFAULT 0,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (profile, job_id, custom_id)
    ) WITHOUT ROWID;
    CREATE TABLE submissions (
        profile TEXT NOT NULL,
        job_id TEXT NOT NULL,
        part INTEGER NOT NULL,
        kind TEXT NOT NULL,
        round INTEGER NOT NULL DEFAULT 0,
        parent_batch_id TEXT,
        request_count INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        custom_ids BLOB NOT NULL,
        state TEXT NOT NULL,
        batch_id TEXT,
        anchor_id TEXT,
        anchor_created_at TEXT,
        intent_at TEXT,
        created_at TEXT NOT NULL,
        error TEXT,
        PRIMARY KEY (profile, job_id, part)
    ) WITHOUT ROWID;
    CREATE INDEX submissions_by_batch ON submissions (profile, batch_id);
    CREATE INDEX submissions_by_state ON submissions (profile, state);
    CREATE TABLE attachments (
        profile TEXT NOT NULL,
        batch_id TEXT NOT NULL,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        request_count INTEGER NOT NULL,
        attached_at TEXT NOT NULL,
        PRIMARY KEY (profile, batch_id)
    ) WITHOUT ROWID;
    CREATE TABLE attached_requests (
        profile TEXT NOT NULL,
        batch_id TEXT NOT NULL,
        custom_id TEXT NOT NULL,
        line_offset INTEGER NOT NULL,
        line_length INTEGER NOT NULL,
        PRIMARY KEY (profile, batch_id, custom_id)
    ) WITHOUT ROWID;
    """,
    # 6: one job per content (issue 12): the job that first submitted a content holds its hash in
    #    `claimed_hash`, which a unique index allows once per profile, so a second process that
    #    passed the duplicate check before the first one sent cannot store a second job of it.
    #    Jobs made on purpose with `--again` (and attached files) hold no claim. Existing data
    #    keeps every job: only the oldest job of each content takes the claim.
    """
    ALTER TABLE jobs ADD COLUMN claimed_hash TEXT;
    UPDATE jobs SET claimed_hash = content_hash WHERE content_hash IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM jobs AS older WHERE older.profile = jobs.profile AND older.content_hash = jobs.content_hash
        AND (older.created_at < jobs.created_at OR (older.created_at = jobs.created_at AND older.id < jobs.id)));
    CREATE UNIQUE INDEX jobs_one_per_content ON jobs (profile, claimed_hash) WHERE claimed_hash IS NOT NULL;
    """,
    # 7: the API's clock minus ours, as last measured from a response's Date header, so commands
    #    that make no request (`list --cached`, `status --offline`) still show ages on the API's clock.
    """
    ALTER TABLE sync_state ADD COLUMN clock_skew REAL;
    """,
    # 8: usage per (batch, model) (issue 15), so a spend report is one join of a few rows per batch,
    #    never a scan of `results`. Written from a batch's `results` rows in the transaction that marks
    #    its result set complete (`ResultRepo.finish`), so a batch has rows here exactly when its set is
    #    complete; existing complete sets are filled here. `requests`, tokens and cost count succeeded
    #    rows (the billed ones); rows without a model (errored, canceled, expired) are kept under '', so
    #    a batch whose requests all failed still has a row. `counted` marks the one row per batch under
    #    which a spend report by model counts the batch: the model with most succeeded requests.
    """
    CREATE TABLE result_usage (
        profile TEXT NOT NULL,
        batch_id TEXT NOT NULL,
        model TEXT NOT NULL,
        requests INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        unpriced_rows INTEGER NOT NULL,
        counted INTEGER NOT NULL,
        PRIMARY KEY (profile, batch_id, model)
    ) WITHOUT ROWID;
    INSERT INTO result_usage SELECT r.profile, r.batch_id, COALESCE(r.model, ''), SUM(r.outcome = 'succeeded'),
        SUM(r.input_tokens), SUM(r.output_tokens), SUM(r.cache_write_tokens), SUM(r.cache_read_tokens),
        COALESCE(SUM(r.cost_usd), 0.0), SUM(r.outcome = 'succeeded' AND r.cost_usd IS NULL),
        ROW_NUMBER() OVER (PARTITION BY r.profile, r.batch_id ORDER BY SUM(r.outcome = 'succeeded') DESC,
            COALESCE(r.model, '') = '', COALESCE(r.model, '')) = 1
    FROM results r JOIN result_sets s ON s.profile = r.profile AND s.batch_id = r.batch_id AND s.status = 'complete'
    GROUP BY r.profile, r.batch_id, COALESCE(r.model, '');
    CREATE INDEX batches_by_ended ON batches (profile, ended_at) WHERE ended_at IS NOT NULL;
    """,
    # 9: the batch list reads pages in SQL (issue 16), and every sort but TIME walks an index whose key is a
    #    column, so the first page of 100,000 batches is a short index walk, not a sort, and a page next to the
    #    cursor's row seeks to it by row value, even inside a long run of equal keys (an index on an expression
    #    is only sought by its first term). What LABEL, COST and LEFT sort on lives in other tables (a label in
    #    batch_meta, a cost and a complete result set in result_sets), so each batch's row keeps a copy as the
    #    list sorts it: `label_key` (the label lowercased, '' for none), `cost_key` (the results' cost, -1 for
    #    none), `results_done` (its result set is complete), and for the `/` filter `meta_text` (label and
    #    note, ASCII-lowercased as the filter's text test lowers them). `BatchRepo.keep_sort_keys` writes them
    #    with the label or note (`set_meta`), a new batch (`store`) and a result set's change (`ResultRepo`).
    #    REQUESTS, STATUS and LEFT are generated columns of the row (LEFT counts down to a fixed moment: expiry
    #    while live, archival after, so it orders the same whatever the clock says). One narrow index holds
    #    every column the list filters and counts on, copies included, so a view's count and a cursor's
    #    position in any sort read it instead of the rows' raw JSON. `bd_lower` (Python's lower) is registered
    #    on every connection (`core.store.db`).
    """
    CREATE INDEX batches_by_created_asc ON batches (profile, created_at ASC, id DESC);
    ALTER TABLE batches ADD COLUMN label_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE batches ADD COLUMN cost_key REAL NOT NULL DEFAULT -1.0;
    ALTER TABLE batches ADD COLUMN results_done INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE batches ADD COLUMN meta_text TEXT NOT NULL DEFAULT '';
    ALTER TABLE batches ADD COLUMN requests_key INTEGER
        GENERATED ALWAYS AS (n_processing + n_succeeded + n_errored + n_canceled + n_expired) VIRTUAL;
    ALTER TABLE batches ADD COLUMN failures_key INTEGER GENERATED ALWAYS AS (n_errored + n_canceled + n_expired) VIRTUAL;
    ALTER TABLE batches ADD COLUMN stage_key INTEGER GENERATED ALWAYS AS (CASE WHEN deleted_at IS NOT NULL THEN 3 WHEN processing_status = 'in_progress' THEN 0
        WHEN processing_status = 'canceling' THEN 1 WHEN processing_status = 'ended' THEN 2 ELSE 3 END) VIRTUAL;
    ALTER TABLE batches ADD COLUMN left_key INTEGER GENERATED ALWAYS AS (CASE WHEN deleted_at IS NOT NULL OR archived_at IS NOT NULL OR results_done THEN 9e18
        WHEN processing_status IN ('in_progress', 'canceling') AND expires_at IS NOT NULL
        THEN CAST(round(86400000 * julianday(expires_at)) AS INTEGER)
        ELSE CAST(round(86400000 * (julianday(created_at) + 29)) AS INTEGER) END) VIRTUAL;
    UPDATE batches SET label_key = (SELECT CASE WHEN m.label GLOB '*[^ -~]*' THEN bd_lower(m.label)
        ELSE lower(m.label) END FROM batch_meta m WHERE m.profile = batches.profile AND m.batch_id = batches.id)
    WHERE EXISTS (SELECT 1 FROM batch_meta m WHERE m.profile = batches.profile AND m.batch_id = batches.id
        AND m.label IS NOT NULL);
    UPDATE batches SET meta_text = (SELECT lower(COALESCE(m.label, '') || char(31) || COALESCE(m.note, ''))
        FROM batch_meta m WHERE m.profile = batches.profile AND m.batch_id = batches.id)
    WHERE EXISTS (SELECT 1 FROM batch_meta m WHERE m.profile = batches.profile AND m.batch_id = batches.id);
    UPDATE batches SET
        cost_key = (SELECT COALESCE(r.cost_usd, -1.0) FROM result_sets r
            WHERE r.profile = batches.profile AND r.batch_id = batches.id),
        results_done = (SELECT r.status = 'complete' FROM result_sets r
            WHERE r.profile = batches.profile AND r.batch_id = batches.id)
    WHERE EXISTS (SELECT 1 FROM result_sets r WHERE r.profile = batches.profile AND r.batch_id = batches.id);
    CREATE INDEX batches_listed_keys ON batches (profile, deleted_at, processing_status, n_processing, n_succeeded,
        n_errored, n_canceled, n_expired, created_at, expires_at, ended_at, archived_at, label_key, cost_key,
        results_done, meta_text);
    CREATE INDEX batches_by_requests_key ON batches (profile, requests_key ASC, created_at DESC, id DESC);
    CREATE INDEX batches_by_requests_key_desc ON batches (profile, requests_key DESC, created_at DESC, id DESC);
    CREATE INDEX batches_by_failures_key ON batches
        (profile, failures_key ASC, stage_key ASC, processing_status ASC, created_at DESC, id DESC);
    CREATE INDEX batches_by_failures_key_desc ON batches
        (profile, failures_key DESC, stage_key DESC, processing_status DESC, created_at DESC, id DESC);
    CREATE INDEX batches_by_label ON batches (profile, label_key ASC, created_at DESC, id DESC);
    CREATE INDEX batches_by_label_desc ON batches (profile, label_key DESC, created_at DESC, id DESC);
    CREATE INDEX batches_by_cost ON batches (profile, cost_key ASC, created_at DESC, id DESC);
    CREATE INDEX batches_by_cost_desc ON batches (profile, cost_key DESC, created_at DESC, id DESC);
    CREATE INDEX batches_by_left ON batches (profile, left_key ASC, created_at DESC, id DESC);
    CREATE INDEX batches_by_left_desc ON batches (profile, left_key DESC, created_at DESC, id DESC);
    """,
    # 10: TIME walks an index too (issue 16). A live batch's run time grows with the clock, an ended one's is
    #     fixed: `time_key` keeps an ended batch's in whole milliseconds (NULL while it runs), written with the
    #     row (`BatchRepo.store`). The ended rows walk its index; the few not ended are found at its NULLs and
    #     merged in (`core.store.batch_pages`). The narrow index holds it, so a cursor's place in TIME order is
    #     counted there, without computing two julian days a row. `meta_text` begins with the id lowercased, so
    #     the `/` filter's text test is one `instr` a row (the id's case-folding was half its cost). LEFT's key,
    #     a generated column (two julian days a row for a count), is a column of the row kept by every write of
    #     what it reads (`list_keys.keep_left_key`), held by the narrow index too.
    #     `sync_state.ids_checked`: the profile's ids have been checked for ids stored before they were checked
    #     at entry (`BatchRepo.forget_malformed_ids`), so a sync no longer reads every id to look for them.
    """
    ALTER TABLE batches ADD COLUMN time_key INTEGER;
    UPDATE batches SET meta_text = lower(id) || char(31) || meta_text;
    ALTER TABLE sync_state ADD COLUMN ids_checked INTEGER NOT NULL DEFAULT 0;
    UPDATE batches SET time_key = CAST(round(86400000 * (julianday(ended_at) - julianday(created_at))) AS INTEGER)
    WHERE ended_at IS NOT NULL;
    DROP INDEX batches_listed_keys;
    DROP INDEX batches_by_left;
    DROP INDEX batches_by_left_desc;
    ALTER TABLE batches DROP COLUMN left_key;
    ALTER TABLE batches ADD COLUMN left_key INTEGER NOT NULL DEFAULT 0;
    UPDATE batches SET left_key = (CASE WHEN deleted_at IS NOT NULL OR archived_at IS NOT NULL OR results_done
        THEN 9e18 WHEN processing_status IN ('in_progress', 'canceling') AND expires_at IS NOT NULL
        THEN CAST(round(86400000 * julianday(expires_at)) AS INTEGER)
        ELSE CAST(round(86400000 * (julianday(created_at) + 29)) AS INTEGER) END);
    CREATE INDEX batches_by_left ON batches (profile, left_key ASC, created_at DESC, id DESC);
    CREATE INDEX batches_by_left_desc ON batches (profile, left_key DESC, created_at DESC, id DESC);
    CREATE INDEX batches_listed_keys ON batches (profile, deleted_at, processing_status, n_processing, n_succeeded,
        n_errored, n_canceled, n_expired, created_at, expires_at, ended_at, archived_at, label_key, cost_key,
        results_done, meta_text, time_key, left_key);
    CREATE INDEX batches_by_time ON batches (profile, time_key ASC, created_at DESC, id DESC);
    CREATE INDEX batches_by_time_desc ON batches (profile, time_key DESC, created_at DESC, id DESC);
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
LOCAL_TABLES = ("batch_meta", "jobs", "job_requests", "submissions", "attachments", "attached_requests")
