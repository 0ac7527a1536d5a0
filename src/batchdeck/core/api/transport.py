"""Sending one API request with the SDK's retries: what failed after them is a `StatusError` or an `Unreachable`.

`Transport.sleep` and `Transport.random` are the retry loop's clock and jitter, replaced in tests
to compare the schedule with the SDK's.
"""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx2

from batchdeck.core.api.retry_policy import retry_delay, should_retry
from batchdeck.core.api.wire import new_http_client

ERROR_BODY_LIMIT = 1 << 16  # bytes of an error answer to a streamed request that are read for its message


class StatusError(Exception):
    """The API answered with a status other than 2xx, and retrying did not help (or was not allowed)."""

    def __init__(self, status: int, headers: httpx2.Headers, text: str, url: httpx2.URL) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.headers = headers
        self.text = text  # the body as text (at most ERROR_BODY_LIMIT bytes of it for a streamed request)
        self.url = url


class Unreachable(Exception):
    """No answer: the connection failed, dropped or timed out on every attempt."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.timed_out = isinstance(cause, httpx2.TimeoutException)


class Transport:
    """One connection pool to the API and the headers of every request; safe to share between threads."""

    def __init__(self, base_url: str, headers: Mapping[str, str], *, max_retries: int, timeout: float) -> None:
        self.base_url = httpx2.URL(base_url)  # httpx2.InvalidURL when it cannot be one
        if not self.base_url.raw_path.endswith(b"/"):
            self.base_url = self.base_url.copy_with(raw_path=self.base_url.raw_path + b"/")
        self.headers = dict(headers)
        self.max_retries = max_retries
        self.sleep: Callable[[float], None] = time.sleep
        self.random: Callable[[], float] = _random.random
        self._client = new_http_client(timeout)

    def close(self) -> None:
        self._client.close()

    def url(self, path_or_url: str) -> httpx2.URL:
        """A path joined under the base URL as the SDK joins it (its path kept as a prefix); a URL as is."""
        url = httpx2.URL(path_or_url)
        if url.is_relative_url:
            return self.base_url.copy_with(raw_path=self.base_url.raw_path + url.raw_path.lstrip(b"/"))
        return url

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        retry: bool = True,
    ) -> httpx2.Response:
        """A 2xx answer (a streamed one must be closed by the caller). Attempts and waits follow
        `retry_policy`; `retry=False` makes one attempt (a create, which must never be sent twice)."""
        retries = self.max_retries if retry else 0
        for taken in range(retries + 1):
            request = self._build(method, url, params, body, headers)
            try:
                response = self._client.send(request, stream=stream)
            except (httpx2.TransportError, OSError) as exc:
                if taken == retries:
                    raise Unreachable(exc) from exc
                self.sleep(retry_delay(taken, None, self.random))
                continue
            if response.is_success:
                return response
            if taken < retries and should_retry(response.status_code, response.headers):
                response.close()
                self.sleep(retry_delay(taken, response.headers, self.random))
                continue
            raise StatusError(response.status_code, response.headers, _text(response, stream), request.url)
        raise AssertionError("unreachable: the loop returns or raises")

    def _build(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        body: bytes | None,
        extra: Mapping[str, str] | None,
    ) -> httpx2.Request:
        headers = httpx2.Headers()
        for name, value in {**self.headers, **(extra or {})}.items():
            headers[name] = value  # set one by one: a value is encoded as UTF-8, as the SDK sends it
        if method == "GET":
            headers.pop("Content-Type", None)
        return self._client.build_request(method, self.url(url), params=params, headers=headers, content=body)


def _text(response: httpx2.Response, stream: bool) -> str:
    """The error answer's body as text; of a streamed one, only its first ERROR_BODY_LIMIT bytes."""
    try:
        if not stream:
            return response.text
        data = b""
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) >= ERROR_BODY_LIMIT:
                break
        return data[:ERROR_BODY_LIMIT].decode(response.encoding or "utf-8", errors="replace")
    except (httpx2.HTTPError, OSError):
        return ""
    finally:
        response.close()
