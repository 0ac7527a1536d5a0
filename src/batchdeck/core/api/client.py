"""The one place batchdeck talks to the Batches API: one client per profile, on httpx, wire-identical to the SDK.

Batches come back as the plain JSON objects the API sent (every field kept, including any the SDK
does not know yet); list pages are read raw for the same reason and because it is the cheapest
way to move thousands of batches into the cache. The `anthropic` SDK is not imported: it costs
seconds of start-up, and batchdeck only ever used it as a transport. Its wire format and retry
policy are kept (`wire`, `retry_policy`) and checked against it in the tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, urljoin

import httpx2

from batchdeck.core.api.failures import Describer
from batchdeck.core.api.origins import is_path, origin, origin_text
from batchdeck.core.api.pages import LIST_LIMIT, Page, read_page
from batchdeck.core.api.results_body import ACCEPT_ENCODING, ResultsBody, decoded, guarded, request_total
from batchdeck.core.api.transport import StatusError, Transport, Unreachable
from batchdeck.core.api.wire import DEFAULT_BASE_URL, default_headers, json_body
from batchdeck.core.batches.models import MalformedBatch, check_batch
from batchdeck.core.clock import Clock, skew_from_date, utcnow
from batchdeck.core.config.profiles import Profile
from batchdeck.core.errors import ApiFailure
from batchdeck.core.ids import check_batch_id
from batchdeck.core.terminal_text import visible
from batchdeck.core.urls import without_userinfo

__all__ = ["LIST_LIMIT", "BatchesApi", "Page", "ResultsBody"]

MAX_REDIRECTS = 3  # on the base URL's own origin only
BATCHES = "/v1/messages/batches"


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
        self.base_url = profile.resolve_base_url() or DEFAULT_BASE_URL
        where = without_userinfo(self.base_url)  # errors are shown and kept (sync state): never a proxy's password
        self._describe = Describer(profile.name, profile.key_source(), where, key)
        try:
            headers = default_headers(key, profile.workspace_id)
            self.transport = Transport(self.base_url, headers, max_retries=max_retries, timeout=timeout)
        except (httpx2.InvalidURL, ValueError) as exc:
            raise self._describe.fail(
                f"the base URL {where!r} of profile {profile.name!r} is not usable ({exc})", "other"
            ) from None
        self.calls = 0
        self._clock = clock  # the local clock that `skew_seconds` corrects
        self.skew_seconds = 0.0  # the API's clock minus ours, from the latest response's Date header
        self.skew_measured = False  # whether any response carried a readable Date header

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> BatchesApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- endpoints ----------------------------------------------------------------------------
    def list_page(self, limit: int = LIST_LIMIT, after_id: str | None = None) -> Page:
        """One page of batches, newest first, older than `after_id` when given. Objects the cache cannot
        hold (a bad id, wrong types) are in `skipped`, not `data`; the cursor is always a well-formed id."""
        params: dict[str, Any] = {"after_id": after_id} if after_id else {}
        params["limit"] = limit  # after the cursor: the SDK's order
        return read_page(self._json("GET", BATCHES, "list batches", params=params))

    def retrieve(self, batch_id: str) -> dict[str, Any]:
        """One batch, checked (`MalformedBatch` when the API sent something the cache cannot hold)."""
        check_batch_id(batch_id, "the cache or the command line")
        return check_batch(self._json("GET", _path(batch_id), f"read batch {batch_id}", batch_id))

    def cancel(self, batch_id: str) -> dict[str, Any]:
        """The batch as the API sent it after the cancel, checked like a retrieve (cancel is idempotent)."""
        return check_batch(self._json("POST", _path(batch_id, "/cancel"), f"cancel batch {batch_id}", batch_id))

    def delete(self, batch_id: str) -> None:
        self._json("DELETE", _path(batch_id), f"delete batch {batch_id}", batch_id)

    def create(self, requests: list[dict[str, Any]]) -> dict[str, Any]:
        """Create a batch and return it as the API sent it.

        Never retried: a create is not idempotent, and resending after an answer that was lost on
        the way back would make a second batch. A timeout or a dropped connection raises an
        `ApiFailure` of kind `network`; the caller reconciles (see `core.jobs.reconcile`) before
        ever sending again.
        """
        what = f"create a batch of {len(requests):,} requests"
        try:
            content = json_body({"requests": requests})
        except ValueError as exc:  # NaN or infinity: JSON cannot carry them
            raise ApiFailure(f"cannot {what}: a request cannot be sent as JSON ({exc})", "bad_request") from None
        body = self._json("POST", BATCHES, what, body=content, retry=False, garbled="malformed")
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
        `results()` does). The key goes only to the profile's base URL: a `results_url` or a
        redirect to another scheme, host or port is refused rather than followed. The body is
        read raw and decompressed here a piece at a time, so a gzip bomb never sits in memory.
        """
        what = f"download the results of {batch_id}"
        batch = self.retrieve(batch_id)
        url = self._results_url(batch, what)
        expected = request_total(batch, what)
        self.calls += 1
        headers = {"Accept": "application/binary", "Accept-Encoding": ACCEPT_ENCODING}
        response = self._send("GET", url, what, batch_id, headers=headers, stream=True)
        try:
            yield ResultsBody(guarded(decoded(response, chunk_size, what), what), expected)
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
        if is_path(given):
            return given  # joined under the base URL, as the SDK's `results()` joins it
        return self._same_origin(given, what)

    def _same_origin(self, url: str, what: str) -> str:
        """`url`, when it has the base URL's scheme, host and port; else one line naming the other host."""
        found = origin(url)
        if found is None or found != origin(self.base_url):
            raise ApiFailure(
                f"cannot {what}: the API sent it to {visible(origin_text(url))}, not "
                f"{origin_text(self.base_url)}; batchdeck sends the key only to the profile's base URL "
                "and does not follow it elsewhere",
                "other",
            )
        return url

    # -- plumbing -----------------------------------------------------------------------------
    def _json(
        self,
        method: str,
        url: str,
        what: str,
        batch_id: str | None = None,
        *,
        params: dict[str, Any] | None = None,
        body: bytes | None = None,
        retry: bool = True,
        garbled: str = "other",
    ) -> dict[str, Any]:
        """The answer's JSON object; `garbled` is the failure kind when the answer is not one."""
        self.calls += 1
        response = self._send(method, url, what, batch_id, params=params, body=body, retry=retry)
        self._note_date(response.headers.get("date"))
        try:
            answer = response.json()
        except ValueError as exc:
            raise ApiFailure(
                f"cannot {what}: the API answered with something that is not JSON ({exc})", kind=garbled
            ) from None
        if not isinstance(answer, dict):
            raise ApiFailure(f"cannot {what}: the API answered with JSON that is not an object", kind=garbled)
        return answer

    def _send(self, method: str, url: str, what: str, batch_id: str | None, **options: Any) -> httpx2.Response:
        """A 2xx answer, through at most MAX_REDIRECTS redirects of a GET on the base URL's origin."""
        for _ in range(MAX_REDIRECTS + 1):
            try:
                return self.transport.request(method, url, **options)
            except StatusError as exc:
                location = exc.headers.get("location") if 300 <= exc.status < 400 and method == "GET" else None
                if not location:
                    raise self._describe.status(exc, what, batch_id) from None
                url = self._same_origin(urljoin(str(exc.url), location), what)
            except Unreachable as exc:
                raise self._describe.unreachable(exc, what) from None
            except httpx2.InvalidURL as exc:
                subject = f"the base URL {self._describe.where!r}" if is_path(url) else "its results_url"
                raise self._describe.fail(f"cannot {what}: {subject} is not usable ({exc})", "other") from None
        raise ApiFailure(f"cannot {what}: more than {MAX_REDIRECTS} redirects", "other")

    def _note_date(self, header: str | None) -> None:
        """Keep the latest clock skew; a missing or unreadable Date header keeps the one before."""
        skew = skew_from_date(header, self._clock())
        if skew is not None:
            self.skew_seconds = skew
            self.skew_measured = True


def _path(batch_id: str, tail: str = "") -> str:
    """The path of one batch (the id quoted, as the SDK's `path_template` quotes it)."""
    return f"{BATCHES}/{quote(batch_id, safe='')}{tail}"
