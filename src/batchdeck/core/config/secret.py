"""`Secret`: an API key stored in config.toml, which no repr, str or pretty-printer shows."""

from __future__ import annotations

import hmac


class Secret:
    """A stored API key. Its repr and str say only whether it is set; `reveal()` gives the key.

    Not a str (so no formatting, concatenation or `in` shows it by accident) and not a dataclass
    (so pretty-printers that expand dataclass fields see only the repr)."""

    __slots__ = ("_value",)

    def __init__(self, value: str = "") -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __repr__(self) -> str:
        return "Secret('[hidden]')" if self._value else "Secret('')"

    __str__ = __repr__
