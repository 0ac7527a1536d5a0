"""Counted nouns as every line that says how many things shows them."""

from __future__ import annotations

import pytest

from batchdeck.core.batches.phrases import counted


@pytest.mark.parametrize(
    ("n", "noun", "said"),
    [
        (1, "batch", "1 batch"),
        (2, "batch", "2 batches"),
        (0, "live batch", "0 live batches"),
        (13_234, "request", "13,234 requests"),
        (1, "request", "1 request"),
        (3, "status", "3 statuses"),
        (2, "box", "2 boxes"),
    ],
)
def test_a_count_takes_the_right_form_of_its_noun(n: int, noun: str, said: str) -> None:
    assert counted(n, noun) == said


def test_an_irregular_plural_is_given() -> None:
    assert counted(2, "child", "children") == "2 children"
