"""The API client checks the server's certificate as the SDK does: against the system's CA bundle, or the one
`SSL_CERT_FILE` names. The client's TLS context is built once a process (`core.api.wire`), so each case runs
batchdeck in a process of its own. tests/tls holds a self-signed certificate for 127.0.0.1 made for these
tests (`openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj /CN=127.0.0.1
-addext subjectAltName=IP:127.0.0.1`); its key protects nothing."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http_server import QuietHandler, Server, running
from tests.peak_rss import run_batchdeck

TLS = Path(__file__).resolve().parents[1] / "tls"


class EmptyWorkspace(QuietHandler):
    def do_GET(self) -> None:
        self.send_body(200, b'{"data": [], "has_more": false, "first_id": null, "last_id": null}')


@pytest.fixture
def https_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-tls-test")
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "cert.pem", TLS / "key.pem")
    server = Server(("127.0.0.1", 0), EmptyWorkspace)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with running(server):
        url = f"https://127.0.0.1:{server.server_address[1]}"
        monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
        yield url


def test_a_server_whose_certificate_no_ca_vouches_for_is_refused_in_one_line(https_api: str) -> None:
    run = run_batchdeck("sync")
    assert run.code != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "certificate" in lines[0].lower() and "Traceback" not in run.stderr, run.stderr


def test_a_certificate_the_ssl_cert_file_vouches_for_is_accepted(
    https_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(TLS / "cert.pem"))
    run = run_batchdeck("sync")
    assert run.code == 0, run.stderr
