"""The plain request/response values passed between the HTTP layer and the API logic."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message[str, str]  # case-insensitive; a repeated header keeps every value (`get_all`)
    body: bytes
    base_url: str  # scheme://host:port as the client dialled it (or the configured public URL)


@dataclass
class Response:
    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    stream: Iterator[bytes] | None = None  # sent chunked when set
    content_type: str = "application/json"
