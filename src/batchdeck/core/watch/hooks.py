"""What runs when a batch ends: an `on_end` shell command and a webhook POST, never fatal.

Both come from the `hooks.*` settings (the `watch` command's flags override them). The
command runs with `shell=True` in a copy of the environment that holds no API key (every
variable named `*API_KEY`, every profile's `api_key_env`, and every variable whose value
contains a known key are removed), plus `BATCHDECK_*` variables describing the batch. The
webhook (`watch.webhook`) gets a small JSON document, with a timeout per attempt and a bounded retry; at most
`WEBHOOK_BODY_LIMIT` bytes of its answer are read, and only its scheme and host are ever shown.
A failure of either comes back as one line of text; nothing here raises for it (Ctrl-C and the
stop signals still go through, and stop a running command's process group on the way).

`run_hooks` runs both for one ended batch; the TUI and `watch` go through `watch.batch_end.finish_batch`,
which also downloads and exports first.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.config.model import Config
from batchdeck.core.config.profiles import Profile
from batchdeck.core.errors import redact
from batchdeck.core.terminal_text import visible
from batchdeck.core.watch.outcome import HookOutcome
from batchdeck.core.watch.webhook import check_webhook_url, post_webhook, webhook_payload

OUTPUT_TAIL = 400  # characters of a failed command's output kept in its report


def batch_env(profile: str, batch: CachedBatch, results_path: Path | None, export_path: Path | None) -> dict[str, str]:
    """The `BATCHDECK_*` variables an on_end command receives (paths empty when there is none)."""
    counts = batch.counts
    return {
        "BATCHDECK_BATCH_ID": batch.id,
        "BATCHDECK_STATUS": batch.processing_status,
        "BATCHDECK_SUMMARY": batch.status_text(),
        "BATCHDECK_LABEL": batch.label or "",
        "BATCHDECK_SUCCEEDED": str(counts.succeeded),
        "BATCHDECK_ERRORED": str(counts.errored),
        "BATCHDECK_CANCELED": str(counts.canceled),
        "BATCHDECK_EXPIRED": str(counts.expired),
        "BATCHDECK_FAILED": str(counts.failed),
        "BATCHDECK_TOTAL": str(counts.total),
        "BATCHDECK_ENDED_AT": batch.ended_at or "",
        "BATCHDECK_PROFILE": profile,
        "BATCHDECK_RESULTS_PATH": str(results_path) if results_path else "",
        "BATCHDECK_EXPORT_PATH": str(export_path) if export_path else "",
    }


def clean_env(secrets: list[str], key_vars: list[str], base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """A copy of `base` without API keys: by name (`*API_KEY`, the profiles' key variables) and by value."""
    names = {n.upper() for n in key_vars}
    keys = [s for s in secrets if s and len(s) >= 6]
    return {
        k: v
        for k, v in base.items()
        if not k.upper().endswith("API_KEY") and k.upper() not in names and not any(s in v for s in keys)
    }


def run_on_end(command: str, env: dict[str, str], timeout: float, secrets: list[str]) -> HookOutcome:
    """Run `command` in a shell; its output is kept (tail shown on failure), the whole group killed on timeout."""
    try:
        output = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the `with` below; opened apart to report failure)
    except OSError as exc:
        return HookOutcome(
            "on_end", False, f"on-end command not run: no temporary file for its output ({exc.strerror or exc})"
        )
    with output:
        try:
            proc = subprocess.Popen(
                command,
                shell=True,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=os.name == "posix",
            )
        except OSError as exc:
            return HookOutcome("on_end", False, f"on-end command could not start: {exc.strerror or exc}")
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            return HookOutcome("on_end", False, f"on-end command timed out after {timeout:g}s and was stopped")
        except BaseException:  # Ctrl-C while it runs: stop it too
            _kill(proc)
            raise
        output.seek(0)
        tail = redact(output.read().decode("utf-8", "replace")[-OUTPUT_TAIL:].strip(), secrets)
    if code == 0:
        return HookOutcome("on_end", True, "on-end command ran (exit 0)")
    how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
    shown = visible(" ".join(tail.split()))  # the command may print model text: no escape reaches a terminal
    return HookOutcome("on_end", False, f"on-end command {how}" + (f": {shown}" if shown else ""))


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Stop the shell and everything it started (its own process group)."""
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def key_variables(config: Config, profile: Profile) -> list[str]:
    return sorted({p.api_key_env for p in config.all_profiles()} | {profile.api_key_env})


def run_hooks(
    config: Config,
    profile: Profile,
    batch: CachedBatch,
    results_path: Path | None = None,
    export_path: Path | None = None,
    *,
    on_end: str | None = None,
    webhook: str | None = None,
    timeout: float | None = None,
) -> list[HookOutcome]:
    """Run the on_end command and the webhook (arguments override the `hooks.*` settings; "" turns one off)."""
    hooks = config.settings_for(profile.name).hooks
    command = hooks.on_end if on_end is None else on_end
    url = hooks.webhook if webhook is None else webhook
    seconds = hooks.timeout if timeout is None else timeout
    secrets = [k for k in [*config.secrets(), profile.resolve_key()] if k]
    outcomes = []
    if command:
        env = {
            **clean_env(secrets, key_variables(config, profile)),
            **batch_env(profile.name, batch, results_path, export_path),
        }
        outcomes.append(run_on_end(command, env, seconds, secrets))
    if url:
        try:
            check_webhook_url(url)
        except ValueError as exc:
            outcomes.append(HookOutcome("webhook", False, f"webhook not sent: {exc}"))
        else:
            payload = webhook_payload(profile.name, batch, results_path, export_path)
            outcomes.append(post_webhook(url, payload, timeout=seconds))
    return outcomes
