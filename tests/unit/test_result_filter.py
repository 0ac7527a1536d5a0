"""The one filter language of results (`core.results.filter`): the clause it writes, and what it matches in SQLite."""

from __future__ import annotations

import sqlite3

import pytest

from batchdeck.core.results.filter import ResultFilter, custom_id_clause, glob_escape

IDS = ["ticket-1", "ticket-12", "ticket-120", "ticket-129", "ticket-12-retry", "ticket-13", "Ticket-12", "a[b]", "a_b"]


def matches(pattern: str) -> list[str]:
    """The ids of IDS that the pattern finds, through SQLite's own GLOB (in custom_id order)."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE results (custom_id TEXT PRIMARY KEY)")
    conn.executemany("INSERT INTO results VALUES (?)", [(i,) for i in IDS])
    where, args = custom_id_clause(pattern)
    return [r[0] for r in conn.execute(f"SELECT custom_id FROM results WHERE 1{where} ORDER BY custom_id", args)]


def test_a_plain_word_is_a_prefix_with_the_exact_id_first() -> None:
    assert matches("ticket-12") == ["ticket-12", "ticket-12-retry", "ticket-120", "ticket-129"]
    assert custom_id_clause("ticket-12") == (" AND custom_id GLOB ?", ["ticket-12*"])


def test_glob_characters_make_a_glob_over_the_whole_id() -> None:
    assert matches("ticket-1?") == ["ticket-12", "ticket-13"]
    assert matches("*-retry") == ["ticket-12-retry"]
    assert matches("ticket-12[09]") == ["ticket-120", "ticket-129"]
    assert custom_id_clause("*-retry") == (" AND custom_id GLOB ?", ["*-retry"])


def test_equals_asks_for_one_id_exactly() -> None:
    assert matches("=ticket-12") == ["ticket-12"]
    assert matches("=ticket-1*") == []  # a literal id, not a glob
    assert custom_id_clause("=ticket-12") == (" AND custom_id = ?", ["ticket-12"])


def test_matching_is_case_sensitive_and_literal_outside_globs() -> None:
    assert matches("ticket-12") == matches("ticket-12") and "Ticket-12" not in matches("ticket-12")
    assert matches("a_b") == ["a_b"]  # `_` is not a wildcard (GLOB, not LIKE)
    assert matches("a]") == []  # a lone `]` is literal in a prefix
    assert glob_escape("a]b") == "a[]]b"


@pytest.mark.parametrize("blank", ["", "   "])
def test_an_empty_search_keeps_every_row(blank: str) -> None:
    assert custom_id_clause(blank) == ("", [])
    assert matches(blank) == sorted(IDS)


def test_spaces_around_a_search_are_ignored() -> None:
    assert matches("  ticket-13 ") == ["ticket-13"]


def test_the_filter_combines_outcomes_error_type_and_search() -> None:
    where, args = ResultFilter(("errored", "expired"), "overloaded_error", "ticket-12").where()
    assert where == (" AND outcome IN (?, ?) AND outcome != 'succeeded' AND error_type = ? AND custom_id GLOB ?")
    assert args == ["errored", "expired", "overloaded_error", "ticket-12*"]
    assert ResultFilter().where() == ("", [])
    assert ResultFilter(("succeeded",)).where() == (" AND outcome IN (?)", ["succeeded"])


def test_a_filter_names_itself_for_file_names() -> None:
    assert ResultFilter().slug() == "all"
    assert ResultFilter(("errored",), "api_error").slug() == "errored-api_error"
    assert ResultFilter(search="ticket-1*").slug() == "search-ticket-1_"
