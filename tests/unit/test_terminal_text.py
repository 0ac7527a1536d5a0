"""`core.terminal_text`: untrusted text shown with its control characters visible, never obeyed."""

from __future__ import annotations

from batchdeck.core.terminal_text import visible, visible_block


def test_escape_sequences_are_shown_not_sent() -> None:
    title = "\x1b]0;pwned\x07"
    assert visible(title) == "␛]0;pwned␇"
    assert visible("\x9b2J") == "\\x9b2J"  # C1 CSI
    assert visible("a\x7fb\x00") == "a␡b␀"
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in visible("".join(map(chr, range(0xA0)))))


def test_bidi_controls_are_named() -> None:
    assert visible("abc\u202edcba\u2066x\u2069") == "abc<U+202E>dcba<U+2066>x<U+2069>"
    assert visible("\u061c\u200e\u200f") == "<U+061C><U+200E><U+200F>"


def test_one_line_versus_block() -> None:
    text = "line one\n\tline two\r\x1b[31m"
    assert visible(text) == "line one␊␉line two␍␛[31m"
    assert visible_block(text) == "line one\n\tline two␍␛[31m"


def test_ordinary_text_is_unchanged() -> None:
    text = "Grüße, 日本語, 🚀, ümlaut — “quotes”"
    assert visible(text) == visible_block(text) == text
