"""Estimated cost of requests before they are sent, at batch prices.

Input tokens are guessed from the text: about four characters a token over the request's
system prompt, messages and tools (`submit_input.estimate_input_tokens`); real tokenizers
differ by model and language, so this is a rough figure. Output is unknown until the batch
runs: the range goes from no output at all (low) to every request using its whole
`max_tokens` (high). A model missing from the price table is counted as unknown, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from batchdeck.core.spend.pricing import BATCH_DISCOUNT, PriceBook


@dataclass(frozen=True)
class CostEstimate:
    low: float  # USD at batch prices, priced requests only
    high: float
    requests: int
    input_tokens: int
    max_output_tokens: int
    unpriced: int = 0  # requests whose model has no price
    unpriced_models: tuple[str, ...] = ()

    def text(self) -> str:
        if self.requests and self.unpriced == self.requests:
            return f"unknown price (model {', '.join(self.unpriced_models)})"
        text = f"${self.low:,.4f} to ${self.high:,.4f} at batch prices"
        if self.unpriced:
            text += f"; {self.unpriced:,} request(s) of unknown price (model {', '.join(self.unpriced_models)})"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "low_usd": round(self.low, 6),
            "high_usd": round(self.high, 6),
            "requests": self.requests,
            "input_tokens_estimate": self.input_tokens,
            "max_output_tokens": self.max_output_tokens,
            "unpriced_requests": self.unpriced,
            "unpriced_models": list(self.unpriced_models),
        }


def estimate(rows: Iterable[tuple[str, int, int]], prices: PriceBook) -> CostEstimate:
    """Over (model, max_tokens, estimated input tokens) per request."""
    return estimate_totals(((model, 1, max_tokens, tokens) for model, max_tokens, tokens in rows), prices)


def estimate_totals(totals: Iterable[tuple[str | None, int, int, int]], prices: PriceBook) -> CostEstimate:
    """Over (model, requests, sum of max_tokens, sum of estimated input tokens): per model, from a few
    sums kept in the cache (a live batch's estimate), or per request (`estimate`)."""
    low = high = 0.0
    count = tokens_in = tokens_out = unpriced = 0
    unknown: dict[str, None] = {}
    for model, requests, max_tokens, input_tokens in totals:
        count, tokens_in, tokens_out = count + requests, tokens_in + input_tokens, tokens_out + max_tokens
        price = prices.price(model)
        if price is None:
            unpriced += requests
            unknown[model or "(none)"] = None
            continue
        cost_in = input_tokens * price.input / 1e6 * BATCH_DISCOUNT
        low += cost_in
        high += cost_in + max_tokens * price.output / 1e6 * BATCH_DISCOUNT
    return CostEstimate(low, high, count, tokens_in, tokens_out, unpriced, tuple(unknown))
