"""Deterministic fates of requests: what each row will end as, and when it finishes.

A row's fate depends only on (seed, custom_id, attempt) and the batch's rates, so the same
batch always produces the same results. Timing decides the rest: a row that has not finished
when a cancel completes ends `canceled`; one unfinished at `expires_at` ends `expired`.

Attempts, so that resubmitted rows behave like the real thing (transient failures clear):
`attempt` is how many earlier batches created through the API in the same workspace held
the same custom_id. Attempt 0 is exactly the original rule. Attempt 1 draws afresh from
(seed, custom_id, 1) with both rates halved. From attempt 2 on a row never fails
transiently (no `overloaded_error`/`api_error`, never expires by itself). Failures that
come from the params themselves (unknown model, bad max_tokens, ...) repeat on every attempt,
and a row can still end `canceled` or `expired` if its batch is canceled or runs out of time.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass

from batchdeck.emulator.plans import RequestPlan

TRANSIENT_ERRORS: tuple[tuple[str, str], ...] = (
    ("overloaded_error", "Overloaded"),
    ("api_error", "Internal server error"),
)


@dataclass(frozen=True)
class Rates:
    """Per-batch chances that a valid row fails transiently or never runs before expiry."""

    error_rate: float = 0.0
    expire_rate: float = 0.0

    def __post_init__(self) -> None:
        for name in ("error_rate", "expire_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")


@dataclass(frozen=True, slots=True)
class Fate:
    kind: str  # succeeded | errored | expired
    finish: float  # fraction of the batch's processing time at which the row completes; inf = never
    error_type: str | None = None
    error_message: str | None = None
    validation: bool = False  # failed before execution (the error's request_id is null)


Draws = tuple[float, float, float]


def _uniforms(digest: bytes) -> Draws:
    a, b, c = struct.unpack(">III", digest)
    return a / 2**32, b / 2**32, c / 2**32


def draws(seed: int, custom_id: str) -> Draws:
    """Three independent uniform numbers in [0, 1) for this row."""
    return _uniforms(hashlib.blake2b(f"{seed}:{custom_id}".encode(), digest_size=12).digest())


def prefixed_digests(seed: int, prefix: str, suffixes: Iterable[str]) -> Iterator[bytes]:
    """The digests `draws(seed, prefix + suffix)` reads, for each suffix, the shared prefix hashed once."""
    shared = hashlib.blake2b(f"{seed}:{prefix}".encode(), digest_size=12)
    for suffix in suffixes:
        row = shared.copy()
        row.update(suffix.encode())
        yield row.digest()


def prefixed_draws(seed: int, prefix: str, suffixes: Iterable[str]) -> Iterator[Draws]:
    """`draws(seed, prefix + suffix)` for each suffix."""
    return map(_uniforms, prefixed_digests(seed, prefix, suffixes))


def attempt_rates(rates: Rates, attempt: int) -> Rates:
    """The transient failure rates a row sees on its `attempt`-th submission (see the module doc)."""
    if attempt <= 0:
        return rates
    if attempt == 1:
        return Rates(rates.error_rate / 2, rates.expire_rate / 2)
    return Rates()


def fate_of(plan: RequestPlan, rates: Rates, seed: int) -> Fate:
    attempt = plan.attempt
    drawn = draws(seed, plan.custom_id if attempt <= 0 else f"{plan.custom_id}#{attempt}")
    return fate_from(drawn, rates, attempt, plan.error_type, plan.error_message)


def fate_from(
    drawn: Draws, rates: Rates, attempt: int = 0, error_type: str | None = None, message: str | None = None
) -> Fate:
    """The fate of a row given its draws (see `fate_of`): a params error the row carries, or what its rates deal."""
    u_outcome, u_finish, u_kind = drawn
    if error_type is not None:
        return Fate("errored", u_finish * 0.05, error_type, message, validation=True)
    rates = attempt_rates(rates, attempt)
    if u_outcome < rates.expire_rate:
        return Fate("expired", math.inf)
    if u_outcome < rates.expire_rate + rates.error_rate:
        transient, text = TRANSIENT_ERRORS[int(u_kind * len(TRANSIENT_ERRORS))]
        return Fate("errored", u_finish, transient, text)
    return Fate("succeeded", u_finish)


def final_kind(fate: Fate, finish_time: float, ended_at: float, ended_by_cancel: bool) -> str:
    """The outcome a row shows once the batch has ended at `ended_at`."""
    if finish_time <= ended_at:
        return fate.kind
    return "canceled" if ended_by_cancel else "expired"


_TWO_WORDS = struct.Struct(">II")


def tally_first_attempts(
    digests: Iterable[bytes],
    rates: Rates,
    invalid: Container[int],
    created_at: float,
    duration: float,
    ended_at: float,
    by_cancel: bool,
) -> dict[str, int]:
    """The final counts of a batch's rows on their first attempt, from their draws' digests (rows whose index is
    in `invalid` carry a params error): for each row exactly what `final_kind(fate_from(draws, rates, 0, error),
    created_at + fate.finish * duration, ended_at, by_cancel)` says, added up in one tight loop, so the 100,000-row
    batch of the demo counts in a tenth of a second instead of a second."""
    tally = {"succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
    late = "canceled" if by_cancel else "expired"
    expire_below, error_below = rates.expire_rate, rates.expire_rate + rates.error_rate
    unpack, scale = _TWO_WORDS.unpack_from, 2**32
    for index, digest in enumerate(digests):
        word_outcome, word_finish = unpack(digest)
        if index in invalid:
            kind, finish = "errored", word_finish / scale * 0.05
        else:
            u_outcome = word_outcome / scale
            if u_outcome < expire_below:
                kind, finish = "expired", math.inf
            else:
                kind, finish = ("errored" if u_outcome < error_below else "succeeded"), word_finish / scale
        tally[kind if created_at + finish * duration <= ended_at else late] += 1
    return tally
