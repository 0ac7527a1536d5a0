"""A failed request is one line with its failure kind, the API's own message and its request id, never the key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from batchdeck.core.api.client import BatchesApi
from batchdeck.core.config.profiles import Profile
from batchdeck.core.errors import ApiFailure
from tests.conftest import API_KEY
from tests.core.recording_api import BATCH_ID, RecordingServer, recording_api

FINAL = {"x-should-retry": "false"}  # answered once: no waiting in these tests


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with recording_api() as srv:
        yield srv


def failure_of(server: RecordingServer, status: int, **headers: str) -> ApiFailure:
    server.recording.script.append((status, {**FINAL, **headers}))
    with (
        BatchesApi(Profile("fail", api_key=API_KEY, base_url=server.base_url)) as api,
        pytest.raises(ApiFailure) as caught,
    ):
        api.retrieve(BATCH_ID)
    return caught.value


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, "bad_request"), (401, "auth"), (403, "auth"), (404, "not_found"), (429, "rate_limited"), (529, "server")],
)
def test_each_status_maps_to_its_kind_with_the_apis_message_and_request_id(
    server: RecordingServer, status: int, kind: str
) -> None:
    failure = failure_of(server, status, request_id="req_011CabcXYZ", retry_after="7")

    assert failure.kind == kind and failure.status == status and failure.request_id == "req_011CabcXYZ"
    line = str(failure)
    assert line.startswith(f"cannot read batch {BATCH_ID}: ") and line.endswith(" [request req_011CabcXYZ]")
    assert "\n" not in line and API_KEY not in line and failure.retry_after == 7.0
    if status != 429:  # a rate limit is worded as such; the others carry the API's message
        assert f"scripted {status}" in line


def test_the_request_id_falls_back_to_the_bodys(server: RecordingServer) -> None:
    assert failure_of(server, 500).request_id == "req_script"  # the body's `request_id`


@pytest.mark.parametrize("hostile", [API_KEY, "req_\x1b[2Jcleared", "x" * 300])
def test_a_request_id_that_is_the_key_or_not_an_id_is_left_out(server: RecordingServer, hostile: str) -> None:
    failure = failure_of(server, 404, request_id=hostile)

    assert failure.kind == "not_found" and failure.request_id is None and "[request" not in str(failure)
    assert API_KEY not in str(failure) and "\x1b" not in str(failure)


def test_the_key_echoed_in_the_apis_message_is_redacted(server: RecordingServer) -> None:
    server.recording.script.append((401, FINAL, f"API key {API_KEY} is invalid.\nretry"))
    with (
        BatchesApi(Profile("fail", api_key=API_KEY, base_url=server.base_url)) as api,
        pytest.raises(ApiFailure) as caught,
    ):
        api.retrieve(BATCH_ID)

    line = str(caught.value)
    assert caught.value.kind == "auth" and "rejected the key of profile 'fail'" in line
    assert "API key [redacted] is invalid." in line and API_KEY not in line and "\n" not in line
