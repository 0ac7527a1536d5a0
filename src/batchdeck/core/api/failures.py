"""A failed request as the user sees it: one line, the failure kind, the API's own message and request id.

Everything here came from the network, so it is made visible (no control characters) and the
profile's key is redacted from the whole line.
"""

from __future__ import annotations

import json
import re
from contextlib import suppress
from dataclasses import dataclass

from batchdeck.core.api.transport import StatusError, Unreachable
from batchdeck.core.errors import ApiFailure, redact
from batchdeck.core.terminal_text import visible

REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")


@dataclass(frozen=True)
class Describer:
    """Builds the `ApiFailure`s of one profile's client."""

    profile_name: str
    key_source: str  # where the key comes from, for a rejected key ("$ANTHROPIC_API_KEY (set)")
    where: str  # the base URL without user info
    key: str

    def fail(self, message: str, kind: str, status: int | None = None) -> ApiFailure:
        """The error as the user sees it: key redacted, control characters from the API's text made visible."""
        return ApiFailure(visible(redact(message, [self.key])), kind, status)

    def unreachable(self, exc: Unreachable, what: str) -> ApiFailure:
        if exc.timed_out:
            return self.fail(f"cannot {what}: {self.where} did not answer in time", "network")
        cause = exc.cause
        return self.fail(f"cannot {what}: cannot reach {self.where} ({type(cause).__name__}: {cause})", "network")

    def status(self, exc: StatusError, what: str, batch_id: str | None) -> ApiFailure:
        message, kind = _by_status(exc.status, api_message(exc), what, batch_id, self.profile_name, self.key_source)
        request_id = _request_id(exc)
        if request_id and redact(request_id, [self.key]) == request_id:  # never an echo of the key
            message = f"{message} [request {request_id}]"
        else:
            request_id = None
        failure = self.fail(message, kind, exc.status)
        failure.request_id = request_id
        with suppress(ValueError):
            failure.retry_after = float(exc.headers.get("retry-after", ""))
        return failure


def _by_status(
    status: int, message: str, what: str, batch_id: str | None, profile: str, source: str
) -> tuple[str, str]:
    """The line and the failure kind of an error status, as batchdeck has always worded them."""
    if status == 401:
        return f"cannot {what}: the API rejected the key of profile {profile!r} ({source}): {message}", "auth"
    if status == 403:
        return f"cannot {what}: permission denied: {message}", "auth"
    if status == 404:
        subject = f"batch {batch_id} not found" if batch_id else "not found"
        return f"cannot {what}: {subject} (deleted, or in another workspace): {message}", "not_found"
    if status == 429:
        return f"cannot {what}: rate limited by the API (HTTP 429) after retries; try again later", "rate_limited"
    if status >= 500:
        return f"cannot {what}: the API failed (HTTP {status}: {message}) after retries; try again later", "server"
    return f"cannot {what}: {message}", "bad_request"


def api_message(exc: StatusError) -> str:
    """The API's `error.message`; else the text the SDK would show (`Error code: N - <body>`)."""
    text = exc.text.strip()
    try:
        body = json.loads(text)
    except ValueError:
        return text or f"Error code: {exc.status}"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return f"Error code: {exc.status} - {body}"


def _request_id(exc: StatusError) -> str | None:
    """The answer's `request-id` header (or its body's `request_id`), when it has the shape of one."""
    found: object = exc.headers.get("request-id")
    if not found:
        with suppress(ValueError, AttributeError):
            found = json.loads(exc.text).get("request_id")
    if isinstance(found, str) and REQUEST_ID.fullmatch(found):
        return found
    return None
