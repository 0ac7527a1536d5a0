"""Streaming a batch's results: generated row by row in a scrambled order, in bounded memory."""

from __future__ import annotations

import math
from collections.abc import Iterator

from batchdeck.emulator.batch import Batch
from batchdeck.emulator.outcomes import draws, fate_of
from batchdeck.emulator.replies import result_line

CHUNK_BYTES = 64 * 1024


def scrambled_order(count: int, batch_id: str, seed: int) -> Iterator[int]:
    """Every index in [0, count) once, in an order unrelated to submission (the API guarantees none)."""
    if count <= 1:
        yield from range(count)
        return
    u_step, u_offset, _ = draws(seed, batch_id + ":order")
    step = 1 + int(u_step * (count - 1))
    while math.gcd(step, count) != 1:
        step += 1
    offset = int(u_offset * count)
    for i in range(count):
        yield (offset + i * step) % count


def result_chunks(batch: Batch) -> Iterator[bytes]:
    """The JSONL body in chunks of about 64 KiB; each line ends in exactly one `\\n`."""
    parts: list[bytes] = []
    size = 0
    for index in scrambled_order(batch.count, batch.id, batch.seed):
        plan = batch.source.plan(index)
        fate = fate_of(plan, batch.rates, batch.seed)
        line = result_line(plan, fate, batch.outcome(plan, fate), batch.id, batch.seed)
        parts.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield b"".join(parts)
            parts, size = [], 0
    if parts:
        yield b"".join(parts)
