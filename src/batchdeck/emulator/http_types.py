"""The plain request/response values passed between the HTTP layer and the API logic."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]  # case-insensitive (email.message.Message)
    body: bytes
    base_url: str  # scheme://host:port as the client dialled it (or the configured public URL)


@dataclass
class Response:
    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    stream: Iterator[bytes] | None = None  # sent chunked when set
    content_type: str = "application/json"
