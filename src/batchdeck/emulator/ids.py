"""Identifiers shaped like the API's: `msgbatch_…`, `msg_…`, `req_…`, `toolu_…`.

Batch and message ids are derived from a hash so a seeded emulator produces the same ids
on every run (stable demo data, reproducible tests); request ids are random.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

# base64 with its two symbols mapped onto letters: alphanumeric ids at C speed.
_TO_ALNUM = bytes.maketrans(b"+/", b"xY")


def _alnum(data: bytes, length: int) -> str:
    return base64.b64encode(data).translate(_TO_ALNUM)[:length].decode()


def derived_id(prefix: str, *parts: object, length: int = 24) -> str:
    """A deterministic id from `parts` (same parts, same id)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=30).digest()
    return prefix + "01" + _alnum(digest, length - 2)


def random_id(prefix: str, length: int = 24) -> str:
    return prefix + "01" + _alnum(secrets.token_bytes(30), length - 2)


def request_id() -> str:
    return random_id("req_")
