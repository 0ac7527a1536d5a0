"""`batchdeck config show|set` and `batchdeck profile add|list|remove`: no hand-editing of TOML needed."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from batchdeck.commands.common import table
from batchdeck.core.config import paths, toml_file
from batchdeck.core.config.edit import add_profile, set_value
from batchdeck.core.config.model import Config
from batchdeck.core.config.profiles import DEFAULT_PROFILE, Profile
from batchdeck.core.config.secret import Secret
from batchdeck.core.config.settings import SETTINGS
from batchdeck.core.config.show import shown, webhook_shown
from batchdeck.core.errors import UsageError, redact
from batchdeck.core.terminal_text import visible, visible_block
from batchdeck.core.urls import without_userinfo


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    c = commands.add_parser(
        "config",
        help="show or change settings",
        description="Show or change batchdeck's settings (config.toml in the user config dir).",
    )
    actions = c.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("show", parents=parents, help="print the settings (stored keys hidden)").set_defaults(
        run=run_show
    )
    s = actions.add_parser(
        "set",
        parents=parents,
        help="change one setting",
        description="Settable keys: default_profile, profiles.NAME.(api_key_env|base_url|"
        "workspace_id), " + ", ".join(f"{k} ({spec.doc})" for k, spec in SETTINGS.items()),
    )
    s.add_argument("key")
    s.add_argument("value")
    s.set_defaults(run=run_set)
    actions.add_parser("path", parents=parents, help="print the config file's path").set_defaults(run=run_path)

    p = commands.add_parser(
        "profile",
        help="manage profiles (one per Anthropic workspace)",
        description="A profile names one Anthropic workspace: where its key comes from, "
        "its API base URL and workspace id.",
    )
    pactions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = pactions.add_parser("add", parents=parents, help="add or replace a profile")
    add.add_argument("name")
    add.add_argument(
        "--api-key-env",
        metavar="VAR",
        default="ANTHROPIC_API_KEY",
        help="environment variable holding the key (default: ANTHROPIC_API_KEY)",
    )
    add.add_argument(
        "--store-key",
        action="store_true",
        help="store the key in the config file instead (read from stdin or a hidden prompt; "
        "the file is kept at mode 0600)",
    )
    add.add_argument("--base-url", default="", metavar="URL", help="API base URL (default: the SDK's)")
    add.add_argument("--workspace-id", default="", metavar="ID", help="workspace id sent as anthropic-workspace-id")
    add.add_argument("--default", action="store_true", help="make it the default profile")
    add.set_defaults(run=run_add)
    pactions.add_parser("list", parents=parents, help="list profiles").set_defaults(run=run_list)
    rm = pactions.add_parser("remove", parents=parents, help="remove a profile (its cached batches stay in the cache)")
    rm.add_argument("name")
    rm.set_defaults(run=run_remove)


def run_path(args: argparse.Namespace) -> int:
    """The path alone: it reads nothing, so it works whatever the file holds."""
    print(paths.config_file())
    return 0


def run_show(args: argparse.Namespace) -> int:
    """Shows a file with bad values too (as written, each named on stderr), so they can be found and fixed."""
    config = toml_file.load(lenient=True)
    print(f"# {config.path}")
    print(visible_block(shown(config)), end="")
    _warn_problems(config)
    return 0


def run_set(args: argparse.Namespace) -> int:
    """Works on a file with bad values (that is how they are fixed); the value set is checked, the other
    bad values are written back as they were and named again."""
    config = toml_file.load(lenient=True)
    if args.key.endswith(".api_key"):
        raise UsageError(
            "keys are not set on the command line (shell history keeps them); use "
            "`batchdeck profile add NAME --store-key`, or better an environment variable"
        )
    set_value(config, args.key, args.value)
    toml_file.save(config)
    print(f"{visible(args.key)} = {_echo(args.key, args.value)}")
    _warn_problems(config)
    return 0


def _echo(key: str, value: str) -> str:
    """The value just set, as it may be shown: a webhook by its host alone, anything else made visible."""
    return webhook_shown(value) if key.endswith(".webhook") else visible(value)


def _warn_problems(config: Config) -> None:
    for problem in config.problems():
        print(f"batchdeck: warning: {visible(redact(problem, config.secrets()))}", file=sys.stderr)


def _read_key() -> str:
    key = getpass.getpass("API key: ") if sys.stdin.isatty() else sys.stdin.readline()
    key = key.strip()
    if not key:
        raise UsageError("no API key given")
    return key


def run_add(args: argparse.Namespace) -> int:
    config = toml_file.load()
    if args.base_url and not args.base_url.startswith(("http://", "https://")):
        raise UsageError(f"--base-url must start with http:// or https://, got {args.base_url!r}")
    profile = Profile(
        args.name,
        api_key_env=args.api_key_env,
        base_url=args.base_url,
        workspace_id=args.workspace_id,
        api_key=Secret(_read_key() if args.store_key else ""),
    )
    add_profile(config, profile)
    if args.default:
        config.default_profile = args.name
    toml_file.save(config)
    print(f"profile {args.name!r} saved (key: {profile.key_source()})")
    return 0


def run_list(args: argparse.Namespace) -> int:
    config = toml_file.load()
    rows = [
        [
            ("* " if p.name == config.default_profile else "  ") + p.name,
            p.key_source(),
            without_userinfo(p.resolve_base_url() or "https://api.anthropic.com"),
            p.workspace_id or "-",
        ]
        for p in config.all_profiles()
    ]
    print(table(["  PROFILE", "KEY", "BASE URL", "WORKSPACE"], rows))
    return 0


def run_remove(args: argparse.Namespace) -> int:
    config = toml_file.load()
    if args.name not in config.profiles:
        raise UsageError(f"no profile named {args.name!r} in {config.path}")
    del config.profiles[args.name]
    if config.default_profile == args.name:
        config.default_profile = DEFAULT_PROFILE
    toml_file.save(config)
    print(f"profile {args.name!r} removed (its cached batches stay in the cache)")
    return 0
