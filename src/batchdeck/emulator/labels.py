"""The closed label set a classification prompt names, so the emulated reply can be one of them.

Recognised shapes: "one of: billing, shipping, refund", "one of billing/shipping/refund",
"as billing, bug, feature or other", "categories: a, b, c" (also labels/classes/options),
"either positive or negative", "(positive/negative/neutral)".
Labels are short (one to three words); fewer than two found
means the prompt is not taken for a classification.
"""

from __future__ import annotations

import re

_LIST = r"([\"'`\[\(]?[\w][\w /'\"`+.-]*(?:\s*(?:,|\||/|\bor\b|\band\b)\s*[\"'`]?[\w][\w '\"`+.-]*){1,30}[\]\)]?)"
_PATTERNS = (
    re.compile(r"\bone of(?: the following)?(?: labels| categories| classes| options)?\s*[:\-]?\s*" + _LIST, re.I),
    re.compile(r"\b(?:categories|labels|classes|options|category|label)\s*(?:are|is)?\s*[:=]\s*" + _LIST, re.I),
    re.compile(r"\bas (?:either |one of )?" + _LIST, re.I),
    re.compile(r"\beither " + _LIST, re.I),
    re.compile(r"\(([\w -]+(?:\s*[/|]\s*[\w -]+)+)\)"),
)
_SPLIT = re.compile(r"\s*(?:,|\||/|;|\bor\b|\band\b)\s*", re.I)
_STRIP = " \t\"'`[]().:!?*"
MAX_LABEL_CHARS = 32
_PROSE_STARTS = frozenset(
    {
        "a",
        "an",
        "the",
        "as",
        "to",
        "in",
        "of",
        "for",
        "with",
        "my",
        "your",
        "this",
        "that",
        "it",
        "if",
        "when",
        "maybe",
        "you",
        "we",
        "i",
    }
)


def _labels_in(span: str) -> list[str]:
    span = re.split(r"[.!?:](?:\s|$)|\n", span, maxsplit=1)[0]
    labels: list[str] = []
    for part in _SPLIT.split(span):
        label = part.strip(_STRIP)
        if not label:
            continue
        words = label.split()
        if len(label) > MAX_LABEL_CHARS or len(words) > 3 or words[0].lower() in _PROSE_STARTS:
            return []  # prose, not a label list
        if label not in labels:
            labels.append(label)
    return labels


def closed_labels(prompt: str) -> list[str]:
    """The labels a prompt asks the answer to be one of, or [] when it names no closed set."""
    for pattern in _PATTERNS:
        for match in pattern.finditer(prompt):
            labels = _labels_in(match.group(1))
            if len(labels) >= 2:
                return labels
    return []
