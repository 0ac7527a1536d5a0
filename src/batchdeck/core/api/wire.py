"""What every request carries, as the pinned SDK (`anthropic` 2.x) sends it, and the HTTP client that sends it.

The SDK is the reference (tests/core/test_wire_identity.py compares the two byte for byte). Left out
on purpose: the SDK's `X-Stainless-*` telemetry headers, which describe the SDK, and its
`User-Agent`, which names it; batchdeck's names batchdeck.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import ssl
from collections.abc import Mapping
from typing import Any

import httpx2

from batchdeck import __version__
from batchdeck.core.api.proxies import environment_proxies

API_VERSION = "2026-10-21"  # `anthropic._constants.ANTHROPIC_API_VERSION` of the pinned SDK
DEFAULT_BASE_URL = "https://api.anthropic.com"
USER_AGENT = f"batchdeck/{__version__}"
CONNECT_TIMEOUT = 10.0  # at most; a shorter overall timeout caps it
LIMITS = httpx2.Limits(max_connections=1000, max_keepalive_connections=100)  # the SDK's


def default_headers(key: str, workspace_id: str = "", env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The headers of every request: the SDK's, in its order, with the key as the SDK 2.x sends an api_key.

    `ANTHROPIC_CUSTOM_HEADERS` (lines of `Name: value`) is honoured as the SDK honours it: under the
    profile's own headers (the workspace id), over the rest.
    """
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Authorization": f"Bearer {key}",
        "anthropic-version": API_VERSION,
    }
    headers.update(_custom_headers(env.get("ANTHROPIC_CUSTOM_HEADERS")))
    if workspace_id:
        headers["anthropic-workspace-id"] = workspace_id
    return headers


def _custom_headers(text: str | None) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for line in (text or "").split("\n"):
        name, colon, value = line.partition(":")
        if colon:
            parsed[name.strip()] = value.strip()
    return parsed


def json_body(value: Any) -> bytes:
    """A request body as the SDK encodes it: compact, UTF-8 unescaped, no NaN (a ValueError)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def new_http_client(timeout: float) -> httpx2.Client:
    """An httpx client set up as the SDK's default one: keep-alive probes on its sockets, proxies from
    the environment (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`) as httpx reads them. Redirects are not
    followed here: the client follows them itself, on the base URL's origin only."""
    transport_options: dict[str, Any] = {"limits": LIMITS, "socket_options": _socket_options(), "verify": _tls()}
    mounts: dict[str, httpx2.HTTPTransport | None] = {
        pattern: None if proxy is None else httpx2.HTTPTransport(proxy=proxy, **transport_options)
        for pattern, proxy in environment_proxies().items()
    }
    return httpx2.Client(
        timeout=httpx2.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
        follow_redirects=False,
        transport=httpx2.HTTPTransport(**transport_options),
        mounts=mounts,
    )


@functools.cache
def _tls() -> ssl.SSLContext:
    """The TLS context the SDK's client builds (certifi's CA bundle, `SSL_CERT_FILE` and `SSL_CERT_DIR` as httpx
    reads them), built once a process: building it reads the bundle (about 25 ms of CPU), which the TUI's poll
    paid every few seconds for a client of its own."""
    return httpx2.create_ssl_context()


def _socket_options() -> list[tuple[int, int, int | bool]]:
    """TCP keep-alive as the SDK sets it: a long-idle connection is probed rather than silently dead."""
    options: list[tuple[int, int, int | bool]] = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, True)]
    for name, value in (("TCP_KEEPINTVL", 60), ("TCP_KEEPCNT", 5), ("TCP_KEEPIDLE", 60)):
        number = getattr(socket, name, None)
        if number is not None:
            options.append((socket.IPPROTO_TCP, number, value))
    return options
