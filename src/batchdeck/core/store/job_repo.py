"""The SQLite side of jobs: the job, its requests (zlib-compressed lines), and its submissions.

A submission is one part sent (or to be sent) as one batch. Its `state` moves
`pending` → `intent` (committed just before the create call) → `created` (batch id known),
or → `uncertain` when the call's answer was lost. `attached` marks a batch made elsewhere
whose request file was attached. Every change is its own committed transaction, so a
process killed at any point leaves a state the next run can reconcile.

A job may *claim* its content hash: a unique index lets one job per profile hold a given hash,
so the store itself refuses a second ordinary submission of the same content.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from batchdeck.core.store.repository import Repository

CHUNK = 5_000
OPEN_STATES = ("intent", "uncertain")


@dataclass(frozen=True)
class Job:
    id: str
    name: str
    source_file: str | None
    content_hash: str | None
    request_count: int
    created_at: str


@dataclass(frozen=True)
class Submission:
    job_id: str
    part: int
    kind: str  # submit | retry | attached
    round: int  # 0 for the first submission, +1 per resubmission
    parent_batch_id: str | None
    request_count: int
    bytes: int
    state: str  # pending | intent | created | uncertain
    batch_id: str | None
    anchor_id: str | None  # newest batch in the workspace just before the create call ('' = none)
    anchor_created_at: str | None
    intent_at: str | None
    created_at: str
    error: str | None


class ContentClaimed(Exception):
    """Another job of the profile already holds this content hash."""

    def __init__(self, job_id: str) -> None:
        super().__init__(job_id)
        self.job_id = job_id


def pack_ids(custom_ids: Sequence[str]) -> bytes:
    return zlib.compress(json.dumps(list(custom_ids), separators=(",", ":")).encode())


class JobRepo(Repository):
    # -- jobs ---------------------------------------------------------------------------------
    def new_job(
        self,
        name: str,
        source_file: str | None,
        content_hash: str | None,
        request_count: int,
        now: str,
        claim: bool = False,
    ) -> Job:
        """A new job; with `claim` it becomes the one job of its content (raises ContentClaimed if taken)."""
        with self.db.transaction() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM jobs WHERE profile = ?", (self.profile,))]
            number = 1 + max((int(i[4:]) for i in ids if i[4:].isdigit()), default=0)
            job = Job(f"job-{number}", name, source_file, content_hash, request_count, now)
            claimed = content_hash if claim else None
            try:
                conn.execute(
                    "INSERT INTO jobs (profile, id, name, source_file, content_hash, request_count, "
                    "created_at, claimed_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (self.profile, *job.__dict__.values(), claimed),
                )
            except sqlite3.IntegrityError:
                holder = self._claimant(conn, claimed)
                if holder is None:
                    raise
                raise ContentClaimed(holder) from None
        return job

    def _claimant(self, conn: sqlite3.Connection, content_hash: str | None) -> str | None:
        row = (
            conn.execute(
                "SELECT id FROM jobs WHERE profile = ? AND claimed_hash = ?", (self.profile, content_hash)
            ).fetchone()
            if content_hash
            else None
        )
        return row[0] if row else None

    def delete_job(self, job_id: str) -> None:
        """Forget a job that never got as far as its first submission (an interrupted store)."""
        with self.db.transaction() as conn:
            for table in ("job_requests", "submissions"):
                conn.execute(f"DELETE FROM {table} WHERE profile = ? AND job_id = ?", (self.profile, job_id))
            conn.execute("DELETE FROM jobs WHERE profile = ? AND id = ?", (self.profile, job_id))

    def job(self, job_id: str) -> Job | None:
        row = self.conn.execute(
            "SELECT id, name, source_file, content_hash, request_count, created_at FROM jobs "
            "WHERE profile = ? AND id = ?",
            (self.profile, job_id),
        ).fetchone()
        return Job(*row) if row else None

    def jobs(self) -> list[Job]:
        rows = self.conn.execute(
            "SELECT id, name, source_file, content_hash, request_count, created_at FROM jobs "
            "WHERE profile = ? ORDER BY created_at DESC, id DESC",
            (self.profile,),
        )
        return [Job(*r) for r in rows]

    def by_name(self, name: str) -> list[Job]:
        return [j for j in self.jobs() if j.name == name]

    def by_hash(self, content_hash: str) -> list[Job]:
        return [j for j in self.jobs() if j.content_hash == content_hash]

    # -- requests -----------------------------------------------------------------------------
    def add_requests(self, job_id: str, rows: Iterable[tuple[str, int, bytes, int, str, int, int]]) -> int:
        """(custom_id, seq, raw line, wire bytes, model, max_tokens, input tokens), committed in chunks."""
        batch: list[tuple[Any, ...]] = []
        total = 0
        for custom_id, seq, line, size, model, max_tokens, tokens in rows:
            batch.append((self.profile, job_id, custom_id, seq, zlib.compress(line), size, model, max_tokens, tokens))
            if len(batch) >= CHUNK:
                total += self._insert(batch)
                batch = []
        return total + self._insert(batch)

    def _insert(self, batch: list[tuple[Any, ...]]) -> int:
        if batch:
            with self.db.transaction() as conn:
                conn.executemany(
                    "INSERT OR REPLACE INTO job_requests (profile, job_id, custom_id, seq, line, wire_bytes, "
                    "model, max_tokens, input_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    batch,
                )
        return len(batch)

    def request_lines(self, job_id: str, custom_ids: Sequence[str]) -> dict[str, bytes]:
        """The raw request lines kept for these custom_ids (missing ones are absent)."""
        found: dict[str, bytes] = {}
        for start in range(0, len(custom_ids), 500):
            chunk = list(custom_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for cid, line in self.conn.execute(
                f"SELECT custom_id, line FROM job_requests WHERE profile = ? AND job_id = ? AND custom_id IN ({marks})",
                (self.profile, job_id, *chunk),
            ):
                found[cid] = zlib.decompress(line)
        return found

    def request_facts(self, job_id: str) -> dict[str, tuple[int, str, int, int]]:
        """custom_id → (wire bytes, model, max_tokens, input tokens) of every kept request."""
        rows = self.conn.execute(
            "SELECT custom_id, wire_bytes, model, max_tokens, input_tokens FROM job_requests "
            "WHERE profile = ? AND job_id = ?",
            (self.profile, job_id),
        )
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}

    def model_totals(
        self, job_id: str, custom_ids: Sequence[str] | None = None
    ) -> list[tuple[str | None, int, int, int]]:
        """(model, requests, sum of max_tokens, sum of input-token estimates) per model over the job's kept
        requests, or over those of `custom_ids` only (a part, a retry)."""
        sql = (
            "SELECT model, COUNT(*), SUM(max_tokens), SUM(input_tokens) FROM job_requests "
            "WHERE profile = ? AND job_id = ?{only} GROUP BY model"
        )
        if custom_ids is None:
            return [tuple(r) for r in self.conn.execute(sql.format(only=""), (self.profile, job_id))]
        totals: dict[str | None, tuple[int, int, int]] = {}
        for start in range(0, len(custom_ids), 500):
            chunk = list(custom_ids[start : start + 500])
            only = f" AND custom_id IN ({','.join('?' * len(chunk))})"
            for model, count, max_tokens, tokens in self.conn.execute(
                sql.format(only=only), (self.profile, job_id, *chunk)
            ):
                n, most, guessed = totals.get(model, (0, 0, 0))
                totals[model] = (n + count, most + max_tokens, guessed + tokens)
        return [(model, n, max_tokens, tokens) for model, (n, max_tokens, tokens) in totals.items()]

    def request_order(self, job_id: str) -> list[str]:
        """custom_ids in their original input order."""
        rows = self.conn.execute(
            "SELECT custom_id FROM job_requests WHERE profile = ? AND job_id = ? ORDER BY seq", (self.profile, job_id)
        )
        return [r[0] for r in rows]

    # -- submissions --------------------------------------------------------------------------
    def add_submissions(
        self,
        job_id: str,
        parts: Sequence[tuple[str, int, str | None, Sequence[str], int]],
        now: str,
        state: str = "pending",
        batch_id: str | None = None,
    ) -> list[int]:
        """(kind, round, parent batch, custom_ids, body bytes) per part; returns their part numbers."""
        with self.db.transaction() as conn:
            last = conn.execute(
                "SELECT COALESCE(MAX(part), 0) FROM submissions WHERE profile = ? AND job_id = ?",
                (self.profile, job_id),
            ).fetchone()[0]
            numbers = list(range(last + 1, last + 1 + len(parts)))
            conn.executemany(
                "INSERT INTO submissions (profile, job_id, part, kind, round, parent_batch_id, request_count, bytes, "
                "custom_ids, state, batch_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (self.profile, job_id, n, kind, rnd, parent, len(ids), size, pack_ids(ids), state, batch_id, now)
                    for n, (kind, rnd, parent, ids, size) in zip(numbers, parts, strict=True)
                ],
            )
        return numbers

    def submissions(self, job_id: str) -> list[Submission]:
        rows = self.conn.execute(
            "SELECT job_id, part, kind, round, parent_batch_id, request_count, bytes, state, batch_id, anchor_id, "
            "anchor_created_at, intent_at, created_at, error FROM submissions WHERE profile = ? AND job_id = ? "
            "ORDER BY part",
            (self.profile, job_id),
        )
        return [Submission(*r) for r in rows]

    def custom_ids(self, job_id: str, part: int) -> list[str]:
        row = self.conn.execute(
            "SELECT custom_ids FROM submissions WHERE profile = ? AND job_id = ? AND part = ?",
            (self.profile, job_id, part),
        ).fetchone()
        return json.loads(zlib.decompress(row[0])) if row else []

    def job_of_batch(self, batch_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT job_id FROM submissions WHERE profile = ? AND batch_id = ?", (self.profile, batch_id)
        ).fetchone()
        return row[0] if row else None

    def claimed_batches(self) -> set[str]:
        rows = self.conn.execute(
            "SELECT batch_id FROM submissions WHERE profile = ? AND batch_id IS NOT NULL", (self.profile,)
        )
        return {r[0] for r in rows}

    def open_jobs(self) -> list[str]:
        """Jobs with an intent or an uncertain create waiting to be reconciled."""
        marks = ",".join("?" * len(OPEN_STATES))
        rows = self.conn.execute(
            f"SELECT DISTINCT job_id FROM submissions WHERE profile = ? AND state IN ({marks})",
            (self.profile, *OPEN_STATES),
        )
        return [r[0] for r in rows]

    def update(self, job_id: str, part: int, **fields: Any) -> None:
        assignments = ", ".join(f"{k} = ?" for k in fields)
        with self.db.transaction() as conn:
            conn.execute(
                f"UPDATE submissions SET {assignments} WHERE profile = ? AND job_id = ? AND part = ?",
                (*fields.values(), self.profile, job_id, part),
            )
