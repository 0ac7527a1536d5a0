"""Where a batch's request plans come from: the requests a client sent, or a seeded generator.

Both give random access by index, so results can be streamed in any order without
materialising the batch, and both serialise for the emulator's optional state directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from batchdeck.emulator.catalog import resolve
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

    def plan(self, index: int) -> RequestPlan:
        spec = self.spec
        prompt = self._template.format(
            a=_WORDS_A[index % len(_WORDS_A)],
            b=_WORDS_B[(index // 3) % len(_WORDS_B)],
            c=_WORDS_C[(index // 7) % len(_WORDS_C)],
        )
        custom_id = f"{spec.prefix}-{index:06d}"
        input_tokens = len(prompt) // 4 + 20 + (1200 if spec.features & FEATURE_CACHE else 0)
        error_type = error_message = None
        model, max_tokens = self._model_id, spec.max_tokens
        if spec.invalid_every and index % spec.invalid_every == spec.invalid_every - 1:
            model = spec.model + "-preview"
            error_type, error_message = "not_found_error", f"model: {model}"
        elif spec.too_long_every and index % spec.too_long_every == spec.too_long_every - 1:
            max_tokens = self._max_output * 2
            error_type = "invalid_request_error"
            error_message = (
                f"max_tokens: {max_tokens} > {self._max_output}, which is the maximum allowed "
                f"number of output tokens for {self._model_id}"
            )
        return RequestPlan(
            custom_id,
            model,
            max_tokens,
            input_tokens,
            prompt,
            spec.features,
            "lookup_order" if spec.features & FEATURE_TOOLS else "",
            error_type,
            error_message,
        )

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
