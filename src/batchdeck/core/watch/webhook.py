"""The end-of-batch webhook: a small JSON document POSTed with a bounded retry, never fatal.

Each attempt has a timeout, and at most `WEBHOOK_BODY_LIMIT` bytes of the answer are read (only
its status matters). Network failures, timeouts, 429 and 5xx are retried with backoff (honouring
a `retry-after` up to MAX_RETRY_AFTER); any other answer is final. Only the URL's scheme and host
are ever shown: its user info, path and query may hold a token.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchdeck import __version__
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.config.values import http_url
from batchdeck.core.terminal_text import visible
from batchdeck.core.urls import url_shown
from batchdeck.core.watch.outcome import HookOutcome

if TYPE_CHECKING:
    import httpx2

WEBHOOK_ATTEMPTS = 3
WEBHOOK_BACKOFF = 1.0  # seconds before the second attempt; doubles for each one after
MAX_RETRY_AFTER = 30.0  # a webhook's retry-after is honoured up to this
WEBHOOK_BODY_LIMIT = 4096  # bytes of a webhook's answer read (only its status matters); the rest is never read


def check_webhook_url(url: str) -> str:
    """The URL itself, or a ValueError naming the problem (only http and https are accepted)."""
    return http_url(url)


def webhook_payload(
    profile: str, batch: CachedBatch, results_path: Path | None, export_path: Path | None
) -> dict[str, Any]:
    """The JSON document POSTed when a batch ends (stable keys, documented in the README)."""
    return {
        "event": "batch_ended",
        "id": batch.id,
        "profile": profile,
        "status": batch.processing_status,
        "summary": batch.status_text(),
        "label": batch.label,
        "request_counts": batch.counts.as_dict(),
        "total": batch.counts.total,
        "failed": batch.counts.failed,
        "created_at": batch.created_at,
        "ended_at": batch.ended_at,
        "results_path": str(results_path) if results_path else None,
        "export_path": str(export_path) if export_path else None,
    }


def post_webhook(
    url: str,
    payload: dict[str, Any],
    *,
    timeout: float,
    attempts: int = WEBHOOK_ATTEMPTS,
    backoff: float = WEBHOOK_BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
) -> HookOutcome:
    """POST `payload` as JSON; retry network failures, timeouts, 429 and 5xx with backoff, up to `attempts`."""
    import httpx2  # the API client's HTTP library; loaded only when a webhook is sent

    where = url_shown(url)
    problem = ""
    with httpx2.Client(timeout=httpx2.Timeout(timeout), follow_redirects=False) as client:
        for attempt in range(1, attempts + 1):
            wait = backoff * 2 ** (attempt - 1)
            try:
                status, retry_after = _post_once(client, url, payload, timeout)
            except httpx2.TimeoutException:
                problem = f"no answer within {timeout:g}s"
            except httpx2.InvalidURL as exc:
                return HookOutcome("webhook", False, f"webhook {where} not sent: {_scrubbed(exc, url)}")
            except Exception as exc:
                problem = _scrubbed(exc, url)
            else:
                if 200 <= status < 300:
                    tries = f" (attempt {attempt})" if attempt > 1 else ""
                    return HookOutcome("webhook", True, f"webhook {where} answered HTTP {status}{tries}")
                problem = f"HTTP {status}"
                if status not in (408, 425, 429) and status < 500:
                    break  # the receiver refused it: sending it again will not help
                wait = max(wait, _retry_after(retry_after))
            if attempt < attempts:
                sleep(wait)
    return HookOutcome(
        "webhook", False, f"webhook {where} failed after {attempt} attempt{'s' * (attempt != 1)}: {problem}"
    )


def _post_once(client: httpx2.Client, url: str, payload: dict[str, Any], timeout: float) -> tuple[int, str | None]:
    """One POST: (status, retry-after header). Reads at most `WEBHOOK_BODY_LIMIT` bytes of the answer,
    within about `timeout` seconds, then drops the connection: a huge or endless body costs nothing."""
    deadline = time.monotonic() + timeout
    with client.stream("POST", url, json=payload, headers={"user-agent": f"batchdeck/{__version__}"}) as response:
        read = 0
        for chunk in response.iter_raw():  # raw: a compressed body is never inflated
            read += len(chunk)
            if read >= WEBHOOK_BODY_LIMIT or time.monotonic() > deadline:
                break
        return response.status_code, response.headers.get("retry-after")


def _scrubbed(exc: BaseException, url: str) -> str:
    """An exception as one line without the URL's user info, path, query or fragment (any may hold a token)."""
    text = str(exc).replace(url, url_shown(url))
    for part in _private_parts(url):
        text = text.replace(part, "…")
    return f"{type(exc).__name__}: {visible(text)}" if text else type(exc).__name__


def _private_parts(url: str) -> list[str]:
    """The pieces of `url` after its host, and its user info, longest first."""
    rest = url.partition("://")[2] or url
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    tail = rest[len(authority) :]
    pieces = {tail, *re.split(r"[?#]", tail), authority.rpartition("@")[0]}
    return sorted((p for p in pieces if len(p) > 1), key=len, reverse=True)


def _retry_after(value: str | None) -> float:
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(value or "")))
    except ValueError:
        return 0.0
