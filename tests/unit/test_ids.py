"""`core.ids`: batch ids from untrusted sources checked before they become paths or queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from batchdeck.core.ids import BadId, check_batch_id, inside, is_batch_id


@pytest.mark.parametrize("value", ["msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d", "msgbatch_a-b_c", "msgbatch_" + "x" * 200])
def test_well_formed_ids(value: str) -> None:
    assert is_batch_id(value) and check_batch_id(value) == value


@pytest.mark.parametrize(
    "value",
    ["msgbatch_", "msgbatch_../../x", "msgbatch_a/b", "batch_123", "msgbatch_" + "x" * 201, "msgbatch_a\n", None, 7],
)
def test_malformed_ids(value: object) -> None:
    assert not is_batch_id(value)
    with pytest.raises(BadId, match=r"^a file gave a batch id that is not of the form msgbatch_"):
        check_batch_id(value, where="a file")


def test_a_refused_id_is_shown_visibly_and_cut() -> None:
    with pytest.raises(BadId) as caught:
        check_batch_id("msgbatch_\x1b[2J" + "y" * 200)
    message = str(caught.value)
    assert "\x1b" not in message and "␛[2J" in message and "y" * 80 not in message
    assert BadId.exit_code == 1


def test_inside_keeps_names_in_the_directory(tmp_path: Path) -> None:
    assert inside(tmp_path, "msgbatch_1.jsonl") == tmp_path / "msgbatch_1.jsonl"


@pytest.mark.parametrize("name", ["", ".", "..", "../x", "a/b", "a\\b", "a\0b", "/etc/passwd"])
def test_inside_refuses_names_that_leave(tmp_path: Path, name: str) -> None:
    with pytest.raises(BadId, match="refusing a file name from untrusted data"):
        inside(tmp_path, name)


def test_inside_refuses_a_link_that_points_out(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "msgbatch_link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(BadId):
        inside(tmp_path / "data", "msgbatch_link")
