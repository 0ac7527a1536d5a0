"""Errors meant for the user: one clear line each, never a traceback, never the API key."""

from __future__ import annotations

from collections.abc import Iterable


class BatchdeckError(Exception):
    """A failure to show the user as is. `exit_code` 1 = operation failed, 2 = usage error."""

    exit_code = 1


class UsageError(BatchdeckError):
    exit_code = 2


class ConfigError(BatchdeckError):
    exit_code = 2


class CacheError(BatchdeckError):
    """The local database cannot be used."""


class ApiFailure(BatchdeckError):
    """The API refused a call, or could not be reached, after the client's retries (the SDK's policy)."""

    def __init__(self, message: str, kind: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind  # auth | network | not_found | bad_request | rate_limited | server | malformed | other
        self.status = status
        self.retry_after = retry_after  # seconds the API asked us to wait, if it said
        self.request_id: str | None = None  # the API's id of the failed request (`request-id`), also in the line


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of a secret (and of its long tail) with a marker."""
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, "[redacted]")
            text = text.replace(secret[-12:], "[redacted]") if len(secret) > 24 else text
    return text
