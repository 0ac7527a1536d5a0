"""batchdeck's client retries as the pinned SDK does: same attempts, same waits, same outcome.

One recording server plays the same script of failures to each (429, 529, 500, ..., with and
without `retry-after`, `retry-after-ms`, `x-should-retry`, and connections closed with no answer).
Both draw their jitter from the same fixed sequence and sleep into a list instead of sleeping, so
the waits can be compared exactly.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import anthropic
import pytest

from batchdeck.core.api.client import BatchesApi
from batchdeck.core.config.profiles import Profile
from batchdeck.core.errors import ApiFailure
from batchdeck.emulator import DEFAULT_WORKSPACE, Emulator, Rates
from batchdeck.emulator.sources import SyntheticSource, SyntheticSpec
from tests.conftest import API_KEY, request
from tests.core.recording_api import BATCH_ID, DROP, RecordingServer, recording_api

JITTER = (0.93, 0.07, 0.5, 0.31)


def jitter() -> Callable[[], float]:
    values = iter(JITTER * 10)
    return lambda: next(values)


def later(seconds: float) -> str:
    return email.utils.formatdate(time.time() + seconds, usegmt=True)


S429, S500, S529 = (429, {}), (500, {}), (529, {})
SCRIPTS: dict[str, list[Any]] = {
    "429 twice, then ok": [S429, S429],
    "529 every time": [S529, S529, S529, S529],
    "500, 503, then ok": [S500, (503, {})],
    "408 and 409 retry": [(408, {}), (409, {})],
    "a dropped connection, then ok": [DROP],
    "dropped every time": [DROP, DROP, DROP, DROP],
    "drop, then 529, then ok": [DROP, S529],
    "retry-after in seconds": [(500, {"retry-after": "0.25"}), (429, {"retry-after": "2"})],
    "retry-after-ms wins over retry-after": [(429, {"retry-after-ms": "30", "retry-after": "7"})],
    "retry-after-ms unreadable: retry-after": [(429, {"retry-after-ms": "soon", "retry-after": "3"})],
    "retry-after 0, negative, unreadable: backoff": [
        (429, {"retry-after": "0"}),
        (529, {"retry-after": "-3"}),
        (500, {"retry-after": "soon"}),
    ],
    "retry-after as a past date: backoff": [(429, {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})],
    "x-should-retry false on a 503": [(503, {"x-should-retry": "false"})],
    "x-should-retry true on a 400": [(400, {"x-should-retry": "true"}), (404, {"x-should-retry": "true"})],
    "400 is final": [(400, {})],
    "404 is final": [(404, {})],
    "401 is final": [(401, {})],
}


def sdk_run(client: anthropic.Anthropic, call: str) -> Any:
    if call == "create":
        return client.with_options(max_retries=0).messages.batches.create(requests=[request("a")])  # type: ignore[list-item]
    if call == "cancel":
        return client.messages.batches.cancel(BATCH_ID)
    return client.messages.batches.retrieve(BATCH_ID)


def our_run(api: BatchesApi, call: str) -> Any:
    if call == "create":
        return api.create([request("a")])
    if call == "cancel":
        return api.cancel(BATCH_ID)
    return api.retrieve(BATCH_ID)


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with recording_api() as srv:
        yield srv


def run_sdk(server: RecordingServer, script: list[Any], call: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    waits: list[float] = []
    monkeypatch.setattr(anthropic._base_client, "random", jitter())
    clock = {name: getattr(time, name) for name in dir(time) if not name.startswith("_")}
    monkeypatch.setattr(anthropic._base_client, "time", SimpleNamespace(**{**clock, "sleep": waits.append}))
    server.recording.script.extend(script)
    outcome: int | str | None = "ok"
    with anthropic.Anthropic(api_key=API_KEY, base_url=server.base_url, max_retries=2) as client:
        try:
            sdk_run(client, call)
        except anthropic.APIStatusError as exc:
            outcome = exc.status_code
        except anthropic.APIConnectionError:
            outcome = None
    monkeypatch.undo()
    return _summary(server, waits, outcome)


def run_ours(server: RecordingServer, script: list[Any], call: str) -> dict[str, Any]:
    waits: list[float] = []
    server.recording.script.extend(script)
    outcome: int | str | None = "ok"
    with BatchesApi(Profile("retry", api_key=API_KEY, base_url=server.base_url), max_retries=2) as api:
        api.transport.sleep, api.transport.random = waits.append, jitter()
        try:
            our_run(api, call)
        except ApiFailure as failure:
            outcome = failure.status
            assert failure.kind != "network" or failure.status is None
    return _summary(server, waits, outcome)


def _summary(server: RecordingServer, waits: list[float], outcome: int | str | None) -> dict[str, Any]:
    seen = server.recording.take()
    server.recording.script.clear()
    return {"attempts": len(seen), "waits": waits, "outcome": outcome, "paths": {(s.method, s.path) for s in seen}}


@pytest.mark.parametrize("name", list(SCRIPTS))
@pytest.mark.parametrize("call", ["retrieve", "cancel"])
def test_the_retry_schedule_is_the_sdks(
    server: RecordingServer, name: str, call: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_sdk = run_sdk(server, SCRIPTS[name], call, monkeypatch)
    by_us = run_ours(server, SCRIPTS[name], call)

    assert by_us == by_sdk
    assert by_us["attempts"] == len(by_us["waits"]) + 1 >= 1  # a wait before each retry, none after the last


@pytest.mark.parametrize("name", ["429 twice, then ok", "a dropped connection, then ok", "500, 503, then ok"])
def test_a_create_is_sent_once_as_the_sdk_with_max_retries_0_sends_it(
    server: RecordingServer, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_sdk = run_sdk(server, SCRIPTS[name], "create", monkeypatch)
    by_us = run_ours(server, SCRIPTS[name], "create")

    assert by_us == by_sdk
    assert by_us["attempts"] == 1 and by_us["waits"] == [] and by_us["outcome"] != "ok"


def test_a_retry_after_date_is_waited_for_as_the_sdk_waits(
    server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = [(429, {"retry-after": later(30)})]
    by_sdk = run_sdk(server, script, "retrieve", monkeypatch)
    by_us = run_ours(server, script, "retrieve")

    assert by_us["attempts"] == by_sdk["attempts"] == 2 and by_us["outcome"] == by_sdk["outcome"] == "ok"
    assert by_us["waits"] == pytest.approx(by_sdk["waits"], abs=1.5)
    assert 27 < by_us["waits"][0] <= 30


@pytest.mark.parametrize("kind", ["429", "500", "529", "drop"])
@pytest.mark.parametrize("count", [2, 3])
def test_against_the_emulators_faults_too(
    emulator: Emulator, kind: str, count: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The emulator's injected faults (a `retry-after` on each error status, none on a dropped connection)."""
    batch_id = emulator.store.new_batch(SyntheticSource(SyntheticSpec("row", 2)), DEFAULT_WORKSPACE, Rates()).id
    runs = []
    for run in ("sdk", "ours"):
        waits: list[float] = []
        before = emulator.stats.calls("retrieve")
        emulator.faults.queue(kind, count, endpoint="retrieve")
        try:
            if run == "sdk":
                clock = {name: getattr(time, name) for name in dir(time) if not name.startswith("_")}
                monkeypatch.setattr(anthropic._base_client, "random", jitter())
                monkeypatch.setattr(anthropic._base_client, "time", SimpleNamespace(**{**clock, "sleep": waits.append}))
                with anthropic.Anthropic(api_key=API_KEY, base_url=emulator.base_url, max_retries=2) as client:
                    outcome = client.messages.batches.retrieve(batch_id).id
                monkeypatch.undo()
            else:
                with BatchesApi(Profile("emu", api_key=API_KEY, base_url=emulator.base_url)) as api:
                    api.transport.sleep, api.transport.random = waits.append, jitter()
                    outcome = api.retrieve(batch_id)["id"]
        except (anthropic.APIError, ApiFailure):
            outcome = "failed"
        runs.append((outcome, waits, emulator.stats.calls("retrieve") - before))
        monkeypatch.undo()

    assert runs[0] == runs[1]
    assert runs[1][0] == (batch_id if count == 2 else "failed") and len(runs[1][1]) == 2
