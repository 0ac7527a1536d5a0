"""Closed label sets read from classification prompts (the reply is then one of them)."""

from __future__ import annotations

import pytest

from batchdeck.emulator.labels import closed_labels


@pytest.mark.parametrize(
    ("prompt", "labels"),
    [
        (
            "Classify this ticket as one of: billing, shipping, refund. Ticket: parcel late",
            ["billing", "shipping", "refund"],
        ),
        (
            "Classify this support ticket as billing, bug, feature or other: login broken",
            ["billing", "bug", "feature", "other"],
        ),
        ("Reply with the sentiment (positive/negative/neutral) only.", ["positive", "negative", "neutral"]),
        ("Categories: urgent, normal, low\nText: hello", ["urgent", "normal", "low"]),
        ("Use one of these labels: spam, ham\nText: buy now", ["spam", "ham"]),
        ("Is this review either positive or negative? Great stuff", ["positive", "negative"]),
    ],
)
def test_label_sets_are_found(prompt: str, labels: list[str]) -> None:
    assert closed_labels(prompt) == labels


@pytest.mark.parametrize(
    "prompt",
    [
        "Summarize this article as a short paragraph for a newsletter and keep it friendly.",
        "Respond as a pirate would, or as a sailor.",
        "Translate the following to French: I want one of those, or maybe two.",
        "Answer as JSON with keys a and b.",
        "",
    ],
)
def test_prose_is_not_taken_for_a_label_set(prompt: str) -> None:
    assert closed_labels(prompt) == []
