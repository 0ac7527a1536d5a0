"""Cutting requests into batches the API accepts: at most 100,000 requests and 256 MB a batch.

The body is `{"requests":[r1,r2,…]}` in compact JSON, as the SDK sends it, so its exact size
is 15 bytes of envelope + the requests + one comma between each two. The byte limit is taken
as 256,000,000 (256 MB read as decimal megabytes, the smaller reading of the spec's "256 MB";
the emulator and perhaps the API allow 256 MiB), which leaves 12 MiB of headroom to the
binary reading. Order is preserved: part k holds the next requests in input order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_BATCH_REQUESTS = 100_000
MAX_BATCH_BYTES = 256_000_000
ENVELOPE = len(b'{"requests":[]}')


def envelope_bytes(count: int, request_bytes: int) -> int:
    """The size of a create body holding `count` requests of `request_bytes` bytes in total."""
    return ENVELOPE + request_bytes + max(0, count - 1)


@dataclass(frozen=True)
class Part:
    start: int  # index of the first request
    stop: int  # one past the last
    bytes: int  # body size of the create call

    @property
    def count(self) -> int:
        return self.stop - self.start


def split(sizes: Sequence[int], max_requests: int | None = None, max_bytes: int | None = None) -> list[Part]:
    """Consecutive parts, each within both limits (a single request above `max_bytes` is refused earlier)."""
    max_requests = MAX_BATCH_REQUESTS if max_requests is None else max_requests
    max_bytes = MAX_BATCH_BYTES if max_bytes is None else max_bytes
    parts: list[Part] = []
    start, total = 0, 0
    for i, size in enumerate(sizes):
        count = i - start
        if count and (count + 1 > max_requests or envelope_bytes(count + 1, total + size) > max_bytes):
            parts.append(Part(start, i, envelope_bytes(count, total)))
            start, total = i, 0
        total += size
    if len(sizes) > start:
        parts.append(Part(start, len(sizes), envelope_bytes(len(sizes) - start, total)))
    return parts
