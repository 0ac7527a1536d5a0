"""Putting user text (labels, notes, filters) inside Textual markup without it being read as tags."""

from __future__ import annotations


def literal(text: str) -> str:
    """Escape every `[` (and backslash), so `v2 [draft` or a `[0-9]` filter stay plain text."""
    return text.replace("\\", "\\\\").replace("[", "\\[")
