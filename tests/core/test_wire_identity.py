"""batchdeck's client sends what the pinned SDK sends, endpoint by endpoint, byte for byte.

Both talk real HTTP to one recording server (tests/core/recording_api.py); the SDK is set up as
batchdeck set it up when it was the transport (the key as `api_key`, the profile's base URL and
workspace header). Compared: method, path, query, body bytes and every header except the SDK's
`X-Stainless-*` telemetry and its `User-Agent` (batchdeck's names batchdeck).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import httpx2
import pytest

from batchdeck.core.api.client import BatchesApi
from batchdeck.core.config.profiles import Profile
from batchdeck.core.errors import ApiFailure
from tests.conftest import API_KEY, request
from tests.core.recording_api import BATCH_ID, RecordingServer, Seen, recording_api

WORKSPACE = "wrkspc_01WireTest"
REQUESTS = [
    request("caf\u00e9-1", 'R\u00e9sum\u00e9 \u2014 \u65e5\u672c\u8a9e, "quoted" \\ and \n newline', temperature=0.5),
    request("b-2", "second", system=[{"type": "text", "text": "be brief", "cache_control": {"type": "ephemeral"}}]),
]


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with recording_api() as srv:
        yield srv


def sdk_client(base_url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key=API_KEY,
        base_url=base_url,
        max_retries=2,
        timeout=httpx2.Timeout(60.0, connect=10.0),
        default_headers={"anthropic-workspace-id": WORKSPACE},
    )


def ours(base_url: str) -> BatchesApi:
    return BatchesApi(Profile("wire", api_key=API_KEY, base_url=base_url, workspace_id=WORKSPACE))


def sdk_results(client: anthropic.Anthropic) -> None:
    with client.messages.batches.with_streaming_response.results(BATCH_ID) as response:
        response.read()


def our_results(api: BatchesApi) -> None:
    with api.stream_results(BATCH_ID) as body:
        b"".join(body)


# endpoint -> (what the SDK does, what batchdeck does)
CALLS: dict[str, tuple[Callable[[anthropic.Anthropic], Any], Callable[[BatchesApi], Any]]] = {
    "list": (lambda c: c.messages.batches.list(limit=1000), lambda a: a.list_page(1000)),
    "list after": (
        lambda c: c.messages.batches.list(limit=1000, after_id=BATCH_ID),
        lambda a: a.list_page(1000, after_id=BATCH_ID),
    ),
    "retrieve": (lambda c: c.messages.batches.retrieve(BATCH_ID), lambda a: a.retrieve(BATCH_ID)),
    "cancel": (lambda c: c.messages.batches.cancel(BATCH_ID), lambda a: a.cancel(BATCH_ID)),
    "delete": (lambda c: c.messages.batches.delete(BATCH_ID), lambda a: a.delete(BATCH_ID)),
    "create": (
        lambda c: c.with_options(max_retries=0).messages.batches.create(requests=REQUESTS),  # type: ignore[arg-type]
        lambda a: a.create(REQUESTS),
    ),
    "results": (sdk_results, our_results),
}


def comparable(seen: Seen) -> tuple[str, str, str, bytes, dict[str, str]]:
    headers = {k: v for k, v in seen.headers.items() if not k.startswith("x-stainless-") and k != "user-agent"}
    return seen.method, seen.path, seen.query, seen.body, headers


@pytest.mark.parametrize("endpoint", list(CALLS))
@pytest.mark.parametrize("custom_headers", [None, "x-team: blue\nanthropic-beta: batches-x"])
def test_each_endpoint_goes_out_as_the_sdk_sends_it(
    server: RecordingServer, endpoint: str, custom_headers: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if custom_headers:  # read by both when the client is made
        monkeypatch.setenv("ANTHROPIC_CUSTOM_HEADERS", custom_headers)
    sdk_call, our_call = CALLS[endpoint]
    with sdk_client(server.base_url) as client:
        sdk_call(client)
    by_sdk = server.recording.take()
    with ours(server.base_url) as api:
        our_call(api)
    by_us = server.recording.take()

    assert len(by_sdk) == len(by_us) >= 1
    if endpoint == "results":  # a retrieve, then the body: batchdeck asks only for the encodings it inflates itself
        assert by_us[1].headers["accept-encoding"] == "gzip, deflate"
        by_us[1].headers["accept-encoding"] = by_sdk[1].headers["accept-encoding"]
    assert [comparable(s) for s in by_us] == [comparable(s) for s in by_sdk]
    for seen in by_us:
        assert seen.headers["user-agent"].startswith("batchdeck/")
        assert seen.headers["authorization"] == f"Bearer {API_KEY}"
        assert seen.headers["anthropic-version"] == anthropic._constants.ANTHROPIC_API_VERSION
        assert seen.headers["anthropic-workspace-id"] == WORKSPACE
        assert not [name for name in seen.headers if name.startswith("x-stainless-")]
        if custom_headers:
            assert seen.headers["x-team"] == "blue"
    if endpoint == "create":
        assert by_us[0].body.decode().count("\u65e5\u672c\u8a9e") == 1  # sent as UTF-8, not \u-escaped


@pytest.mark.parametrize("no_proxy", ["", "batches.invalid"])
def test_proxies_from_the_environment_are_used_as_the_sdk_uses_them(
    server: RecordingServer, no_proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY sends both through the proxy (here the recording server); NO_PROXY names a host to reach directly."""
    for name in ("HTTPS_PROXY", "ALL_PROXY", "https_proxy", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.base_url)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    base_url = "http://batches.invalid"  # a name that never resolves: only a proxy can answer for it
    outcomes = []
    for make, call in ((sdk_client, CALLS["retrieve"][0]), (ours, CALLS["retrieve"][1])):
        with make(base_url) as client:  # type: ignore[operator]
            try:
                call(client)
                outcomes.append("answered")
            except (anthropic.APIConnectionError, ApiFailure):
                outcomes.append("unreachable")
    seen = server.recording.take()

    assert outcomes == (["unreachable"] * 2 if no_proxy else ["answered"] * 2)
    assert len(seen) == (0 if no_proxy else 2)
    if seen:
        assert comparable(seen[0]) == comparable(seen[1])
        assert seen[1].headers["host"] == "batches.invalid"
