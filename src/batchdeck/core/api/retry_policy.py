"""When a failed request is sent again, and after how long: the pinned SDK's policy (`anthropic/_base_client.py`).

- The server may decide: `x-should-retry: true` retries any status, `false` none.
- Else 408, 409, 429 and every status from 500 (529 included) retry, and so does a connection
  that failed or timed out; any other status does not.
- The wait is what the server asked for (`retry-after-ms`, then `retry-after` in seconds or as an
  HTTP date), when positive; else `min(0.5 * 2**n, 8) * (1 - 0.25 * random())` seconds for the
  n-th retry (n from 0).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping

INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
LONGEST_WAIT = 4_294_967.0  # the SDK's cap: `time.sleep` refuses more on some platforms
RETRIED_STATUSES = frozenset({408, 409, 429})


def should_retry(status: int, headers: Mapping[str, str]) -> bool:
    """Whether an answer with this status is worth another attempt."""
    verdict = headers.get("x-should-retry")
    if verdict == "true":
        return True
    if verdict == "false":
        return False
    return status in RETRIED_STATUSES or status >= 500


def requested_wait(headers: Mapping[str, str] | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds the server asked to wait (possibly zero or negative), or None when it did not say."""
    if headers is None:
        return None
    try:
        return float(headers.get("retry-after-ms", "")) / 1000
    except ValueError:
        pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    date = email.utils.parsedate_tz(value)
    if date is None:
        return None
    return float(email.utils.mktime_tz(date) - now())


def retry_delay(retries_taken: int, headers: Mapping[str, str] | None, random: Callable[[], float]) -> float:
    """Seconds to wait before retry number `retries_taken + 1`; `headers` are the failed answer's, if any."""
    asked = requested_wait(headers)
    if asked is not None and asked > 0:
        return min(asked, LONGEST_WAIT)
    backoff = min(INITIAL_RETRY_DELAY * pow(2.0, min(retries_taken, 1000)), MAX_RETRY_DELAY)
    return max(backoff * (1 - 0.25 * random()), 0.0)
