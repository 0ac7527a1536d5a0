"""A hostile API (tests/reliability/fake_api.py): ids that try to leave the data dir, batch objects of
the wrong types, lists that never end. Each is skipped or stopped with one line; the rest is stored;
nothing is written outside the data dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from batchdeck.core.errors import BatchdeckError
from batchdeck.core.jobs.reconcile import reconcile
from batchdeck.core.results.auto_download import pending_downloads
from batchdeck.core.results.export import export_saved, free_path
from batchdeck.core.workspace import Workspace
from tests.core.conftest import run_cli
from tests.reliability.fake_api import PREFIX, FakeApi, batch, environment, error_body

TRAVERSAL = "msgbatch_../../x/pwn"
GOOD = ["msgbatch_good1", "msgbatch_good2", "msgbatch_good3"]


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    with FakeApi() as api:
        for var, value in environment(tmp_path / "home", api).items():
            monkeypatch.setenv(var, value)
        yield api


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def cached_ids(profile: str | None = None) -> list[str]:
    with Workspace.open(profile) as ws:
        return [b.id for b in ws.batches.query(include_deleted=True)]


def one_line_naming(err: str, *parts: str) -> str:
    lines = [line for line in err.splitlines() if all(p in line for p in parts)]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    return lines[0]


# -- 8. ids that would leave the data dir ------------------------------------------------------------------
def test_a_listed_traversal_id_is_skipped_reported_and_writes_nothing_outside(
    fake: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.listed = [batch(GOOD[0]), batch(TRAVERSAL), batch(GOOD[1])]
    code, out, err = run_cli(capsys, "sync")
    assert code == 0, err
    line = one_line_naming(err, "skipped 1 malformed batch object", repr(TRAVERSAL))
    assert "msgbatch_[A-Za-z0-9_-]" in line and "the rest were stored" in line
    assert "2 new" in out
    assert sorted(cached_ids()) == GOOD[:2]
    # Every later step that builds paths from cached ids (the TUI's background downloads, exports) sees
    # only the good ids: nothing appears outside the data dir, nothing named after the bad id anywhere.
    code, _, _ = run_cli(capsys, "list")
    home = tmp_path / "home"
    data_dirs = [home / "xdg_data_home", home / "xdg_config_home", home / "xdg_cache_home", home / "xdg_state_home"]
    outside = {p for p in files_under(tmp_path) if not any(d in p.parents for d in data_dirs)}
    assert outside == set() and not list(tmp_path.rglob("pwn*")) and not list(tmp_path.rglob("x"))


def test_a_traversal_id_cached_by_an_older_version_is_removed_before_anything_downloads_it(
    fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    with Workspace.open() as ws:  # as a version that did not check ids would have stored it
        ws.batches.store([batch(TRAVERSAL), batch(GOOD[0])], ws.now())
        ws.batches.set_meta(TRAVERSAL, ws.now(), label="my label")
    fake.listed = [batch(GOOD[0])]
    code, _, err = run_cli(capsys, "sync")
    assert code == 0, err
    one_line_naming(err, "skipped 1 malformed", repr(TRAVERSAL), "removed from the cache")
    with Workspace.open() as ws:
        assert pending_downloads(ws, ws.clock()) == [GOOD[0]]
        assert (
            ws.db.conn.execute("SELECT label FROM batch_meta WHERE batch_id = ?", (TRAVERSAL,)).fetchone()[0]
            == "my label"
        )  # local metadata is the user's: kept
    assert cached_ids() == [GOOD[0]]


@pytest.mark.parametrize(
    "argv",
    [
        ["show", "../../x"],
        ["results", "msgbatch_../../etc/pwn"],
        ["label", "msgbatch_a/b", "hi"],
        ["cancel", "--yes", "..%2f..%2fx"],
        ["watch", "msgbatch_\x1b]0;pwn\x07"],
    ],
)
def test_a_malformed_id_argument_is_refused_before_any_request(
    fake: FakeApi, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    one_line_naming(err, "is not a batch id", "msgbatch_ followed by letters, digits, _ and -")
    assert "\x1b" not in err
    assert fake.requests == []  # nothing reached the API (the id would have become a URL path)


def test_a_retrieve_that_answers_a_traversal_id_stores_nothing(
    fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.batches[GOOD[0]] = batch(TRAVERSAL)
    code, _, err = run_cli(capsys, "show", GOOD[0])
    assert code == 1
    one_line_naming(err, "the API sent a malformed batch", repr(TRAVERSAL))
    assert cached_ids() == []


def test_export_names_built_from_ids_stay_inside_their_directory(fake: FakeApi, tmp_path: Path) -> None:
    """`export_saved` names files after the batch (the TUI's `e` and `watch --export-dir` use it): a
    traversal id (say, cached by an older version) is refused before anything is written."""
    target = tmp_path / "exports"
    target.mkdir()
    with Workspace.open() as ws:
        with pytest.raises(BatchdeckError, match="not of the form msgbatch_"):
            export_saved(ws, "msgbatch_../../pwn", target)
        with pytest.raises(BatchdeckError, match="refusing a file name"):
            free_path(target, "../pwn", "csv")
    assert not list(tmp_path.rglob("pwn*")) and list(target.iterdir()) == []


# -- 13. batch objects of the wrong types ------------------------------------------------------------------
MALFORMED: list[Any] = [
    batch("msgbatch_yesterday", created_at="yesterday"),
    batch("msgbatch_countslist", request_counts=[1, 0, 0, 0, 0]),
    {k: v for k, v in batch("msgbatch_x").items() if k != "id"},
    batch("msgbatch_countstext", request_counts={"processing": "many"}),
    batch("msgbatch_statusnum", processing_status=3),
    batch("msgbatch_endedbad", ended_at=17),
    batch(["msgbatch_list"]),  # type: ignore[arg-type]
    "msgbatch_just_a_string",
    None,
    batch("msgbatch_esc\x1b]0;pwn\x07"),
]


def test_malformed_objects_are_skipped_and_the_rest_stored(fake: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    fake.listed = [batch(GOOD[0]), *MALFORMED, batch(GOOD[1])]
    code, out, err = run_cli(capsys, "sync")
    assert code == 0, err
    line = one_line_naming(
        err,
        f"skipped {len(MALFORMED)} malformed batch objects from the API",
        "first: 'msgbatch_yesterday': created_at \"yesterday\" is not a timestamp",
    )
    assert "\x1b" not in line
    assert sorted(cached_ids()) == GOOD[:2]
    code, out, err = run_cli(capsys, "sync", "--json")
    assert code == 0 and '"skipped": 10' in out


def test_a_cached_batch_the_api_now_sends_malformed_is_kept_not_deleted(
    fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    live = batch(GOOD[2], status="in_progress")
    fake.listed = [batch(GOOD[0]), live]
    assert run_cli(capsys, "sync")[0] == 0
    fake.listed = [batch(GOOD[0]), {**live, "created_at": "yesterday"}]  # the list now sends it broken
    code, _, err = run_cli(capsys, "sync", "--full")
    assert code == 0, err
    one_line_naming(err, "skipped 1 malformed", repr(GOOD[2]))
    fake.listed = [batch(GOOD[0])]  # no longer listed: refreshed by retrieve, which answers it broken too
    fake.batches[GOOD[2]] = {**live, "request_counts": None}
    code, _, err = run_cli(capsys, "sync")
    assert code == 0, err
    one_line_naming(err, "skipped 1 malformed", "request_counts null is not an object")
    with Workspace.open() as ws:
        kept = ws.batches.get(GOOD[2])
        assert kept is not None and kept.deleted_at is None and kept.processing_status == "in_progress"


def test_a_malformed_old_live_batch_on_a_page_below_the_head_is_kept_and_the_rest_refreshed(
    fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three live batches below the newest page are cheaper to list (one page) than to retrieve (three)."""
    live = [batch(f"msgbatch_live{i}", status="in_progress", created_at=f"2026-11-01T11:0{i}:00Z") for i in range(3)]
    fake.pages[None] = {"data": [batch(GOOD[0])], "has_more": True, "last_id": GOOD[0]}
    fake.pages[GOOD[0]] = {"data": live[::-1], "has_more": False, "last_id": live[0]["id"]}
    assert run_cli(capsys, "sync")[0] == 0
    broken = {**live[2], "created_at": "yesterday"}
    fake.pages[GOOD[0]]["data"] = [broken, batch(live[1]["id"], created_at=live[1]["created_at"]), live[0]]
    fake.requests.clear()
    code, _, err = run_cli(capsys, "sync")
    assert code == 0, err
    one_line_naming(err, "skipped 1 malformed", repr(live[2]["id"]))
    assert fake.list_calls() == 2 and len(fake.requests) == 2  # no retrieve: the page below the head covered them
    with Workspace.open() as ws:
        kept, ended, still = (ws.batches.get(b["id"]) for b in live[::-1])
        assert kept is not None and kept.deleted_at is None and kept.processing_status == "in_progress"
        assert ended is not None and ended.processing_status == "ended"
        assert still is not None and still.deleted_at is None and still.processing_status == "in_progress"


def test_a_list_answer_that_is_not_an_object_is_one_line(fake: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    fake.pages[None] = [batch(GOOD[0])]  # type: ignore[assignment]  (a bare array instead of a page)
    code, _, err = run_cli(capsys, "sync")
    assert code == 1
    one_line_naming(err, "cannot list batches: the API answered with JSON that is not an object")


# -- 12. a list that never ends ------------------------------------------------------------------------------
def never_ending(fake: FakeApi, cycle: bool) -> None:
    """Page one points to good1; from there the API answers has_more with the same cursor again
    (or, with `cycle`, good1 -> good2 -> good1 ...)."""
    fake.pages[None] = {"data": [batch(GOOD[0])], "has_more": True, "last_id": GOOD[0]}
    fake.pages[GOOD[0]] = {"data": [batch(GOOD[1])], "has_more": True, "last_id": GOOD[1] if cycle else GOOD[0]}
    fake.pages[GOOD[1]] = {"data": [batch(GOOD[2])], "has_more": True, "last_id": GOOD[0]}


@pytest.mark.parametrize("cycle", [False, True], ids=["same cursor", "cycle"])
def test_sync_stops_a_list_that_never_ends(fake: FakeApi, cycle: bool, capsys: pytest.CaptureFixture[str]) -> None:
    never_ending(fake, cycle)
    code, _, err = run_cli(capsys, "sync")
    assert code == 1
    one_line_naming(err, "the API's list never ends", f"the cursor {GOOD[0]} again")
    assert fake.list_calls() <= 3  # stopped at once, not by the fake's limit
    code, _, err = run_cli(capsys, "sync")  # the next sync resumes at the stored cursor and stops again
    assert code == 1 and fake.list_calls() <= 5
    one_line_naming(err, "the API's list never ends")


def test_list_and_status_stop_a_list_that_never_ends(fake: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    never_ending(fake, cycle=False)
    code, out, err = run_cli(capsys, "list")
    assert code == 0  # the cache is still shown
    one_line_naming(err, "showing cached data", "the API's list never ends")
    assert GOOD[0] in out
    code, out, err = run_cli(capsys, "status")
    assert code == 0 and "the API's list never ends" in out
    assert fake.list_calls() <= 6


def test_job_reconcile_stops_a_list_that_never_ends(fake: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    with Workspace.open() as ws:
        store = ws.jobs
        job = store.new_job("interrupted", None, None, 1, ws.now())
        store.add_submissions(job.id, [("submit", 0, None, ["a"], 10)], ws.now(), state="uncertain")
        store.update(job.id, 1, anchor_id="", intent_at=ws.now())
    never_ending(fake, cycle=True)
    code, _, err = run_cli(capsys, "job", "reconcile", "job-1")
    assert code == 1
    one_line_naming(err, "the API's list never ends")
    assert fake.list_calls() <= 3
    with Workspace.open() as ws:  # nothing was decided: the part is still open
        assert [s.state for s in ws.jobs.submissions("job-1")] == ["uncertain"]
        with pytest.raises(BatchdeckError, match="never ends"):
            reconcile(ws, "job-1")


def test_an_api_error_message_with_escapes_is_one_visible_line(
    fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.errors[f"{PREFIX}/{GOOD[0]}"] = (400, error_body("bad\x1b]52;c;aGVsbG8=\x07\nsecond line\x1b[2J"))
    code, _, err = run_cli(capsys, "show", GOOD[0])
    assert code == 1
    assert err.count("\n") == 1 and "\x1b" not in err and "\x07" not in err
    one_line_naming(err, "bad␛]52;c;aGVsbG8=␇␊second line␛[2J")


def test_ids_are_read_for_malformed_ones_once_and_again_only_after_one_is_stored(
    fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sync no longer reads every cached id to look for ids stored before they were checked (0.14 s a poll at
    100,000 batches): once the profile's ids are clean it says so, and any malformed id stored after that,
    whatever the path, makes the next sync look again."""
    fake.listed = [batch(GOOD[0])]
    assert run_cli(capsys, "sync")[0] == 0
    with Workspace.open() as ws:
        checked = "SELECT ids_checked FROM sync_state WHERE profile = ?"
        assert ws.db.conn.execute(checked, (ws.profile.name,)).fetchone()[0] == 1
        ws.batches.store([batch(TRAVERSAL)], ws.now())  # as an older version, or a bug, would store it
        assert ws.db.conn.execute(checked, (ws.profile.name,)).fetchone()[0] == 0
    code, _, err = run_cli(capsys, "sync")
    assert code == 0, err
    one_line_naming(err, "skipped 1 malformed", repr(TRAVERSAL), "removed from the cache")
    with Workspace.open() as ws:
        assert [b.id for b in ws.batches.query(include_deleted=True)] == [GOOD[0]]
        assert ws.db.conn.execute(checked, (ws.profile.name,)).fetchone()[0] == 1
