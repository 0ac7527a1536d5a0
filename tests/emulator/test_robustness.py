"""The emulator stays up and answers properly when clients, settings or its own state misbehave."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import anthropic
import httpx2
import pytest

from batchdeck.emulator import Emulator
from tests.conftest import API_KEY, request

HEADERS = {"x-api-key": API_KEY, "anthropic-version": "2023-06-01"}


def test_concurrent_creates_with_a_state_directory(tmp_path: Path) -> None:
    with Emulator(speed=0, state_dir=tmp_path) as emu:
        client = anthropic.Anthropic(base_url=emu.base_url, api_key="k", max_retries=0)
        errors: list[Exception] = []

        def create_some() -> None:
            for i in range(10):
                try:
                    client.messages.batches.create(requests=[request(f"r{i}")])
                except Exception as exc:  # collected and asserted below
                    errors.append(exc)

        threads = [threading.Thread(target=create_some) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(list(client.messages.batches.list(limit=100))) == 60
    with Emulator(speed=0, state_dir=tmp_path) as again:
        assert len(again.store.all_batches()) == 60


@pytest.mark.parametrize(
    "body", [{"rate_429": "abc"}, {"rate_500": 5}, {"slow_seconds": -1}, {"retry_after": "nan"}, {"nonsense": 1}]
)
def test_bad_fault_settings_are_refused_and_the_server_keeps_working(emulator: Emulator, body: dict) -> None:
    response = httpx2.post(f"{emulator.base_url}/_emulator/faults", json=body)
    assert response.status_code == 400
    assert httpx2.get(f"{emulator.base_url}/v1/messages/batches", headers=HEADERS).status_code == 200


def test_client_hanging_up_prints_no_traceback(emulator: Emulator, capfd: pytest.CaptureFixture[str]) -> None:
    emulator.faults.set(slow_seconds=0.3)
    emulator.faults.queue("slow")
    with pytest.raises(httpx2.TimeoutException):
        httpx2.get(f"{emulator.base_url}/v1/messages/batches", headers=HEADERS, timeout=0.05)
    threading.Event().wait(0.5)  # let the server try to answer the departed client
    assert "Traceback" not in capfd.readouterr().err
    assert httpx2.get(f"{emulator.base_url}/v1/messages/batches", headers=HEADERS).status_code == 200


@pytest.mark.parametrize("length", [b"abc", b"-5"])
def test_malformed_content_length_is_400(emulator: Emulator, length: bytes) -> None:
    host, port = emulator.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(b"POST /v1/messages/batches HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + b"\r\n\r\n")
        reply = b""
        while chunk := sock.recv(4096):  # the server answers, then closes the connection
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 400") and b"invalid_request_error" in reply


def test_created_ids_differ_between_runs() -> None:
    def first_id() -> str:
        with Emulator(speed=0) as emu:
            return (
                anthropic.Anthropic(base_url=emu.base_url, api_key="k")
                .messages.batches.create(requests=[request("a")])
                .id
            )

    assert first_id() != first_id()


def test_workspace_header_on_errors_too(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as info:
        client.messages.batches.retrieve("msgbatch_01missing")
    assert info.value.response.headers["anthropic-workspace-id"].startswith("wrkspc_")
    assert info.value.response.headers["anthropic-ratelimit-requests-reset"].endswith("Z")


def test_a_queued_cut_waits_for_a_stream(client: anthropic.Anthropic, emulator: Emulator) -> None:
    batch = client.messages.batches.create(requests=[request(f"r{i}") for i in range(30)])
    emulator.faults.queue("cut")
    raw = httpx2.get(f"{emulator.base_url}/v1/messages/batches/{batch.id}/results", headers=HEADERS)
    assert raw.status_code == 404  # not ready: nothing to cut, the fault stays queued
    emulator.advance(86400)
    with pytest.raises((httpx2.HTTPError, anthropic.APIConnectionError, ValueError)):
        list(client.messages.batches.results(batch.id))


@pytest.mark.parametrize("speed", [float("nan"), float("inf"), -1.0])
def test_speed_must_be_finite(speed: float) -> None:
    with pytest.raises(ValueError, match="speed must be"):
        Emulator(speed=speed)


def test_port_out_of_range() -> None:
    with pytest.raises(ValueError, match="port must be between 0 and 65535"):
        Emulator(port=99999)


def test_key_bound_to_a_workspace_cannot_read_another() -> None:
    with Emulator(speed=0, api_keys={"team-a": "wrkspc_a"}) as emu:
        other = anthropic.Anthropic(
            base_url=emu.base_url, api_key="team-a", default_headers={"anthropic-workspace-id": "wrkspc_b"}
        )
        with pytest.raises(anthropic.PermissionDeniedError):
            other.messages.batches.list()
        mine = anthropic.Anthropic(base_url=emu.base_url, api_key="team-a")
        batch = mine.messages.batches.create(requests=[request("a")])
        assert batch.id in [b.id for b in mine.messages.batches.list()]


def test_damaged_state_file_is_a_clear_error(tmp_path: Path) -> None:
    with Emulator(speed=0, state_dir=tmp_path) as emu:
        anthropic.Anthropic(base_url=emu.base_url, api_key="k").messages.batches.create(requests=[request("a")])
    meta = next(p for p in (tmp_path / "batches").glob("*.json"))
    meta.write_text('{"id": "x"}')
    with pytest.raises(ValueError, match=r"is unreadable .* remove"):
        Emulator(state_dir=tmp_path)
