"""`core.jobs.send`: which failed create calls may have made a batch (so must be reconciled, not resent)."""

from __future__ import annotations

import pytest

from batchdeck.core.errors import ApiFailure
from batchdeck.core.jobs.send import RETRYABLE, is_uncertain


@pytest.mark.parametrize(
    ("kind", "status"),
    [("network", None), ("malformed", 200), ("server", 500), ("other", 502), ("server", 504)],
)
def test_a_create_without_a_clear_answer_is_uncertain(kind: str, status: int | None) -> None:
    assert is_uncertain(ApiFailure("x", kind, status))


@pytest.mark.parametrize(
    ("kind", "status"),
    [("rate_limited", 429), ("server", 503), ("server", 529), ("bad_request", 400), ("auth", 401), ("other", 413)],
)
def test_a_create_the_api_clearly_refused_is_not(kind: str, status: int) -> None:
    assert not is_uncertain(ApiFailure("x", kind, status))


def test_what_is_retried_is_never_uncertain() -> None:
    assert RETRYABLE == (429, 503, 529)
    assert not any(is_uncertain(ApiFailure("x", "server", status)) for status in RETRYABLE)
