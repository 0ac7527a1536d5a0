"""Profiles: one per Anthropic workspace, each with where its key comes from and where its API is."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from batchdeck.core.config.secret import Secret
from batchdeck.core.errors import ConfigError
from batchdeck.core.urls import check_http_url

DEFAULT_PROFILE = "default"
PROFILE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PROFILE_FIELDS = ("api_key_env", "api_key", "base_url", "workspace_id")


@dataclass
class Profile:
    name: str
    api_key_env: str = "ANTHROPIC_API_KEY"
    api_key: Secret = field(default_factory=Secret)  # a str given here is wrapped (see __setattr__)
    base_url: str = ""
    workspace_id: str = ""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "api_key" and not isinstance(value, Secret):
            value = Secret(str(value or ""))
        super().__setattr__(name, value)

    def resolve_key(self, env: Mapping[str, str] = os.environ) -> str | None:
        """The key in plain text, for the API client and for redaction only."""
        return self.api_key.reveal() or env.get(self.api_key_env) or None

    def resolve_base_url(self, env: Mapping[str, str] = os.environ) -> str | None:
        return self.base_url or env.get("ANTHROPIC_BASE_URL") or None

    def key_source(self, env: Mapping[str, str] = os.environ) -> str:
        """Where the key comes from, for display (never the key itself)."""
        if self.api_key:
            return "stored in config"
        state = "set" if env.get(self.api_key_env) else "not set"
        return f"${self.api_key_env} ({state})"

    def to_toml(self) -> dict[str, str]:
        fields = {
            "api_key_env": self.api_key_env,
            "api_key": self.api_key.reveal(),
            "base_url": self.base_url,
            "workspace_id": self.workspace_id,
        }
        return {k: v for k, v in fields.items() if v and not (k == "api_key_env" and v == "ANTHROPIC_API_KEY")}


def check_env_name(name: str, where: str = "--api-key-env") -> None:
    """An environment variable's name, not a key pasted by mistake (which would then be shown)."""
    if name.startswith("sk-") or not ENV_NAME.match(name):
        shown = "a value that looks like an API key" if name.startswith("sk-") else repr(name)
        raise ConfigError(f"{where} must name an environment variable (like ANTHROPIC_API_KEY), got {shown}")


def checked_base_url(value: str, where: str) -> str:
    """A profile's base URL, parsed as webhooks are: one that cannot be used is refused when set, not
    on every later command. Errors name its host only (a proxy URL may carry a password)."""
    try:
        return check_http_url(value)
    except ValueError as exc:
        raise ConfigError(f"bad value for {where}: {exc}") from None
