"""Proxies from the environment, read as the pinned SDK reads them (`anthropic/_utils/_httpx.py`, adapted from
httpx): `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY`, as `urllib.request.getproxies()` finds them.

The SDK reads them itself rather than leaving it to httpx so that its transports keep their socket
options; batchdeck does the same for the same reason.
"""

from __future__ import annotations

import ipaddress
from urllib.request import getproxies


def environment_proxies() -> dict[str, str | None]:
    """httpx mount patterns to a proxy URL, or to None for a host that must be reached directly."""
    found = getproxies()
    mounts: dict[str, str | None] = {}
    for scheme in ("http", "https", "all"):
        if found.get(scheme):
            proxy = found[scheme]
            mounts[f"{scheme}://"] = proxy if "://" in proxy else f"http://{proxy}"
    for host in (h.strip() for h in found.get("no", "").split(",")):
        if host == "*":
            return {}
        if host:
            mounts[_direct_pattern(host)] = None
    return mounts


def _direct_pattern(host: str) -> str:
    if "://" in host:
        return host
    if _is_ip(host, ipaddress.IPv4Address):
        return f"all://{host}"
    if _is_ip(host, ipaddress.IPv6Address):
        return f"all://[{host}]"
    if host.lower() == "localhost":
        return f"all://{host}"
    return f"all://*{host}"


def _is_ip(host: str, kind: type[ipaddress.IPv4Address] | type[ipaddress.IPv6Address]) -> bool:
    try:
        kind(host.split("/")[0])
    except ValueError:
        return False
    return True
