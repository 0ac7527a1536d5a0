"""A results body as it arrives: decompressed a bounded piece at a time, and how many rows it must hold."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2

from batchdeck.core.errors import ApiFailure
from batchdeck.core.terminal_text import visible

DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}  # Content-Encoding -> zlib wbits
ACCEPT_ENCODING = ", ".join(DECODERS)


@dataclass
class ResultsBody:
    """A results body as decoded pieces, and how many results the batch says it holds."""

    chunks: Iterator[bytes]
    expected_rows: int  # the sum of the batch's request_counts, read just before the download

    def __iter__(self) -> Iterator[bytes]:
        return self.chunks


def request_total(batch: dict[str, Any], what: str) -> int:
    """The sum of the batch's `request_counts`: how many result lines its body must hold."""
    counts = batch.get("request_counts")
    values = list(counts.values()) if isinstance(counts, dict) else []
    if not values or not all(type(v) is int and v >= 0 for v in values):
        raise ApiFailure(f"cannot {what}: the API's batch has no usable request_counts", "other")
    return sum(values)


def decoded(response: httpx2.Response, size: int, what: str) -> Iterator[bytes]:
    """The body with its Content-Encoding undone, as it arrives; an inflated piece is at most `size` bytes
    (httpx would inflate a whole network read at once: 64 KB of a gzip bomb is 64 MB)."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        yield from response.iter_raw()  # each network read as it comes (a chunk size would wait for it to fill)
        return
    if encoding not in DECODERS:
        raise ApiFailure(
            f"cannot {what}: the body came in an encoding batchdeck did not ask for ({visible(encoding)[:40]})",
            "server",
        )
    decoder = zlib.decompressobj(DECODERS[encoding])
    for raw in response.iter_raw():
        while raw and not decoder.eof:
            piece = decoder.decompress(raw, size)
            raw = decoder.unconsumed_tail
            if piece:
                yield piece
    if not decoder.eof:
        raise ApiFailure(f"cannot {what}: the download was cut off (the compressed body ended early)", "network")


def guarded(chunks: Iterator[bytes], what: str) -> Iterator[bytes]:
    """`chunks`, with a dropped connection or a damaged compressed body as one clear `ApiFailure`."""
    try:
        yield from chunks
    except (httpx2.HTTPError, OSError) as exc:  # the connection dropped mid-stream
        raise ApiFailure(f"cannot {what}: the download was cut off ({type(exc).__name__})", "network") from None
    except zlib.error:
        raise ApiFailure(f"cannot {what}: the compressed body is damaged", "server") from None
