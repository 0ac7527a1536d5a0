"""`core.spend.pricing` and `estimate`: batch prices per model, and the cost range before sending."""

from __future__ import annotations

import pytest

from batchdeck.core.spend.estimate import estimate
from batchdeck.core.spend.pricing import BATCH_DISCOUNT, DEFAULT_PRICES, Price, PriceBook, Usage

MTOK = 1_000_000


def test_cache_write_prices_follow_the_input_price() -> None:
    price = Price(input=4, output=20, cache_read=0.4)
    assert (price.cache_write_5m, price.cache_write_1h) == (5.0, 8.0)


def test_usage_splits_cache_writes_into_five_minute_and_one_hour() -> None:
    usage = Usage.from_api(
        {
            "input_tokens": 10,
            "output_tokens": 20,
            "cache_creation_input_tokens": 100,
            "cache_creation": {"ephemeral_1h_input_tokens": 30, "ephemeral_5m_input_tokens": 70},
            "cache_read_input_tokens": 5,
        }
    )
    assert usage == Usage(input=10, output=20, cache_write_5m=70, cache_write_1h=30, cache_read=5)
    assert Usage.from_api({"input_tokens": 3, "output_tokens": None, "cache_creation": None}) == Usage(input=3)


def test_models_aliases_and_dated_ids() -> None:
    book = PriceBook()
    haiku = DEFAULT_PRICES["claude-haiku-4-5"]
    assert book.price("claude-haiku-4-5") == haiku == Price(1, 5, 0.10)
    assert book.price("claude-haiku-4-5-20251001") == haiku
    assert book.price("claude-haiku-4-5-2025") is None  # not a date stamp
    assert book.price("claude-unknown-1") is None
    assert book.price(None) is None and book.price("") is None


def test_overrides_change_one_field_and_can_add_a_model() -> None:
    book = PriceBook({"claude-haiku-4-5": {"output": 6}, "my-model": {"input": 2}})
    assert book.price("claude-haiku-4-5") == Price(1, 6, 0.10)
    assert book.price("my-model") == Price(2, 0, 0)
    assert PriceBook().price("claude-haiku-4-5") == Price(1, 5, 0.10)  # the defaults are untouched


def test_costs_of_every_token_kind_at_batch_prices() -> None:
    book = PriceBook()
    usage = Usage(input=MTOK, output=MTOK, cache_write_5m=MTOK, cache_write_1h=MTOK, cache_read=MTOK)
    standard = 1 + 5 + 1.25 + 2 + 0.10
    assert book.standard_cost("claude-haiku-4-5", usage) == pytest.approx(standard)
    assert book.batch_cost("claude-haiku-4-5", usage) == pytest.approx(standard * BATCH_DISCOUNT)
    assert BATCH_DISCOUNT == 0.5
    assert book.batch_cost("claude-unknown-1", usage) is None


def test_estimate_ranges_from_no_output_to_every_max_token() -> None:
    found = estimate([("claude-haiku-4-5", 1000, 2000), ("claude-opus-4-5", 10, 100)], PriceBook())
    low = (2000 * 1 + 100 * 5) / MTOK * 0.5
    high = low + (1000 * 5 + 10 * 25) / MTOK * 0.5
    assert found.low == pytest.approx(low) and found.high == pytest.approx(high)
    assert (found.requests, found.input_tokens, found.max_output_tokens, found.unpriced) == (2, 2100, 1010, 0)
    assert found.text() == f"${low:,.4f} to ${high:,.4f} at batch prices"


def test_unknown_models_are_counted_never_guessed() -> None:
    rows = [("claude-haiku-4-5", 100, 100), ("mystery", 100, 100), ("mystery", 5, 5), ("enigma", 1, 1)]
    found = estimate(rows, PriceBook())
    assert found.unpriced == 3 and found.unpriced_models == ("mystery", "enigma")
    assert found.text().endswith("; 3 request(s) of unknown price (model mystery, enigma)")
    assert found.to_json()["unpriced_models"] == ["mystery", "enigma"]
    only_unknown = estimate([("mystery", 1, 1)], PriceBook())
    assert only_unknown.text() == "unknown price (model mystery)" and only_unknown.high == 0


def test_estimate_json_is_rounded_and_complete() -> None:
    found = estimate([("claude-haiku-4-5", 3, 7)], PriceBook())
    assert found.to_json() == {
        "low_usd": round(7 / MTOK * 0.5, 6),
        "high_usd": round((7 + 3 * 5) / MTOK * 0.5, 6),
        "requests": 1,
        "input_tokens_estimate": 7,
        "max_output_tokens": 3,
        "unpriced_requests": 0,
        "unpriced_models": [],
    }
    assert estimate([], PriceBook()).text() == "$0.0000 to $0.0000 at batch prices"
