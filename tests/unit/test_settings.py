"""Config parsing, validation and the typed settings' defaults: pure, no emulator, no network."""

from __future__ import annotations

import dataclasses
import math
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from batchdeck.core.config import toml_file, values
from batchdeck.core.config.edit import set_value
from batchdeck.core.config.model import Config
from batchdeck.core.config.parse import from_toml
from batchdeck.core.config.profiles import Profile
from batchdeck.core.config.secret import Secret
from batchdeck.core.config.settings import SETTINGS, Settings
from batchdeck.core.config.show import shown
from batchdeck.core.errors import ConfigError

README = Path(__file__).resolve().parents[2] / "README.md"
TABLE = re.compile(r"(<!-- settings table: start -->\n)(.*?)(<!-- settings table: end -->)", re.S)
FILE = Path("/nowhere/config.toml")  # parsing never reads it


def settings_table() -> str:
    """The README's settings table, from the dataclasses."""
    lines = ["| setting | default | meaning |", "|---|---|---|"]
    lines += [f"| `{key}` | {_shown_default(spec.default)} | {spec.doc} |" for key, spec in SETTINGS.items()]
    return "\n".join(lines) + "\n"


def _shown_default(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if value != "" else "(none)"


# -- the settings: one source ------------------------------------------------------------------------
def test_the_readme_lists_every_setting_as_the_dataclasses_define_it() -> None:
    found = TABLE.search(README.read_text())
    assert found, "README.md has lost its settings table markers"
    assert found.group(2) == settings_table(), (
        "README.md's settings table disagrees with core/config/settings.py; "
        "run `python -m tests.unit.test_settings` to rewrite it"
    )


def test_every_setting_has_a_default_a_parser_and_a_one_line_doc() -> None:
    assert len(SETTINGS) == 17
    for key, spec in SETTINGS.items():
        assert re.fullmatch(r"[a-z]+\.[a-z_]+", key) and spec.key == key
        assert spec.doc and "\n" not in spec.doc and len(spec.doc) < 120, key
        assert spec.parse(_text_of(spec.default)) == spec.default, key  # the default is a value it accepts
        assert Settings().value(key) == spec.default


def test_the_defaults() -> None:
    settings = Settings()
    assert settings.sync.max_retries == 2 and settings.sync.timeout == 60.0
    assert settings.tui.poll_seconds == 5.0 and settings.watch.interval == 30.0
    assert settings.notify.toast and settings.notify.bell and settings.notify.desktop
    assert settings.results.auto_download and settings.results.export_dir == ""
    assert (settings.hooks.on_end, settings.hooks.webhook, settings.hooks.download) == ("", "", False)
    assert settings.hooks.export_format == "jsonl" and settings.hooks.timeout == 60.0
    assert settings.submit.settle_seconds == 30.0


def test_settings_are_frozen_and_changed_only_by_copy() -> None:
    settings = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.sync.max_retries = 5  # type: ignore[misc]
    changed = settings.with_values({"sync.max_retries": 5, "hooks.on_end": "true"})
    assert changed.sync.max_retries == 5 and changed.hooks.on_end == "true" and changed.sync.timeout == 60.0
    assert settings.sync.max_retries == 2 and settings.hooks.on_end == ""
    with pytest.raises(KeyError, match=re.escape("unknown setting 'sync.nope'")):
        settings.with_values({"sync.nope": 1})


def _text_of(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


# -- the value parsers -------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [("true", True), (" YES ", True), ("1", True), ("off", False)])
def test_booleans(text: str, expected: bool) -> None:
    assert values.boolean(text) is expected


@pytest.mark.parametrize(
    ("parse", "text", "problem"),
    [
        (values.boolean, "maybe", "expected true or false, got 'maybe'"),
        (values.count, "-1", "expected 0 or more, got -1"),
        (values.count, "1.5", "invalid literal"),
        (values.seconds, "0", "expected a finite number above 0, got 0"),
        (values.seconds, "nan", "expected a finite number above 0, got nan"),
        (values.seconds, "inf", "expected a finite number above 0, got inf"),
        (values.seconds, "1e308", "expected at most 604800 seconds (a week), got 1e308"),
        (values.seconds_or_zero, "-0.5", "expected a finite number of 0 or more, got -0.5"),
        (values.seconds_or_zero, "nan", "expected a finite number of 0 or more, got nan"),
        (values.export_format, "xml", "expected jsonl, csv or text, got 'xml'"),
        (values.http_url, "ftp://example.com/x", "http"),
    ],
)
def test_bad_values_are_refused_with_the_reason(parse: Any, text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        parse(text)


def test_good_values_are_normalised() -> None:
    assert values.seconds_or_zero("0") == 0.0 and values.seconds("0.25") == 0.25
    assert values.seconds(str(values.MAX_SECONDS)) == values.MAX_SECONDS and not math.isnan(values.seconds("1"))
    assert values.export_format(" CSV ") == "csv" and values.text("  echo hi ") == "echo hi"
    assert (
        values.http_url("") == "" and values.http_url(" https://hooks.example.com/x ") == "https://hooks.example.com/x"
    )


# -- config.toml's tables ----------------------------------------------------------------------------
def test_a_profile_s_own_settings_override_the_global_ones() -> None:
    config = from_toml(
        FILE,
        {
            "sync": {"max_retries": 5},
            "hooks": {"on_end": "echo global"},
            "profiles": {"work": {"api_key_env": "WORK_KEY", "hooks": {"on_end": "echo work", "timeout": "2.5"}}},
        },
    )
    assert config.invalid == {} and config.profile("work").api_key_env == "WORK_KEY"
    work, default = config.settings_for("work"), config.settings_for("default")
    assert work.hooks.on_end == "echo work" and work.hooks.timeout == 2.5 and work.sync.max_retries == 5
    assert default.hooks.on_end == "echo global" and default.hooks.timeout == 60.0
    assert config.settings_for() == default


def test_bad_values_are_kept_aside_with_the_command_that_fixes_them() -> None:
    config = from_toml(FILE, {"sync": {"timeout": -1}, "profiles": {"w": {"notify": {"bell": "maybe"}}}})
    assert set(config.invalid) == {"sync.timeout", "profiles.w.notify.bell"}
    assert config.settings_for("w").sync.timeout == 60.0  # the default stands in for a bad value
    assert config.problems() == [
        f"config file {FILE}: bad value for sync.timeout (expected a finite number above 0, got -1); "
        "fix it with `batchdeck config set sync.timeout VALUE`",
        f"config file {FILE}: bad value for notify.bell in [profiles.w.notify] (expected true or false, got "
        "'maybe'); fix it with `batchdeck config set profiles.w.notify.bell VALUE`",
    ]


def test_settings_of_a_newer_batchdeck_are_kept_not_refused() -> None:
    config = from_toml(FILE, {"sync": {"max_retries": 1, "turbo": True}, "future": {"x": 1}, "flag": 3})
    assert config.unknown == {("sync", "turbo"): True, ("future", "x"): 1, ("flag",): 3}
    assert config.settings_for().sync.max_retries == 1


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"profiles": {"w": {"colour": "red"}}}, "unknown key 'colour' in [profiles.w]"),
        ({"profiles": {"w": {"sync": {"turbo": 1}}}}, "unknown setting 'turbo' in [profiles.w.sync]"),
        ({"profiles": "w"}, "profiles must be tables like [profiles.NAME]"),
        ({"prices": {"m": {"input": -1}}}, 'prices."m"] input must be a number of USD per million tokens'),
        ({"prices": {"m": {"inputs": 1}}}, "unknown key 'inputs' in [prices.\"m\"]"),
    ],
)
def test_what_cannot_be_kept_is_an_error(raw: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(problem)):
        from_toml(FILE, raw)


def test_a_key_pasted_as_an_env_name_is_a_bad_value_not_shown() -> None:
    config = from_toml(FILE, {"profiles": {"w": {"api_key_env": "sk-ant-pasted-key"}}})
    [bad] = config.invalid.values()
    assert bad.where() == "api_key_env in [profiles.w]" and "sk-ant" not in bad.problem


# -- config set --------------------------------------------------------------------------------------
def test_config_set_parses_and_stores() -> None:
    config = Config(FILE, profiles={"work": Profile("work")})
    set_value(config, "sync.timeout", "12.5")
    set_value(config, "profiles.work.notify.bell", "off")
    set_value(config, "profiles.work.base_url", "https://proxy.example.com")
    assert config.settings == {"sync.timeout": 12.5} and config.profile_settings == {"work": {"notify.bell": False}}
    assert config.settings_for("work").notify.bell is False and config.settings_for().notify.bell is True
    assert config.profile("work").base_url == "https://proxy.example.com"


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("sync.timeout", "soon", "bad value for sync.timeout: could not convert string to float: 'soon'"),
        ("sync.turbo", "1", "unknown setting 'sync.turbo'; settable: default_profile, profiles.NAME.FIELD, sync."),
        ("profiles.work.sync.turbo", "1", "unknown setting 'sync.turbo' in 'profiles.work.sync.turbo'"),
        ("profiles.work.colour", "red", "use profiles.NAME.FIELD with FIELD one of api_key_env, api_key"),
        ("profiles.work.api_key_env", "sk-ant-x", "got a value that looks like an API key"),
        ("default_profile", "ghost", "no profile named 'ghost'"),
    ],
)
def test_config_set_refuses_with_the_reason(key: str, value: str, problem: str) -> None:
    config = Config(FILE, profiles={"work": Profile("work")})
    with pytest.raises(ConfigError, match=re.escape(problem)):
        set_value(config, key, value)
    assert config.settings == {} and config.profile_settings == {}


def test_config_set_replaces_a_bad_value() -> None:
    config = from_toml(FILE, {"sync": {"timeout": "never"}})
    set_value(config, "sync.timeout", "5")
    assert config.invalid == {} and config.settings_for().sync.timeout == 5.0


# -- config show, and the file round trip ------------------------------------------------------------
def test_config_show_fills_in_defaults_and_hides_secrets() -> None:
    profile = Profile("work", api_key=Secret("sk-ant-stored-0123456789"), base_url="https://u:pw@proxy.example.com")
    config = Config(FILE, profiles={"work": profile}, settings={"hooks.webhook": "https://hooks.example.com/T0/sec"})
    text = shown(config)
    assert "max_retries = 2" in text and 'export_format = "jsonl"' in text and "settle_seconds = 30.0" in text
    assert "sk-ant-stored" not in text and 'api_key = "[stored, hidden]"' in text
    assert "T0/sec" not in text and "hooks.example.com/[rest hidden]" in text
    assert "pw" not in text


def test_the_file_round_trips_what_it_cannot_use(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('flag = 3\n[sync]\ntimeout = "never"\nturbo = true\n[profiles.w.hooks]\non_end = "echo w"\n')
    config = toml_file.load(path, lenient=True)
    set_value(config, "sync.max_retries", "4")
    toml_file.save(config)
    again = toml_file.load(path, lenient=True)
    assert again.settings == {"sync.max_retries": 4} and set(again.invalid) == {"sync.timeout"}
    assert again.unknown == {("flag",): 3, ("sync", "turbo"): True}
    assert again.settings_for("w").hooks.on_end == "echo w" and again.settings_for("w").sync.max_retries == 4
    with pytest.raises(ConfigError, match=re.escape("bad value for sync.timeout")):
        toml_file.load(path)


def _rewrite_readme() -> None:
    text = README.read_text()
    README.write_text(TABLE.sub(lambda m: m.group(1) + settings_table() + m.group(3), text))


if __name__ == "__main__":  # python -m tests.unit.test_settings: rewrite the README's settings table
    _rewrite_readme()
    sys.exit(0)
