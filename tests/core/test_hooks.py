"""End-of-batch hooks for real: a shell subprocess for on_end, a local HTTP server for the webhook."""

from __future__ import annotations

import json
import time
from pathlib import Path

import anthropic
import pytest

from batchdeck.core.batches.changes import refresh_batch
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.config import toml_file
from batchdeck.core.config.edit import set_value
from batchdeck.core.watch.batch_end import EndActions, finish_batch
from batchdeck.core.watch.hooks import clean_env, run_hooks, run_on_end
from batchdeck.core.watch.outcome import HookOutcome
from batchdeck.core.watch.webhook import check_webhook_url, post_webhook
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from tests.conftest import request
from tests.core.conftest import SECRET, run_cli
from tests.core.hook_server import silent_server, webhook_server

DUMP_ENV = "env > {out}"


def failures(outcomes: list[HookOutcome]) -> list[str]:
    """The messages of the hooks that failed (none: every configured hook ran well)."""
    return [o.message for o in outcomes if not o.ok]


def ended_batch(
    ws: Workspace, client: anthropic.Anthropic, emulator: Emulator, n: int = 3, error_rate: float = 0.0
) -> CachedBatch:
    emulator.set_rates(error_rate=error_rate)
    batch_id = client.messages.batches.create(requests=[request(f"r{i}") for i in range(n)]).id
    emulator.advance(3600)
    ws.batches.set_meta(batch_id, ws.now(), label="nightly")
    return refresh_batch(ws, batch_id)


def read_env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def set_config(**values: str) -> None:
    config = toml_file.load()
    for key, value in values.items():
        set_value(config, key.replace("__", "."), value)
    toml_file.save(config)


def test_on_end_env_has_the_batch_and_no_key(
    ws: Workspace, client: anthropic.Anthropic, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTHER_API_KEY", "sk-ant-other-0000000000")
    monkeypatch.setenv("MY_TOKEN_COPY", SECRET)  # any name: removed because its value is the key
    monkeypatch.setenv("CURL_FLAGS", f"-H x-api-key:{SECRET}")  # contains the key
    monkeypatch.setenv("HARMLESS", "stays")
    batch = ended_batch(ws, client, emulator, n=4, error_rate=0.5)
    out = tmp_path / "env.txt"
    set_config(hooks__on_end=DUMP_ENV.format(out=out))
    ws.config = toml_file.load()
    problems = failures(run_hooks(ws.config, ws.profile, batch, tmp_path / "r.jsonl", None))
    assert problems == []
    text = out.read_text()
    assert SECRET not in text and SECRET[-12:] not in text and "sk-ant-other" not in text
    env = read_env(out)
    assert not [k for k in env if k.upper().endswith("API_KEY")]
    assert "MY_TOKEN_COPY" not in env and "CURL_FLAGS" not in env and env["HARMLESS"] == "stays"
    counts = batch.counts
    assert counts.errored and counts.succeeded + counts.errored == 4
    assert {k: v for k, v in env.items() if k.startswith("BATCHDECK_")} == {
        "BATCHDECK_BATCH_ID": batch.id,
        "BATCHDECK_STATUS": "ended",
        "BATCHDECK_SUMMARY": batch.status_text(),
        "BATCHDECK_LABEL": "nightly",
        "BATCHDECK_SUCCEEDED": str(counts.succeeded),
        "BATCHDECK_ERRORED": str(counts.errored),
        "BATCHDECK_CANCELED": "0",
        "BATCHDECK_EXPIRED": "0",
        "BATCHDECK_FAILED": str(counts.errored),
        "BATCHDECK_TOTAL": "4",
        "BATCHDECK_ENDED_AT": batch.ended_at,
        "BATCHDECK_PROFILE": "default",
        "BATCHDECK_RESULTS_PATH": str(tmp_path / "r.jsonl"),
        "BATCHDECK_EXPORT_PATH": "",
    }


def test_custom_key_variable_of_a_profile_is_removed_by_name() -> None:
    env = clean_env(
        ["sk-stored-elsewhere-123"],
        ["WORK_KEY"],
        {"WORK_KEY": "not-the-same-value", "work_key": "x", "PATH": "/bin", "anthropic_api_key": "y"},
    )
    assert env == {"PATH": "/bin"}


def test_failing_command_is_reported_not_raised(tmp_path: Path) -> None:
    outcome = run_on_end(f"echo bad {SECRET}; echo worse >&2; exit 4", {"PATH": "/usr/bin:/bin"}, 10, [SECRET])
    assert not outcome.ok and "exited with code 4: bad [redacted] worse" in outcome.message
    missing = run_on_end("no-such-command-xyz", {"PATH": "/usr/bin:/bin"}, 10, [])
    assert not missing.ok and "exited with code 127" in missing.message


def test_command_timeout_stops_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "late"
    started = time.monotonic()
    outcome = run_on_end(f"(sleep 0.6; touch {marker}) & wait", {"PATH": "/usr/bin:/bin"}, 0.3, [])
    assert not outcome.ok and "timed out after 0.3s" in outcome.message
    assert time.monotonic() - started < 3
    time.sleep(0.8)  # a background child of the shell would have touched it by now
    assert not marker.exists()


def test_webhook_body(ws: Workspace, client: anthropic.Anthropic, emulator: Emulator, tmp_path: Path) -> None:
    batch = ended_batch(ws, client, emulator, n=2)
    with webhook_server(204) as (url, got):
        set_config(hooks__webhook=url + "/hook/secret-token")
        ws.config = toml_file.load()
        assert failures(run_hooks(ws.config, ws.profile, batch, tmp_path / "r.jsonl", tmp_path / "e.csv")) == []
    assert got.paths == ["/hook/secret-token"] and got.headers[0]["content-type"] == "application/json"
    assert got.json() == {
        "event": "batch_ended",
        "id": batch.id,
        "profile": "default",
        "status": "ended",
        "summary": "ended",
        "label": "nightly",
        "request_counts": {"processing": 0, "succeeded": 2, "errored": 0, "canceled": 0, "expired": 0},
        "total": 2,
        "failed": 0,
        "created_at": batch.created_at,
        "ended_at": batch.ended_at,
        "results_path": str(tmp_path / "r.jsonl"),
        "export_path": str(tmp_path / "e.csv"),
    }
    sent = got.bodies[0].decode() + json.dumps(got.headers[0])
    assert SECRET not in sent and SECRET[-12:] not in sent


def test_webhook_retries_until_it_is_accepted() -> None:
    waits: list[float] = []
    with webhook_server(500, 503, 200) as (url, got):
        outcome = post_webhook(url, {"id": "x"}, timeout=5, backoff=0.01, sleep=waits.append)
    assert outcome.ok and "HTTP 200 (attempt 3)" in outcome.message
    assert len(got.bodies) == 3 and waits == [0.01, 0.02]


def test_webhook_gives_up_after_bounded_attempts_and_does_not_retry_refusals() -> None:
    with webhook_server(500) as (url, got):
        outcome = post_webhook(url + "/t0ken", {"id": "x"}, timeout=5, attempts=3, backoff=0.0)
    assert not outcome.ok and len(got.bodies) == 3
    assert outcome.message == f"webhook {url} failed after 3 attempts: HTTP 500"  # the path (a token) not shown
    with webhook_server(404) as (url, got):
        outcome = post_webhook(url, {"id": "x"}, timeout=5, backoff=0.0)
    assert not outcome.ok and len(got.bodies) == 1 and "after 1 attempt: HTTP 404" in outcome.message


def test_webhook_that_never_answers_times_out() -> None:
    with silent_server() as url:
        started = time.monotonic()
        outcome = post_webhook(url, {"id": "x"}, timeout=0.3, attempts=2, backoff=0.0)
    assert not outcome.ok and "failed after 2 attempts: no answer within 0.3s" in outcome.message
    assert time.monotonic() - started < 3


def test_only_http_urls(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for bad in ("ftp://example.com/x", "file:///etc/passwd", "example.com/hook", "http://"):
        with pytest.raises(ValueError, match="http:// or https://"):
            check_webhook_url(bad)
    assert check_webhook_url("HTTPS://hooks.example.com/x?y=1") == "HTTPS://hooks.example.com/x?y=1"
    code, _, err = run_cli(capsys, "config", "set", "hooks.webhook", "ftp://example.com")
    assert code == 2 and "http:// or https://" in err
    code, _, err = run_cli(capsys, "watch", "--webhook", "file:///tmp/x", "abc")
    assert code == 2 and "--webhook: expected an http:// or https:// URL" in err


def test_finish_batch_downloads_exports_and_passes_the_paths(
    ws: Workspace, client: anthropic.Anthropic, emulator: Emulator, tmp_path: Path
) -> None:
    batch = ended_batch(ws, client, emulator, n=5, error_rate=0.4)
    out = tmp_path / "env.txt"
    actions = EndActions(
        on_end=DUMP_ENV.format(out=out),
        download=True,
        export_dir=str(tmp_path / "exports"),
        export_format="csv",
        timeout=10,
    )
    outcomes = finish_batch(ws, batch, actions)
    assert [(o.name, o.ok) for o in outcomes] == [("download", True), ("export", True), ("on_end", True)]
    env = read_env(out)
    results, exported = Path(env["BATCHDECK_RESULTS_PATH"]), Path(env["BATCHDECK_EXPORT_PATH"])
    assert len(results.read_bytes().splitlines()) == 5 and exported == tmp_path / "exports" / f"{batch.id}.csv"
    assert len(exported.read_text().splitlines()) == 6  # header + 5 rows
    again = finish_batch(ws, refresh_batch(ws, batch.id), actions)  # a second end never replaces the first export
    assert again[1].ok and f"{batch.id}-2.csv" in again[1].message


def test_finish_batch_reports_a_failed_download_and_still_runs_hooks(
    ws: Workspace, client: anthropic.Anthropic, emulator: Emulator, tmp_path: Path
) -> None:
    batch = ended_batch(ws, client, emulator)
    emulator.advance(30 * 86400)  # results archived, no local copy
    out = tmp_path / "env.txt"
    outcomes = finish_batch(
        ws, batch, EndActions(on_end=DUMP_ENV.format(out=out), download=True, export_dir=str(tmp_path), timeout=10)
    )
    assert [(o.name, o.ok) for o in outcomes] == [("download", False), ("on_end", True)]
    assert "archived" in outcomes[0].message and read_env(out)["BATCHDECK_RESULTS_PATH"] == ""
