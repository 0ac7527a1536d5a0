"""Where a URL points, as (scheme, host, port): the key goes to the profile's base URL origin and nowhere else."""

from __future__ import annotations

from urllib.parse import urlsplit


def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL, the port made explicit; None when it cannot be read."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower(), 0)
    except ValueError:
        return None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def origin_text(url: str) -> str:
    """`scheme://host:port` of a URL, never its user info, path or query (they may hold tokens)."""
    found = origin(url)
    if found is None:
        return "an unreadable URL"
    scheme, host, port = found
    return f"{scheme}://{host}:{port}"


def is_path(url: str) -> bool:
    """A URL with neither scheme nor host: it is joined under the base URL."""
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc
