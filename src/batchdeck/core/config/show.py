"""What `batchdeck config show` prints: the config as TOML, every default filled in, nothing secret."""

from __future__ import annotations

from typing import Any

import tomli_w

from batchdeck.core.config.model import Config
from batchdeck.core.config.settings import SETTINGS
from batchdeck.core.config.toml_file import as_tables, put_as_written
from batchdeck.core.urls import url_shown, without_userinfo


def shown(config: Config) -> str:
    """The config as TOML with every stored key redacted, for `config show`."""
    doc: dict[str, Any] = {"default_profile": config.default_profile}
    settings = config.settings_for(None)
    for key in SETTINGS:
        section, name = key.split(".", 1)
        doc.setdefault(section, {})[name] = settings.value(key)
    profiles = {
        p.name: {**p.to_toml(), "api_key_env": p.api_key_env, **as_tables(config.profile_settings.get(p.name, {}))}
        for p in config.all_profiles()
    }
    for body in profiles.values():
        if body.get("api_key"):
            body["api_key"] = "[stored, hidden]"
        if body.get("base_url"):
            body["base_url"] = without_userinfo(str(body["base_url"]))
    doc["profiles"] = profiles
    if config.prices:
        doc["prices"] = config.prices
    put_as_written(doc, {bad.path: bad.value for bad in config.invalid.values()})  # as written (`problems` says why)
    for body in profiles.values():
        if str(body.get("api_key_env", "")).startswith("sk-"):
            body["api_key_env"] = "[looks like an API key, hidden]"
    for hooks in [doc.get("hooks"), *(body.get("hooks") for body in profiles.values())]:
        if isinstance(hooks, dict) and hooks.get("webhook"):
            hooks["webhook"] = webhook_shown(str(hooks["webhook"]))
    return tomli_w.dumps(doc)


def webhook_shown(url: str) -> str:
    """A webhook as `config show` and `config set` print it: its path and query are often its
    credential (Slack, Discord, signed URLs), so only scheme and host are shown."""
    return f"{url_shown(url)}/[rest hidden]" if url.strip() else ""
