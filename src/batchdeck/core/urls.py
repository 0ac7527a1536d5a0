"""URLs the user configures (webhooks): checked by parsing, and shown as scheme and host only.

A webhook's path or query often is its credential (Slack, Discord, signed URLs), and its user
info may be a password, so no error, log line or notice ever prints more than `scheme://host[:port]`.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

from batchdeck.core.terminal_text import visible

_SCHEMES = ("http", "https")
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")  # spaces and control characters: a paste error, never a URL


def url_shown(url: str) -> str:
    """Scheme and host (with its port) only, control characters made visible: what errors may show."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep:
        scheme, rest = "", scheme
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    return visible(f"{scheme}://{host}" if sep else host)


def without_userinfo(url: str) -> str:
    """The URL with any `user:password@` removed (a proxy's password), the rest kept for context."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, tail = re.match(r"([^/?#]*)(.*)", rest, re.S).groups()  # type: ignore[union-attr]
    return f"{scheme}://{authority.rsplit('@', 1)[-1]}{tail}"


def check_http_url(value: str) -> str:
    """`value` stripped, or a ValueError naming the problem: an http(s) URL that parses, with a host."""
    text = value.strip()
    problem = _problem(text)
    if problem:
        raise ValueError(f"expected an http:// or https:// URL (or empty for none), got {url_shown(text)!r}: {problem}")
    return text


def _problem(text: str) -> str:
    """What is wrong with `text` as a webhook URL, or "" when nothing is."""
    if _UNSAFE.search(text):
        return "it contains a space or a control character"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (parses the port: a ValueError when it is not a number from 0 to 65535)
    except ValueError as exc:
        return f"it does not parse ({exc})"
    if parts.scheme.lower() not in _SCHEMES:
        return "only http and https are supported"
    if not text.lower().startswith(f"{parts.scheme.lower()}://"):
        return f"it must start with {parts.scheme.lower()}://"
    return _host_problem(parts)


def _host_problem(parts: SplitResult) -> str:
    host = parts.hostname or ""
    if not host:
        return "it has no host"
    if "[" in parts.netloc:
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return "the host in brackets is not an IPv6 address"
    elif not re.fullmatch(r"[^\[\]@:/]+", host):
        return "the host is not a name or an address"
    return ""
