"""What runs when a batch ends: an `on_end` shell command and a webhook POST, never fatal.

Both come from the `hooks.*` settings (the `watch` command's flags override them). The
command runs with `shell=True` in a copy of the environment that holds no API key (every
variable named `*API_KEY`, every profile's `api_key_env`, and every variable whose value
contains a known key are removed), plus `BATCHDECK_*` variables describing the batch. The
webhook gets a small JSON document, with a timeout per attempt and a bounded retry; at most
`WEBHOOK_BODY_LIMIT` bytes of its answer are read, and only its scheme and host are ever shown.
A failure of either comes back as one line of text; nothing here raises for it (Ctrl-C and the
stop signals still go through, and stop a running command's process group on the way).

The TUI calls `fire_hooks(config, profile, batch, results_path, export_path)` from a worker
thread when a batch ends; `watch` goes through `core.batch_end.finish_batch`, which also
downloads and exports first.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchdeck import __version__
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.config.model import Config
from batchdeck.core.config.profiles import Profile
from batchdeck.core.config.values import http_url
from batchdeck.core.errors import redact
from batchdeck.core.terminal_text import visible
from batchdeck.core.urls import url_shown

if TYPE_CHECKING:
    import httpx2

WEBHOOK_ATTEMPTS = 3
WEBHOOK_BACKOFF = 1.0  # seconds before the second attempt; doubles for each one after
MAX_RETRY_AFTER = 30.0  # a webhook's retry-after is honoured up to this
OUTPUT_TAIL = 400  # characters of a failed command's output kept in its report
WEBHOOK_BODY_LIMIT = 4096  # bytes of a webhook's answer read (only its status matters); the rest is never read


@dataclass(frozen=True)
class HookOutcome:
    """What one hook (or end action) did: `ok` False means a problem to report."""

    name: str  # on_end | webhook | download | export | end_actions (all of them, failed unexpectedly)
    ok: bool
    message: str


def check_webhook_url(url: str) -> str:
    """The URL itself, or a ValueError naming the problem (only http and https are accepted)."""
    return http_url(url)


# -- the on_end command --------------------------------------------------------------------------
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
        output = tempfile.TemporaryFile()
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


# -- the webhook ---------------------------------------------------------------------------------
def webhook_payload(
    profile: str, batch: CachedBatch, results_path: Path | None, export_path: Path | None
) -> dict[str, Any]:
    """The JSON document POSTed when a batch ends (stable keys, documented in the README)."""
    return {
        "event": "batch_ended",
        "id": batch.id,
        "profile": profile,
        "status": batch.processing_status,
        "summary": batch.status_text(),
        "label": batch.label,
        "request_counts": batch.counts.as_dict(),
        "total": batch.counts.total,
        "failed": batch.counts.failed,
        "created_at": batch.created_at,
        "ended_at": batch.ended_at,
        "results_path": str(results_path) if results_path else None,
        "export_path": str(export_path) if export_path else None,
    }


def post_webhook(
    url: str,
    payload: dict[str, Any],
    *,
    timeout: float,
    attempts: int = WEBHOOK_ATTEMPTS,
    backoff: float = WEBHOOK_BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
) -> HookOutcome:
    """POST `payload` as JSON; retry network failures, timeouts, 429 and 5xx with backoff, up to `attempts`."""
    import httpx2  # ships with the SDK; loaded only when a webhook is sent

    where = url_shown(url)
    problem = ""
    with httpx2.Client(timeout=httpx2.Timeout(timeout), follow_redirects=False) as client:
        for attempt in range(1, attempts + 1):
            wait = backoff * 2 ** (attempt - 1)
            try:
                status, retry_after = _post_once(client, url, payload, timeout)
            except httpx2.TimeoutException:
                problem = f"no answer within {timeout:g}s"
            except httpx2.InvalidURL as exc:
                return HookOutcome("webhook", False, f"webhook {where} not sent: {_scrubbed(exc, url)}")
            except Exception as exc:
                problem = _scrubbed(exc, url)
            else:
                if 200 <= status < 300:
                    tries = f" (attempt {attempt})" if attempt > 1 else ""
                    return HookOutcome("webhook", True, f"webhook {where} answered HTTP {status}{tries}")
                problem = f"HTTP {status}"
                if status not in (408, 425, 429) and status < 500:
                    break  # the receiver refused it: sending it again will not help
                wait = max(wait, _retry_after(retry_after))
            if attempt < attempts:
                sleep(wait)
    return HookOutcome(
        "webhook", False, f"webhook {where} failed after {attempt} attempt{'s' * (attempt != 1)}: {problem}"
    )


def _post_once(client: httpx2.Client, url: str, payload: dict[str, Any], timeout: float) -> tuple[int, str | None]:
    """One POST: (status, retry-after header). Reads at most `WEBHOOK_BODY_LIMIT` bytes of the answer,
    within about `timeout` seconds, then drops the connection: a huge or endless body costs nothing."""
    deadline = time.monotonic() + timeout
    with client.stream("POST", url, json=payload, headers={"user-agent": f"batchdeck/{__version__}"}) as response:
        read = 0
        for chunk in response.iter_raw():  # raw: a compressed body is never inflated
            read += len(chunk)
            if read >= WEBHOOK_BODY_LIMIT or time.monotonic() > deadline:
                break
        return response.status_code, response.headers.get("retry-after")


def _scrubbed(exc: BaseException, url: str) -> str:
    """An exception as one line without the URL's user info, path, query or fragment (any may hold a token)."""
    text = str(exc).replace(url, url_shown(url))
    for part in _private_parts(url):
        text = text.replace(part, "…")
    return f"{type(exc).__name__}: {visible(text)}" if text else type(exc).__name__


def _private_parts(url: str) -> list[str]:
    """The pieces of `url` after its host, and its user info, longest first."""
    rest = url.partition("://")[2] or url
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    tail = rest[len(authority) :]
    pieces = {tail, *re.split(r"[?#]", tail), authority.rpartition("@")[0]}
    return sorted((p for p in pieces if len(p) > 1), key=len, reverse=True)


def _retry_after(value: str | None) -> float:
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(value or "")))
    except ValueError:
        return 0.0


# -- both, as configured --------------------------------------------------------------------------
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


def fire_hooks(
    config: Config,
    profile: Profile,
    batch: CachedBatch,
    results_path: Path | None = None,
    export_path: Path | None = None,
) -> list[str]:
    """The configured `hooks.on_end` and `hooks.webhook` for one ended batch; returns the problems
    (empty when all went well or none is configured). Blocking (up to about `hooks.timeout` for the
    command plus three webhook attempts), so call it from a worker thread. Never raises for a hook's failure."""
    return [o.message for o in run_hooks(config, profile, batch, results_path, export_path) if not o.ok]
