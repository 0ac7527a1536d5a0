"""Where a batch's request plans come from: the requests a client sent, or a seeded generator.

Both give random access by index, so results can be streamed in any order without
materialising the batch, and both serialise for the emulator's optional state directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from batchdeck.emulator.catalog import resolve
from batchdeck.emulator.outcomes import (
    Fate,
    Rates,
    fate_from,
    fate_of,
    prefixed_digests,
    prefixed_draws,
    tally_first_attempts,
)
from batchdeck.emulator.plans import FEATURE_CACHE, FEATURE_THINKING, FEATURE_TOOLS, RequestPlan

TASKS: dict[str, str] = {
    "ticket-triage": "Classify this support ticket as billing, bug, feature or other: {a} {b} since the {c} update",
    "summarize": "Summarize the following article in two sentences: '{a} {b} and the future of {c}'",
    "extract": "Extract every company name and date from this filing about {a} {b} in {c}",
    "translate": "Translate into French: 'The {a} {b} arrives before the {c} closes.'",
    "grade": "Grade this answer from 1 to 5 for correctness: the {a} {b} depends on {c}",
    "sentiment": "What is the sentiment of this review? 'The {a} {b} was {c}.'",
}
_WORDS_A = ["late", "broken", "new", "missing", "duplicate", "slow", "refunded", "expired", "quiet", "bright"]
_WORDS_B = ["invoice", "login", "export", "dashboard", "shipment", "password", "report", "widget", "account"]
_WORDS_C = ["march", "billing", "mobile", "weekend", "server", "pricing", "holiday", "api", "checkout", "search"]


class RequestSource(Protocol):
    count: int

    def plan(self, index: int) -> RequestPlan: ...

    def fates(self, rates: Rates, seed: int) -> Iterator[Fate]:
        """Each row's fate, in order: `fate_of(self.plan(i), rates, seed)`."""
        ...

    def to_json(self) -> dict[str, Any]: ...


def iter_plans(source: RequestSource) -> Iterator[RequestPlan]:
    for i in range(source.count):
        yield source.plan(i)


class ExplicitSource:
    """The plans of requests a client actually submitted."""

    def __init__(self, plans: list[RequestPlan]) -> None:
        self._plans = plans
        self.count = len(plans)

    def plan(self, index: int) -> RequestPlan:
        return self._plans[index]

    def fates(self, rates: Rates, seed: int) -> Iterator[Fate]:
        return (fate_of(plan, rates, seed) for plan in self._plans)

    def to_json(self) -> dict[str, Any]:
        return {"kind": "explicit", "count": self.count}

    def rows(self) -> Iterator[list[Any]]:
        return (p.to_row() for p in self._plans)


@dataclass(frozen=True)
class SyntheticSpec:
    """A seeded family of requests, as scenario batches use (no per-row storage)."""

    prefix: str
    count: int
    task: str = "ticket-triage"
    model: str = "claude-haiku-4-5"
    max_tokens: int = 1024
    invalid_every: int = 0  # every Nth row names a model that does not exist
    too_long_every: int = 0  # every Nth row asks for more output than the model allows
    features: int = 0


class SyntheticSource:
    """Requests generated from a `SyntheticSpec`, built directly without serialising params."""

    def __init__(self, spec: SyntheticSpec) -> None:
        self.spec = spec
        self.count = spec.count
        info = resolve(spec.model)
        self._model_id = info.id if info else spec.model
        self._max_output = info.max_output_tokens if info else 0
        self._template = TASKS[spec.task]

    def _invalid(self, index: int) -> tuple[str, int, str | None, str | None]:
        """(model, max_tokens, error type, error message) of row `index`: the spec's every-Nth bad rows."""
        spec = self.spec
        if spec.invalid_every and index % spec.invalid_every == spec.invalid_every - 1:
            model = spec.model + "-preview"
            return model, spec.max_tokens, "not_found_error", f"model: {model}"
        if spec.too_long_every and index % spec.too_long_every == spec.too_long_every - 1:
            max_tokens = self._max_output * 2
            message = (
                f"max_tokens: {max_tokens} > {self._max_output}, which is the maximum allowed "
                f"number of output tokens for {self._model_id}"
            )
            return self._model_id, max_tokens, "invalid_request_error", message
        return self._model_id, spec.max_tokens, None, None

    def plan(self, index: int) -> RequestPlan:
        spec = self.spec
        prompt = self._template.format(
            a=_WORDS_A[index % len(_WORDS_A)],
            b=_WORDS_B[(index // 3) % len(_WORDS_B)],
            c=_WORDS_C[(index // 7) % len(_WORDS_C)],
        )
        input_tokens = len(prompt) // 4 + 20 + (1200 if spec.features & FEATURE_CACHE else 0)
        model, max_tokens, error_type, error_message = self._invalid(index)
        return RequestPlan(
            f"{spec.prefix}-{index:06d}",
            model,
            max_tokens,
            input_tokens,
            prompt,
            spec.features,
            "lookup_order" if spec.features & FEATURE_TOOLS else "",
            error_type,
            error_message,
        )

    def fates(self, rates: Rates, seed: int) -> Iterator[Fate]:
        """`fate_of(self.plan(i), rates, seed)` for every row, without building the plans (a synthetic row is
        always a first attempt)."""
        drawn = prefixed_draws(seed, f"{self.spec.prefix}-", self._suffixes())
        return (fate_from(u, rates, 0, *self._invalid(i)[2:]) for i, u in enumerate(drawn))

    def final_counts(
        self, rates: Rates, seed: int, created_at: float, duration: float, ended_at: float, by_cancel: bool
    ) -> dict[str, int]:
        """What the rows' `fates` end as, counted without building a plan or a fate (see `tally_first_attempts`)."""
        digests = prefixed_digests(seed, f"{self.spec.prefix}-", self._suffixes())
        invalid = set(self._invalid_rows())
        return tally_first_attempts(digests, rates, invalid, created_at, duration, ended_at, by_cancel)

    def _suffixes(self) -> Iterator[str]:
        return (f"{i:06d}" for i in range(self.count))

    def _invalid_rows(self) -> Iterator[int]:
        spec = self.spec
        for every in (spec.invalid_every, spec.too_long_every):
            if every:
                yield from range(every - 1, self.count, every)

    def to_json(self) -> dict[str, Any]:
        return {"kind": "synthetic", "spec": asdict(self.spec)}


def source_from_json(data: dict[str, Any], rows: Iterator[list[Any]] | None = None) -> RequestSource:
    if data["kind"] == "synthetic":
        return SyntheticSource(SyntheticSpec(**data["spec"]))
    if rows is None:
        raise ValueError("an explicit source needs its request rows")
    return ExplicitSource([RequestPlan.from_row(r) for r in rows])


__all__ = [
    "FEATURE_CACHE",
    "FEATURE_THINKING",
    "FEATURE_TOOLS",
    "TASKS",
    "ExplicitSource",
    "RequestSource",
    "SyntheticSource",
    "SyntheticSpec",
    "iter_plans",
    "source_from_json",
]
