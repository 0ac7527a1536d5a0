"""The batch list's `/` filter as SQL: a case-insensitive regex over a batch's id, label, status and note.

The status is matched as the badge shows it (`ended · 13,234 canceled`) and without separators
(`ended · 13234 canceled`); `!` inverts; text that is not a regex matches as text. Plain ASCII text is
a substring test SQLite does itself (`instr`), over the id, the label and note as the batch row keeps them
lowercased (`meta_text`, migrations 9 and 10: no join) and the status only when the text could be in one; a regex
or other text calls a registered function once a row, over the row's fields joined by a separator no field
shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

SEPARATOR = "\x1f"
REGEX_CHARS = set(".^$*+?{}[]\\|()")


COUNT_WORDS = (("n_errored", "errored"), ("n_expired", "expired"), ("n_canceled", "canceled"))
BETWEEN_COUNTS = ("ended · ", *(f" {word}{tail}" for _, word in COUNT_WORDS for tail in (" · ", "")))
"""What an ended status with counts shows between its numbers: text without digits or commas can only be within
one of these."""


def _counts(number_format: str) -> str:
    return " || ".join(
        f"(CASE WHEN b.{column} THEN ' · ' || printf('{number_format}', b.{column}) || ' {word}' ELSE '' END)"
        for column, word in COUNT_WORDS
    )


def _status(number_format: str) -> str:
    return (
        "(CASE WHEN b.deleted_at IS NOT NULL THEN 'deleted' "
        "WHEN b.processing_status != 'ended' THEN replace(b.processing_status, '_', ' ') "
        f"ELSE 'ended' || {_counts(number_format)} END)"
    )


FIELDS = (
    "b.id",
    "COALESCE(m.label, '')",
    _status("%,d"),  # as the badge shows it
    _status("%d"),  # without separators
    "COALESCE(m.note, '')",
)
HAYSTACK = f" || char({ord(SEPARATOR)}) || ".join(FIELDS)
TEXT_HAYSTACK = f" || char({ord(SEPARATOR)}) || ".join((FIELDS[0], FIELDS[1], FIELDS[4]))  # without the status
STATUS_LETTERS = set("deleted in progress canceling ended · 0123456789, errored expired canceled")
"""Every character a status text can hold: text with another cannot match one, and the statuses (built with
printf for each row) are left out of the search."""


@lru_cache(maxsize=8)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _regexp(pattern: str, text: str) -> int:
    search = _compiled(pattern).search
    return int(any(search(part) for part in text.split(SEPARATOR)))


def _contains(needle: str, text: str) -> int:
    return int(any(needle in part.lower() for part in text.split(SEPARATOR)))


def _lower(text: str) -> str:
    return text.lower()


TEXT_FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "bd_regexp": (2, _regexp),
    "bd_contains": (2, _contains),
    "bd_lower": (1, _lower),
}
"""The functions the conditions call: name -> (argument count, function); registered on each connection."""


def _status_test(needle: str) -> str:
    """Whether the status text holds the needle: for a batch with no failure counts its status is one of a few
    words, tested here once and not for each row; only a batch showing counts has its status printed."""
    if needle in "ended":  # every ended batch's status begins with the word
        ended = "1"
    elif not set(needle) & set("0123456789,") and not any(needle in words for words in BETWEEN_COUNTS):
        ended = "0"  # in no status with counts: none is printed
    else:
        printed = " OR ".join(f"instr(lower({status}), :needle) > 0" for status in FIELDS[2:4])
        ended = f"(CASE WHEN b.n_errored = 0 AND b.n_expired = 0 AND b.n_canceled = 0 THEN 0 ELSE ({printed}) END)"
    return (
        f"(CASE WHEN b.deleted_at IS NOT NULL THEN {int(needle in 'deleted')} "
        "WHEN b.processing_status != 'ended' THEN instr(lower(replace(b.processing_status, '_', ' ')), :needle) > 0 "
        f"ELSE {ended} END)"
    )


def text_condition(pattern: str) -> tuple[str, dict[str, Any]]:
    """` AND …` keeping the rows the `/` text matches (`!` inverts), and its named parameters."""
    if not pattern:
        return "", {}
    invert = pattern.startswith("!")
    pattern = pattern[1:] if invert else pattern
    try:
        _compiled(pattern)
        plain = not REGEX_CHARS & set(pattern)
    except (re.error, OverflowError, RecursionError):  # not a usable regex: match it as plain text
        plain = True
    needle = pattern.lower()
    haystack = HAYSTACK if plain and set(needle) <= STATUS_LETTERS else TEXT_HAYSTACK
    if plain and needle.isascii() and SEPARATOR not in needle:  # a needle without the separator: no match spans two
        tests = ["instr(b.meta_text, :needle) > 0"]  # the id, label and note, lowercased (migration 10)
        if haystack == HAYSTACK:  # first when it holds for most rows (text in "ended"), so they stop there
            tests.insert(len(tests) * (needle not in "ended"), _status_test(needle))
        test = " OR ".join(tests)
    elif plain:
        test = f"bd_contains(:needle, {haystack})"
    else:
        test = f"bd_regexp(:pattern, {HAYSTACK})"
    return f" AND {'NOT ' if invert else ''}({test})", {"needle": needle, "pattern": pattern}
