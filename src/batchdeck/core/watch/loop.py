"""Headless watch: poll a few batches until they end, as a stream of `WatchEvent`s.

    watch = Watch(ws, ["msgbatch_…"], interval=30, on_end=lambda b: finish_batch(ws, b, actions))
    for event in watch.events():
        print(event.message)
    sys.exit(watch.exit_code())

Polls cost little: the first retrieves each watched batch (which also checks the ids); later
ones retrieve only the watched batches still live, or run one incremental sync when more than
`SYNC_ABOVE` are (one list request covers the newest 1000). With no ids, the set is every
batch live at the first successful sync. Every poll writes to the cache, so a TUI open at the
same time sees the same data. API failures never end the watch (except a rejected key): polls
back off (`PollSchedule`, honouring retry-after), the outage is reported once and the recovery
once. Time only passes through `sleep`, which tests replace.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from batchdeck.core import timefmt
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.errors import ApiFailure, BatchdeckError
from batchdeck.core.terminal_text import visible
from batchdeck.core.watch.notify import ending_message
from batchdeck.core.watch.outcome import HookOutcome
from batchdeck.core.watch.poll_schedule import PollSchedule
from batchdeck.core.workspace import Workspace

EXIT_OK = 0  # every watched batch ended and every row succeeded
EXIT_FAILED_ROWS = 3  # some ended with errored, expired or canceled rows, or vanished
SYNC_ABOVE = 3  # more live watched batches than this: one sync per poll instead of a retrieve each
UNTIL = ("ended", "any-ended")

Sleep = Callable[[float], None]
OnEnd = Callable[[CachedBatch], list[HookOutcome]]
Poll = Generator["WatchEvent", None, "tuple[bool, float | None]"]


@dataclass(frozen=True)
class WatchEvent:
    """One thing worth a line: start, watching, status, ended, gone, action, warning, error, recovered, done,
    interrupted."""

    kind: str
    at: str
    message: str
    batch: CachedBatch | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"event": self.kind, "at": self.at, "message": self.message}
        if self.batch is not None:
            doc["batch"] = self.batch.to_json()
        return {**doc, **self.extra}


def name_of(batch: CachedBatch) -> str:
    return f"{batch.id} ({batch.label})" if batch.label else batch.id


class Watch:
    def __init__(
        self,
        ws: Workspace,
        ids: Sequence[str] | None,
        *,
        interval: float,
        until: str = "ended",
        sleep: Sleep = time.sleep,
        on_end: OnEnd | None = None,
    ) -> None:
        if until not in UNTIL:
            raise ValueError(f"until must be one of {UNTIL}")
        self.ws = ws
        self.all_live = not ids
        self.ids: list[str] | None = None if self.all_live else list(dict.fromkeys(ids or []))
        self.interval = interval
        self.until = until
        self.sleep = sleep
        self.on_end = on_end
        self.schedule = PollSchedule(live_seconds=interval, idle_seconds=interval)
        self.status: dict[str, str] = {}  # id -> last status seen: in_progress, canceling, ended, gone
        self.final: dict[str, CachedBatch] = {}  # ended or gone
        self.polls = 0
        self.polls_ok = 0
        self.failures = 0  # consecutive failed polls
        self.outage_seconds = 0.0
        self.warnings: list[str] = []  # to report after the poll that found them
        self.skipped_reported = False  # malformed objects from the API: said once per watch, not every poll

    # -- the loop ----------------------------------------------------------------------------------
    def events(self) -> Iterator[WatchEvent]:
        while True:
            ok, retry_after = yield from self._poll()
            if ok and self.finished():
                yield self._done()
                return
            delay = self.schedule.next_delay(live=1, ok=ok, retry_after=retry_after)
            if not ok:
                self.outage_seconds += delay
            self.sleep(delay)

    def finished(self) -> bool:
        if self.ids is None:
            return False
        if self.until == "any-ended" and self.final:
            return True
        return all(i in self.final for i in self.ids)

    def exit_code(self) -> int:
        failed = [b for b in self.final.values() if b.deleted_at or b.counts.failed]
        return EXIT_FAILED_ROWS if failed else EXIT_OK

    def live_ids(self) -> list[str]:
        return [i for i in self.ids or [] if i not in self.final]

    # -- one poll ----------------------------------------------------------------------------------
    def _poll(self) -> Poll:
        self.polls += 1
        try:
            batches = self._read()
        except ApiFailure as failure:
            if failure.kind == "auth":
                raise
            self.failures += 1
            if self.failures == 1:
                yield self._event(
                    "error",
                    f"cannot poll: {failure}; retrying with backoff, and saying so once it works again",
                    error_kind=failure.kind,
                )
            return False, failure.retry_after
        if self.failures:
            yield self._event(
                "recovered",
                f"the API answers again, after {self.failures} failed poll"
                f"{'s' * (self.failures != 1)} over about "
                f"{timefmt.span(self.outage_seconds)}",
                failed_polls=self.failures,
            )
            self.failures, self.outage_seconds = 0, 0.0
        if self.polls_ok == 0:
            yield self._start()
        self.polls_ok += 1
        for warning in self.warnings:
            yield self._event("warning", warning)
        self.warnings.clear()
        for batch in batches:
            yield from self._changes(batch)
        return True, None

    def _read(self) -> list[CachedBatch]:
        """Refresh the watched batches still live; returns them as the cache now has them."""
        if self.ids is None:
            self._sync()
            self.ids = [b.id for b in reversed(self.ws.batches.query({"live"}))]  # oldest first
        elif self.polls_ok and len(self.live_ids()) > SYNC_ABOVE:
            self._sync()
        else:
            for batch_id in self.live_ids():
                self._retrieve(batch_id)
        return [b for i in self.live_ids() if (b := self.ws.batches.get(i)) is not None]

    def _sync(self) -> None:
        report = self.ws.syncer().sync()
        if not report.ok:
            raise ApiFailure(
                report.error or "sync failed", report.error_kind or "other", retry_after=report.retry_after
            )
        skipped = report.skipped_line()
        if skipped and not self.skipped_reported:
            self.warnings.append(skipped)
            self.skipped_reported = True

    def _retrieve(self, batch_id: str) -> None:
        try:
            batch = self.ws.api.retrieve(batch_id)
        except ApiFailure as failure:
            if failure.kind != "not_found":
                raise
            if batch_id not in self.status and self.ws.batches.get(batch_id) is None:
                raise BatchdeckError(
                    f"no batch {batch_id} in profile {self.ws.profile.name!r} (check the id, or pass --profile)"
                ) from None
            self.ws.batches.mark_deleted([batch_id], self.ws.now())
            return
        self.ws.batches.store([batch], self.ws.now())

    # -- events ------------------------------------------------------------------------------------
    def _changes(self, batch: CachedBatch) -> Iterator[WatchEvent]:
        status = "gone" if batch.deleted_at else batch.processing_status
        before = self.status.get(batch.id)
        self.status[batch.id] = status
        if status == before:
            return
        if status == "gone":
            self.final[batch.id] = batch
            yield self._event("gone", f"batch {name_of(batch)} no longer exists remotely (deleted)", batch)
        elif status == "ended":
            self.final[batch.id] = batch
            already = " (it had already ended)" if before is None else ""
            yield self._event("ended", ending_message(batch) + already, batch)
            for outcome in self._end_actions(batch):
                yield self._event(
                    "action", outcome.message, None, batch_id=batch.id, action=outcome.name, ok=outcome.ok
                )
        elif before is None:
            yield self._event("watching", self._watching_line(batch), batch)
        else:
            yield self._event(
                "status", f"batch {name_of(batch)}: {before.replace('_', ' ')} → {status.replace('_', ' ')}", batch
            )

    def _end_actions(self, batch: CachedBatch) -> list[HookOutcome]:
        """What `on_end` did; should it fail in a way nobody foresaw, that is one more problem to report:
        no hook failure ever ends the watch."""
        if self.on_end is None:
            return []
        try:
            return self.on_end(batch)
        except Exception as exc:
            return [
                HookOutcome(
                    "end_actions",
                    False,
                    f"end-of-batch actions for {batch.id} failed: internal error "
                    f"({type(exc).__name__}: {visible(str(exc))})",
                )
            ]

    def _watching_line(self, batch: CachedBatch) -> str:
        now = self.ws.api_now()
        text = (
            f"batch {name_of(batch)}: {batch.status_text()}, {batch.counts.total:,} request"
            f"{'s' * (batch.counts.total != 1)}, running {timefmt.span(batch.duration_seconds(now))}"
        )
        if batch.expires_at:
            left = (timefmt.parse(batch.expires_at) - now).total_seconds()
            text += f", expires in {timefmt.span(left)}" if left > 0 else ", past its expiry"
        return text

    def _start(self) -> WatchEvent:
        ids = self.ids or []
        which = (
            f"the {len(ids)} live batch{'es' * (len(ids) != 1)}"
            if self.all_live
            else f"{len(ids)} batch{'es' * (len(ids) != 1)}"
        )
        if self.all_live and not ids:
            return self._event(
                "start", f"no live batches in profile {self.ws.profile.name!r}: nothing to watch", ids=ids
            )
        until = "until one ends" if self.until == "any-ended" else "until all have ended"
        return self._event(
            "start",
            f"watching {which} of profile {self.ws.profile.name!r}, polling every {self.interval:g}s {until}",
            ids=ids,
        )

    def _done(self) -> WatchEvent:
        ended = list(self.final.values())
        failed = [b for b in ended if b.deleted_at or b.counts.failed]
        if not self.ids:
            text = "done: nothing was live"
        else:
            scope = "" if len(ended) == len(self.ids) else f" of {len(self.ids)}"
            text = (
                f"done: {len(ended)}{scope} watched batch{'es' * (len(ended) != 1)} ended, "
                f"{len(ended) - len(failed)} without failed rows, {len(failed)} with failed rows or gone"
            )
        return self._event(
            "done",
            text,
            exit_code=self.exit_code(),
            ended=[b.id for b in ended],
            failed=[b.id for b in failed],
            still_live=self.live_ids(),
        )

    def interrupted(self) -> WatchEvent:
        live = self.live_ids()
        return self._event(
            "interrupted",
            f"interrupted; {len(live)} watched batch{'es' * (len(live) != 1)} still live",
            still_live=live,
        )

    def _event(self, kind: str, message: str, batch: CachedBatch | None = None, **extra: Any) -> WatchEvent:
        return WatchEvent(kind, self.ws.now(), message, batch, extra)
