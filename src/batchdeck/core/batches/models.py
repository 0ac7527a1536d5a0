"""A batch as the cache knows it: the API's fields plus local metadata, and its status text and durations."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from batchdeck.core import timefmt
from batchdeck.core.errors import ApiFailure
from batchdeck.core.ids import is_batch_id
from batchdeck.core.terminal_text import visible

OUTCOMES = ("succeeded", "errored", "canceled", "expired")
LIVE_STATUSES = ("in_progress", "canceling")
COUNT_KEYS = ("processing", *OUTCOMES)
TIME_FIELDS = ("expires_at", "ended_at", "cancel_initiated_at", "archived_at")  # besides created_at, which is required
_STATUS = re.compile(r"[a-z_]{1,40}")  # in_progress, canceling, ended (and room for a status the API adds later)


class MalformedBatch(ApiFailure):
    """A batch object from the API that the cache cannot hold (wrong types, a bad id): skipped, never stored."""

    def __init__(self, shown_id: str, reason: str, batch_id: str | None = None) -> None:
        super().__init__(f"the API sent a malformed batch {shown_id}: {reason}", kind="malformed")
        self.shown_id = shown_id  # quoted and made visible: safe to print
        self.reason = reason
        self.batch_id = batch_id  # when the id itself is well formed (so a cached copy can be kept)


def check_batch(obj: object) -> dict[str, Any]:
    """`obj` when it is a batch object the cache can store; else `MalformedBatch` naming the first bad field.

    One broken object must not fail a whole sync, so list pages and retrieves check every object here
    before anything reads its fields."""
    if not isinstance(obj, dict):
        raise MalformedBatch(_shown(obj), "not a batch object")
    if not is_batch_id(obj.get("id")):
        raise MalformedBatch(_shown_id(obj.get("id")), "its id is not of the form msgbatch_[A-Za-z0-9_-]")
    problem = _field_problem(obj)
    if problem:
        raise MalformedBatch(_shown_id(obj["id"]), problem, obj["id"])
    return obj


def split_batches(objects: Iterable[object]) -> tuple[list[dict[str, Any]], list[MalformedBatch]]:
    """(the well-formed batch objects, one `MalformedBatch` per object skipped), in the API's order."""
    good: list[dict[str, Any]] = []
    bad: list[MalformedBatch] = []
    for obj in objects:
        try:
            good.append(check_batch(obj))
        except MalformedBatch as exc:
            bad.append(exc)
    return good, bad


def _shown_id(value: object) -> str:
    if value is None:
        return "(no id)"
    return repr(visible(str(value))[:80])


def _field_problem(obj: dict[str, Any]) -> str | None:
    status = obj.get("processing_status")
    if not isinstance(status, str) or not _STATUS.fullmatch(status):
        return f"processing_status {_shown(status)} is not a status"
    counts = obj.get("request_counts")
    if not isinstance(counts, dict):
        return f"request_counts {_shown(counts)} is not an object"
    for key in COUNT_KEYS:
        value = counts.get(key)
        if value is not None and (type(value) is not int or value < 0):
            return f"request_counts.{key} {_shown(value)} is not a count"
    if not _is_time(obj.get("created_at")):
        return f"created_at {_shown(obj.get('created_at'))} is not a timestamp"
    for key in TIME_FIELDS:
        value = obj.get(key)
        if value is not None and not _is_time(value):
            return f"{key} {_shown(value)} is not a timestamp"
    url = obj.get("results_url")
    if url is not None and not isinstance(url, str):
        return f"results_url {_shown(url)} is not a URL"
    return None


def _is_time(value: object) -> bool:
    """Readable by `timefmt.parse` (the same expression), and far enough from year 1 and 9999 that
    converting it to UTC cannot overflow."""
    if type(value) is not str:
        return False
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return 1 < moment.year < 9999


def _shown(value: object) -> str:
    return visible(json.dumps(value, ensure_ascii=False, default=str))[:60]


@dataclass(frozen=True)
class RequestCounts:
    processing: int = 0
    succeeded: int = 0
    errored: int = 0
    canceled: int = 0
    expired: int = 0

    @property
    def total(self) -> int:
        return self.processing + self.succeeded + self.errored + self.canceled + self.expired

    @property
    def failed(self) -> int:
        """Rows that did not succeed once the batch ended."""
        return self.errored + self.canceled + self.expired

    def as_dict(self) -> dict[str, int]:
        return {
            "processing": self.processing,
            "succeeded": self.succeeded,
            "errored": self.errored,
            "canceled": self.canceled,
            "expired": self.expired,
        }


@dataclass(frozen=True)
class CachedBatch:
    profile: str
    id: str
    processing_status: str
    counts: RequestCounts
    created_at: str
    expires_at: str | None
    ended_at: str | None
    cancel_initiated_at: str | None
    archived_at: str | None
    results_url: str | None
    first_seen_at: str
    refreshed_at: str
    deleted_at: str | None = None
    label: str | None = None
    note: str | None = None
    tags: tuple[str, ...] = ()
    source_file: str | None = None
    created_by: str | None = None
    parent_batch_id: str | None = None
    results_status: str | None = None  # of the local copy: complete, downloading, failed, or None
    cost_usd: float | None = None  # at batch prices, known once the results are downloaded
    standard_cost_usd: float | None = None
    unpriced_rows: int = 0  # succeeded rows whose model has no known price

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> CachedBatch:
        keys = row.keys()
        counts = RequestCounts(*(row[f"n_{k}"] for k in ("processing", *OUTCOMES)))
        return cls(
            profile=row["profile"],
            id=row["id"],
            processing_status=row["processing_status"],
            counts=counts,
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            ended_at=row["ended_at"],
            cancel_initiated_at=row["cancel_initiated_at"],
            archived_at=row["archived_at"],
            results_url=row["results_url"],
            first_seen_at=row["first_seen_at"],
            refreshed_at=row["refreshed_at"],
            deleted_at=row["deleted_at"],
            label=row["label"] if "label" in keys else None,
            note=row["note"] if "note" in keys else None,
            tags=tuple(json.loads(row["tags"])) if "tags" in keys and row["tags"] else (),
            source_file=row["source_file"] if "source_file" in keys else None,
            created_by=row["created_by"] if "created_by" in keys else None,
            parent_batch_id=row["parent_batch_id"] if "parent_batch_id" in keys else None,
            results_status=row["results_status"] if "results_status" in keys else None,
            cost_usd=row["cost_usd"] if "cost_usd" in keys else None,
            standard_cost_usd=row["standard_cost_usd"] if "standard_cost_usd" in keys else None,
            unpriced_rows=(row["unpriced_rows"] or 0) if "unpriced_rows" in keys else 0,
        )

    @property
    def results_saved(self) -> bool:
        """A complete local copy of the results exists (it outlives the 29-day archive)."""
        return self.results_status == "complete"

    @property
    def is_live(self) -> bool:
        return self.processing_status in LIVE_STATUSES and self.deleted_at is None

    @property
    def created(self) -> datetime:
        return timefmt.parse(self.created_at)

    def status_text(self) -> str:
        """`in progress`, `canceling`, `ended`, or `ended · 2 errored · 1 expired` when rows failed."""
        if self.deleted_at is not None:
            return "deleted"
        if self.processing_status != "ended":
            return self.processing_status.replace("_", " ")
        parts = [
            f"{n} {k}"
            for k, n in (
                ("errored", self.counts.errored),
                ("expired", self.counts.expired),
                ("canceled", self.counts.canceled),
            )
            if n
        ]
        return " · ".join(["ended", *parts])

    def duration_seconds(self, now: datetime) -> float:
        """Processing time so far, or in total once ended."""
        end = timefmt.parse(self.ended_at) if self.ended_at else now
        return (end - self.created).total_seconds()

    def to_json(self) -> dict[str, Any]:
        """The stable `--json` shape (documented in the README)."""
        return {
            "id": self.id,
            "profile": self.profile,
            "processing_status": self.processing_status,
            "status": self.status_text(),
            "request_counts": self.counts.as_dict(),
            "total": self.counts.total,
            "created_at": self.created_at,
            "ended_at": self.ended_at,
            "expires_at": self.expires_at,
            "cancel_initiated_at": self.cancel_initiated_at,
            "archived_at": self.archived_at,
            "results_url": self.results_url,
            "deleted": self.deleted_at is not None,
            "deleted_at": self.deleted_at,
            "label": self.label,
            "note": self.note,
            "tags": list(self.tags),
            "source_file": self.source_file,
            "created_by": self.created_by,
            "parent_batch_id": self.parent_batch_id,
            "first_seen_at": self.first_seen_at,
            "refreshed_at": self.refreshed_at,
            "results_saved": self.results_saved,
            "cost_usd": self.cost_usd,
            "standard_cost_usd": self.standard_cost_usd,
            "unpriced_rows": self.unpriced_rows,
        }
