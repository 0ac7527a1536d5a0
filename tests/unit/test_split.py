"""`core.jobs.split`: parts within both limits, in input order, sized to the exact create body."""

from __future__ import annotations

import itertools
import json
import random

from batchdeck.core.jobs.split import ENVELOPE, MAX_BATCH_REQUESTS, Part, envelope_bytes, split


def test_envelope_is_the_compact_json_body_size() -> None:
    requests = [{"custom_id": "a"}, {"custom_id": "bb"}, {"custom_id": "ccc"}]
    body = json.dumps({"requests": requests}, separators=(",", ":")).encode()
    sizes = [len(json.dumps(r, separators=(",", ":")).encode()) for r in requests]
    assert envelope_bytes(len(requests), sum(sizes)) == len(body)
    assert envelope_bytes(0, 0) == ENVELOPE == len(b'{"requests":[]}')


def test_no_requests_no_parts() -> None:
    assert split([]) == []


def test_request_limit_cuts_in_order() -> None:
    parts = split([10] * 5, max_requests=2)
    assert [(p.start, p.stop) for p in parts] == [(0, 2), (2, 4), (4, 5)]
    assert [p.count for p in parts] == [2, 2, 1]
    assert [p.bytes for p in parts] == [envelope_bytes(2, 20), envelope_bytes(2, 20), envelope_bytes(1, 10)]


def test_byte_limit_is_inclusive() -> None:
    exact = envelope_bytes(2, 20)
    assert split([10, 10, 10], max_bytes=exact) == [Part(0, 2, exact), Part(2, 3, envelope_bytes(1, 10))]
    assert [p.count for p in split([10, 10, 10], max_bytes=exact - 1)] == [1, 1, 1]


def test_a_request_above_the_byte_limit_still_gets_a_part_of_its_own() -> None:
    parts = split([5, 500, 5], max_bytes=100)
    assert [(p.start, p.stop) for p in parts] == [(0, 1), (1, 2), (2, 3)]
    assert parts[1].bytes == envelope_bytes(1, 500)


def test_default_request_limit() -> None:
    parts = split([1] * (MAX_BATCH_REQUESTS + 1))
    assert [p.count for p in parts] == [MAX_BATCH_REQUESTS, 1]


def test_random_sizes_cover_every_request_once_within_both_limits() -> None:
    rng = random.Random(7)
    sizes = [rng.randint(1, 400) for _ in range(2000)]
    parts = split(sizes, max_requests=37, max_bytes=5000)
    assert len(parts) > 1
    assert parts[0].start == 0 and parts[-1].stop == len(sizes)
    for before, after in itertools.pairwise(parts):
        assert before.stop == after.start
        # greedy: the next request would not have fitted
        grown = envelope_bytes(before.count + 1, sum(sizes[before.start : before.stop + 1]))
        assert before.count == 37 or grown > 5000
    for part in parts:
        assert 1 <= part.count <= 37
        assert part.bytes == envelope_bytes(part.count, sum(sizes[part.start : part.stop])) <= 5000
