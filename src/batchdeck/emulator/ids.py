"""Identifiers shaped like the API's: `msgbatch_…`, `msg_…`, `req_…`, `toolu_…`.

Batch and message ids are derived from a hash so a seeded emulator produces the same ids
on every run (stable demo data, reproducible tests); request ids are random.
"""

from __future__ import annotations

import hashlib
import secrets

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _base62(data: bytes, length: int) -> str:
    n = int.from_bytes(data, "big")
    out = []
    for _ in range(length):
        n, r = divmod(n, 62)
        out.append(_ALPHABET[r])
    return "".join(out)


def derived_id(prefix: str, *parts: object, length: int = 24) -> str:
    """A deterministic id from `parts` (same parts, same id)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=24).digest()
    return prefix + "01" + _base62(digest, length - 2)


def random_id(prefix: str, length: int = 24) -> str:
    return prefix + "01" + _base62(secrets.token_bytes(24), length - 2)


def request_id() -> str:
    return random_id("req_")
