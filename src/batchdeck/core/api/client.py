"""The one place batchdeck talks to the Batches API: a thin layer over the SDK, one client per profile.

Batches come back as the plain JSON objects the API sent (every field kept, including any the
SDK does not know yet); list pages are read raw for the same reason and because it is the
cheapest way to move thousands of batches into the cache. SDK errors become `ApiFailure`s
with one readable line and the key redacted.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urljoin, urlsplit

import anthropic
import httpx2

from batchdeck.core.batches.models import MalformedBatch, check_batch, split_batches
from batchdeck.core.clock import Clock, skew_from_date, utcnow
from batchdeck.core.config.profiles import Profile
from batchdeck.core.errors import ApiFailure, redact
from batchdeck.core.ids import check_batch_id, is_batch_id
from batchdeck.core.terminal_text import visible
from batchdeck.core.urls import without_userinfo

LIST_LIMIT = 1000
MAX_REDIRECTS = 3  # for a results download, on the base URL's own origin only
DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}  # Content-Encoding -> zlib wbits


@dataclass(frozen=True)
class Page:
    data: list[dict[str, Any]]  # the well-formed batches of the page
    has_more: bool
    last_id: str | None
    skipped: tuple[MalformedBatch, ...] = ()  # objects of the page the cache cannot hold, in the API's order


@dataclass
class ResultsBody:
    """A results body as decoded pieces, and how many results the batch says it holds."""

    chunks: Iterator[bytes]
    expected_rows: int  # the sum of the batch's request_counts, read just before the download

    def __iter__(self) -> Iterator[bytes]:
        return self.chunks


class BatchesApi:
    """Batches endpoints for one profile. `calls` counts requests made (not retries)."""

    def __init__(self, profile: Profile, *, max_retries: int = 2, timeout: float = 60.0, clock: Clock = utcnow) -> None:
        key = profile.resolve_key()
        if not key:
            raise ApiFailure(
                f"no API key for profile {profile.name!r}: set ${profile.api_key_env}, or add a profile with "
                "`batchdeck profile add NAME --api-key-env VAR`",
                kind="auth",
            )
        self.profile = profile
        self._key = key
        self.base_url = profile.resolve_base_url() or "https://api.anthropic.com"
        headers = {"anthropic-workspace-id": profile.workspace_id} if profile.workspace_id else None
        try:
            self._client = anthropic.Anthropic(
                api_key=key,
                base_url=self.base_url,
                max_retries=max_retries,
                timeout=httpx2.Timeout(timeout, connect=min(timeout, 10.0)),
                default_headers=headers,
            )
        except (httpx2.InvalidURL, httpx2.UnsupportedProtocol, ValueError) as exc:
            raise ApiFailure(
                f"the base URL {without_userinfo(self.base_url)!r} of profile {profile.name!r} is not usable ({exc})",
                kind="other",
            ) from None
        self.calls = 0
        self._clock = clock  # the local clock that `skew_seconds` corrects
        self.skew_seconds = 0.0  # the API's clock minus ours, from the latest response's Date header
        self.skew_measured = False  # whether any response carried a readable Date header

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> BatchesApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- endpoints ----------------------------------------------------------------------------
    def list_page(self, limit: int = LIST_LIMIT, after_id: str | None = None) -> Page:
        """One page of batches, newest first, older than `after_id` when given. Objects the cache cannot
        hold (a bad id, wrong types) are in `skipped`, not `data`; the cursor is always a well-formed id."""
        params: dict[str, Any] = {"limit": limit}
        if after_id:
            params["after_id"] = after_id
        body = self._json(lambda: self._client.messages.batches.with_raw_response.list(**params), "list batches")
        raw = body.get("data")
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            raise ApiFailure("cannot list batches: the API's answer has no list of batches", kind="other")
        data, skipped = split_batches(raw)
        has_more = bool(body.get("has_more")) and bool(raw)
        return Page(data, has_more, _cursor(body, raw, has_more), tuple(skipped))

    def retrieve(self, batch_id: str) -> dict[str, Any]:
        """One batch, checked (`MalformedBatch` when the API sent something the cache cannot hold)."""
        check_batch_id(batch_id, "the cache or the command line")
        batch = self._json(
            lambda: self._client.messages.batches.with_raw_response.retrieve(batch_id),
            f"read batch {batch_id}",
            batch_id,
        )
        return check_batch(batch)

    def cancel(self, batch_id: str) -> dict[str, Any]:
        """The batch as the API sent it after the cancel, checked like a retrieve (cancel is idempotent)."""
        return check_batch(
            self._json(
                lambda: self._client.messages.batches.with_raw_response.cancel(batch_id),
                f"cancel batch {batch_id}",
                batch_id,
            )
        )

    def delete(self, batch_id: str) -> None:
        self._json(
            lambda: self._client.messages.batches.with_raw_response.delete(batch_id),
            f"delete batch {batch_id}",
            batch_id,
        )

    def create(self, requests: list[dict[str, Any]]) -> dict[str, Any]:
        """Create a batch and return it as the API sent it.

        The SDK does not retry here: a create is not idempotent, and resending after an answer
        that was lost on the way back would make a second batch. A timeout or a dropped
        connection raises an `ApiFailure` of kind `network`; the caller reconciles (see
        `core.jobs.reconcile`) before ever sending again.
        """
        client = self._client.with_options(max_retries=0)
        what = f"create a batch of {len(requests):,} requests"
        body = self._json(
            lambda: client.messages.batches.with_raw_response.create(requests=cast(Any, requests)),
            what,
            garbled="malformed",
        )
        try:
            return check_batch(body)
        except MalformedBatch as bad:
            raise ApiFailure(
                f"cannot {what}: the API answered with a malformed batch {bad.shown_id} ({bad.reason})",
                kind="malformed",
            ) from None

    @contextmanager
    def stream_results(self, batch_id: str, chunk_size: int = 1 << 16) -> Iterator[ResultsBody]:
        """The results body, decoded as it arrives (inflated pieces of at most `chunk_size` bytes), with the
        batch's request total.

        The batch is read first for its `results_url` and `request_counts` (as the SDK's
        `results()` would). The key goes only to the profile's base URL: a `results_url` or a
        redirect to another scheme, host or port is refused rather than followed. The body is
        read raw and decompressed here a piece at a time, so a gzip bomb never sits in memory.
        """
        what = f"download the results of {batch_id}"
        batch = self.retrieve(batch_id)
        url = self._results_url(batch, what)
        expected = _request_total(batch, what)
        self.calls += 1
        response = self._open_results(url, what, batch_id)
        try:
            chunks = _decoded(response, chunk_size, what)
            yield ResultsBody(self._chunks(chunks, what), expected)
        finally:
            response.close()

    def _results_url(self, batch: dict[str, Any], what: str) -> str:
        """The batch's `results_url`, refused unless it is a path or a URL on the base URL's origin."""
        given = batch.get("results_url")
        if not given:
            raise ApiFailure(
                f"cannot {what}: it has no results yet (processing status "
                f"{visible(str(batch.get('processing_status')))})",
                "not_ready",
            )
        if not isinstance(given, str):
            raise ApiFailure(f"cannot {what}: the API gave a results_url that is not a string", "other")
        parts = urlsplit(given)
        if not parts.scheme and not parts.netloc:
            return given  # a path: the SDK puts it under the base URL, as it would for `results()`
        return self._same_origin(given, what)

    def _same_origin(self, url: str, what: str) -> str:
        """`url`, when it has the base URL's scheme, host and port; else one line naming the other host."""
        found = _origin(url)
        if found is None or found != _origin(self.base_url):
            raise ApiFailure(
                f"cannot {what}: the API sent it to {visible(_origin_text(url))}, not "
                f"{_origin_text(self.base_url)}; batchdeck sends the key only to the profile's base URL "
                "and does not follow it elsewhere",
                "other",
            )
        return url

    def _open_results(self, url: str, what: str, batch_id: str) -> httpx2.Response:
        """GET the results (streamed), following up to MAX_REDIRECTS redirects on the same origin only."""
        headers = {"Accept": "application/binary", "Accept-Encoding": ", ".join(DECODERS)}
        for _ in range(MAX_REDIRECTS + 1):
            try:
                return self._client.get(
                    url, cast_to=httpx2.Response, stream=True, options={"headers": headers, "follow_redirects": False}
                )
            except anthropic.APIStatusError as exc:
                location = exc.response.headers.get("location") if 300 <= exc.status_code < 400 else None
                if not location:
                    raise self._failure(exc, what, batch_id) from None
                url = self._same_origin(urljoin(url, location), what)
            except anthropic.APIError as exc:
                raise self._failure(exc, what, batch_id) from None
            except (httpx2.InvalidURL, httpx2.UnsupportedProtocol) as exc:
                raise ApiFailure(f"cannot {what}: its results_url is not usable ({exc})", "other") from None
        raise ApiFailure(f"cannot {what}: more than {MAX_REDIRECTS} redirects", "other")

    def _chunks(self, chunks: Iterator[bytes], what: str) -> Iterator[bytes]:
        try:
            yield from chunks
        except (httpx2.HTTPError, OSError) as exc:  # the connection dropped mid-stream
            raise ApiFailure(f"cannot {what}: the download was cut off ({type(exc).__name__})", "network") from None
        except zlib.error:
            raise ApiFailure(f"cannot {what}: the compressed body is damaged", "server") from None

    # -- plumbing -----------------------------------------------------------------------------
    def _json(self, call: Any, what: str, batch_id: str | None = None, garbled: str = "other") -> dict[str, Any]:
        """The answer's JSON object; `garbled` is the failure kind when the answer is not one."""
        self.calls += 1
        try:
            response = call()
            self._note_date(response.http_response.headers.get("date"))
            body = response.http_response.json()
        except anthropic.APIError as exc:
            raise self._failure(exc, what, batch_id) from None
        except (httpx2.InvalidURL, httpx2.UnsupportedProtocol) as exc:
            raise self._fail(
                f"cannot {what}: the base URL {without_userinfo(self.base_url)!r} is not usable ({exc})", "other"
            ) from None
        except ValueError as exc:
            raise ApiFailure(
                f"cannot {what}: the API answered with something that is not JSON ({exc})", kind=garbled
            ) from None
        if not isinstance(body, dict):
            raise ApiFailure(f"cannot {what}: the API answered with JSON that is not an object", kind=garbled)
        return body

    def _note_date(self, header: str | None) -> None:
        """Keep the latest clock skew; a missing or unreadable Date header keeps the one before."""
        skew = skew_from_date(header, self._clock())
        if skew is not None:
            self.skew_seconds = skew
            self.skew_measured = True

    def _failure(self, exc: anthropic.APIError, what: str, batch_id: str | None) -> ApiFailure:
        failure = self._describe(exc, what, batch_id)
        response = getattr(exc, "response", None)
        if response is not None:
            with suppress(ValueError):
                failure.retry_after = float(response.headers.get("retry-after", ""))
        return failure

    def _describe(self, exc: anthropic.APIError, what: str, batch_id: str | None) -> ApiFailure:
        where = without_userinfo(self.base_url)  # errors are shown and kept (sync state): never a proxy's password
        if isinstance(exc, anthropic.APITimeoutError):
            return self._fail(f"cannot {what}: {where} did not answer in time", "network")
        if isinstance(exc, anthropic.APIConnectionError):
            cause = exc.__cause__ or exc
            return self._fail(f"cannot {what}: cannot reach {where} ({type(cause).__name__}: {cause})", "network")
        status = getattr(exc, "status_code", None)
        message = _api_message(exc)
        if isinstance(exc, anthropic.AuthenticationError):
            return self._fail(
                f"cannot {what}: the API rejected the key of profile {self.profile.name!r} "
                f"({self.profile.key_source()}): {message}",
                "auth",
                status,
            )
        if isinstance(exc, anthropic.PermissionDeniedError):
            return self._fail(f"cannot {what}: permission denied: {message}", "auth", status)
        if isinstance(exc, anthropic.NotFoundError):
            subject = f"batch {batch_id} not found" if batch_id else "not found"
            return self._fail(
                f"cannot {what}: {subject} (deleted, or in another workspace): {message}", "not_found", status
            )
        if isinstance(exc, anthropic.RateLimitError):
            return self._fail(
                f"cannot {what}: rate limited by the API (HTTP 429) after retries; try again later",
                "rate_limited",
                status,
            )
        if status is not None and status >= 500:
            return self._fail(
                f"cannot {what}: the API failed (HTTP {status}: {message}) after retries; try again later",
                "server",
                status,
            )
        return self._fail(f"cannot {what}: {message}", "bad_request", status)

    def _fail(self, message: str, kind: str, status: int | None = None) -> ApiFailure:
        """The error as the user sees it: key redacted, control characters from the API's text made visible."""
        return ApiFailure(visible(redact(message, [self._key])), kind, status)


def _cursor(body: dict[str, Any], raw: list[Any], has_more: bool) -> str | None:
    """The page's `last_id` (or its last object's id): where the next page starts. Only a well-formed
    batch id is ever sent back as `after_id`."""
    cursor = body.get("last_id")
    if cursor is None and raw and isinstance(raw[-1], dict):
        cursor = raw[-1].get("id")
    if is_batch_id(cursor):
        return str(cursor)
    if has_more:
        raise ApiFailure(
            f"cannot list batches: the API's next-page cursor {visible(str(cursor))[:80]!r} is not a batch id",
            kind="other",
        )
    return None


def _api_message(exc: anthropic.APIError) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    return str(exc.message)


def _request_total(batch: dict[str, Any], what: str) -> int:
    """The sum of the batch's `request_counts`: how many result lines its body must hold."""
    counts = batch.get("request_counts")
    values = list(counts.values()) if isinstance(counts, dict) else []
    if not values or not all(type(v) is int and v >= 0 for v in values):
        raise ApiFailure(f"cannot {what}: the API's batch has no usable request_counts", "other")
    return sum(values)


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL, the port made explicit; None when it cannot be read."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower(), 0)
    except ValueError:
        return None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _origin_text(url: str) -> str:
    """`scheme://host:port` of a URL, never its user info, path or query (they may hold tokens)."""
    found = _origin(url)
    if found is None:
        return "an unreadable URL"
    scheme, host, port = found
    return f"{scheme}://{host}:{port}"


def _decoded(response: httpx2.Response, size: int, what: str) -> Iterator[bytes]:
    """The body with its Content-Encoding undone, as it arrives; an inflated piece is at most `size` bytes
    (httpx would inflate a whole network read at once: 64 KB of a gzip bomb is 64 MB)."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        yield from response.iter_raw()  # each network read as it comes (a chunk size would wait for it to fill)
        return
    if encoding not in DECODERS:
        raise ApiFailure(
            f"cannot {what}: the body came in an encoding batchdeck did not ask for ({visible(encoding)[:40]})",
            "server",
        )
    decoder = zlib.decompressobj(DECODERS[encoding])
    for raw in response.iter_raw():
        while raw and not decoder.eof:
            piece = decoder.decompress(raw, size)
            raw = decoder.unconsumed_tail
            if piece:
                yield piece
    if not decoder.eof:
        raise ApiFailure(f"cannot {what}: the download was cut off (the compressed body ended early)", "network")
