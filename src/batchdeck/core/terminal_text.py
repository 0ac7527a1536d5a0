"""Text from the network made safe to print: control characters shown, never sent to the terminal.

Custom ids, model text, error messages and labels can carry ESC/OSC sequences (clipboard writes,
title changes, screen clears, hyperlinks) or bidi overrides that reorder what the eye reads.
Every human-readable output passes such text through `visible` first; `--json` output and raw
JSONL exports stay exact.
"""

from __future__ import annotations

_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))


def _table(keep_newlines: bool) -> dict[int, str]:
    table: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}  # ␀ … ␟ (␛ for ESC)
    table[0x7F] = "␡"
    table.update({code: f"\\x{code:02x}" for code in range(0x80, 0xA0)})  # C1 controls, CSI among them
    table.update({code: f"<U+{code:04X}>" for code in _BIDI})
    if keep_newlines:
        del table[0x0A], table[0x09]
    return table


_ONE_LINE = _table(keep_newlines=False)
_MULTI_LINE = _table(keep_newlines=True)


def visible(text: str) -> str:
    """One line of untrusted text with every control character, newline and bidi control made visible."""
    return text.translate(_ONE_LINE)


def visible_block(text: str) -> str:
    """Like `visible`, but newlines and tabs stay: for model text and errors shown as a block."""
    return text.translate(_MULTI_LINE)
