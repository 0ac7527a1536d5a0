"""One filter language for a batch's results, the same for the CLI (`--custom-id`) and the TUI's search.

A custom_id search is one of three things:
- a plain word is a prefix: `ticket-12` finds ticket-12, ticket-120 … ticket-129 and ticket-12-retry
  (the exact id first: rows come in custom_id order);
- a word with `*`, `?` or `[...]` is a glob over the whole id (`*-retry`, `ticket-1?`, `row-00[0-4]*`);
- a word after `=` is that id exactly (`=ticket-12`), for a script that wants one row and no neighbours.

Why a prefix and not the exact id: the TUI searches as you type, and a prefix narrows with each key
where an exact rule would show nothing until the last one; the CLI takes the same rule so the two
never disagree, and a whole id still comes first. Matching is case-sensitive, as custom_ids are, and
a prefix or a glob with a fixed start uses the custom_id index (SQLite's GLOB).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GLOB_CHARS = "*?["
EXACT_MARK = "="


def custom_id_clause(pattern: str) -> tuple[str, list[str]]:
    """The SQL condition (` AND …`, empty for an empty search) and its parameter for one custom_id search."""
    text = pattern.strip()
    if not text:
        return "", []
    if text.startswith(EXACT_MARK):
        return " AND custom_id = ?", [text.removeprefix(EXACT_MARK)]
    if any(c in text for c in GLOB_CHARS):
        return " AND custom_id GLOB ?", [text]
    return " AND custom_id GLOB ?", [glob_escape(text) + "*"]


def glob_escape(text: str) -> str:
    """`text` as a GLOB that matches only itself (each special character in brackets)."""
    return "".join(f"[{c}]" if c in GLOB_CHARS + "]" else c for c in text)


@dataclass(frozen=True)
class ResultFilter:
    """What a view shows: outcomes (empty: all), an error type, and a custom_id search (see the module doc)."""

    outcomes: tuple[str, ...] = ()
    error_type: str | None = None
    search: str = ""

    def where(self) -> tuple[str, list[Any]]:
        """The SQL conditions (each ` AND …`) and their parameters, after `profile = ? AND batch_id = ?`."""
        sql, args = "", list[Any]()
        if self.outcomes:
            sql += f" AND outcome IN ({', '.join('?' * len(self.outcomes))})"
            args += list(self.outcomes)
            if "succeeded" not in self.outcomes:
                sql += " AND outcome != 'succeeded'"  # the partial index of failed rows serves this
        if self.error_type:
            sql += " AND error_type = ?"
            args.append(self.error_type)
        search_sql, search_args = custom_id_clause(self.search)
        return sql + search_sql, args + search_args

    def slug(self) -> str:
        """A short name for file names and titles: `errored`, `search-ticket-12`, or `all`."""
        parts = list(self.outcomes) + ([self.error_type] if self.error_type else [])
        if self.search:
            parts.append("search-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in self.search))
        return "-".join(parts) or "all"


ALL_ROWS = ResultFilter()
