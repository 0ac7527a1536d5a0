"""`core.jobs.template`: records + a prompt template become request lines; bad records become bad lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batchdeck.core.errors import UsageError
from batchdeck.core.jobs.template import TemplateSpec, load_template, render, template_lines

SPEC = TemplateSpec(template="Classify: {text}", id_field="id", model="claude-haiku-4-5", max_tokens=32)


def test_render_fills_fields_and_keeps_doubled_braces_literal() -> None:
    assert render("{a} and {{b}} and {{{a}}}", {"a": "x"}) == "x and {b} and {x}"
    assert render("{n} {xs} {u}", {"n": 3, "xs": ["é", None], "u": "ü"}) == '3 ["é", null] ü'
    assert render("{ not a field }", {}) == "{ not a field }"


def test_render_refuses_a_missing_field() -> None:
    with pytest.raises(KeyError, match="missing"):
        render("{present} {missing}", {"present": 1})


def test_load_template_reads_at_files(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text("Say {x}\n", encoding="utf-8")
    assert load_template(f"@{tmp_path / 't.txt'}") == "Say {x}\n"
    assert load_template("Say {x}") == "Say {x}"
    with pytest.raises(UsageError, match=r"cannot read the template file .*missing\.txt"):
        load_template(f"@{tmp_path / 'missing.txt'}")
    (tmp_path / "bin.txt").write_bytes(b"ok\xff")
    with pytest.raises(UsageError, match=r"not UTF-8 text \(byte 2\)"):
        load_template(f"@{tmp_path / 'bin.txt'}")


def test_jsonl_records_become_requests_and_bad_records_become_problems(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"id": "r1", "text": "refund please"}),
                "",
                "[1, 2]",
                json.dumps({"text": "no id"}),
                json.dumps({"id": 7, "other": "no text"}),
                "{broken",
                json.dumps({"id": 8, "text": "numeric id"}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    problems: list[str] = []
    made = list(template_lines(path, SPEC, problems))
    assert [where for where, _ in made] == ["line 1", "line 7"]
    first = json.loads(made[0][1])
    assert first == {
        "custom_id": "r1",
        "params": {
            "model": "claude-haiku-4-5",
            "max_tokens": 32,
            "messages": [{"role": "user", "content": "Classify: refund please"}],
        },
    }
    assert json.loads(made[1][1])["custom_id"] == "8"
    assert problems == [
        "line 3: a record must be an object with named fields",
        "line 4: no 'id' field for the custom_id (--id-field)",
        "line 5: the template names {text}, which this record does not have",
        "line 6: not valid JSON: Expecting property name enclosed in double quotes",
    ]


def test_csv_records_name_record_and_line_and_carry_the_system_prompt(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    path.write_text('id,text\na,"two\nlines"\n,empty id\n', encoding="utf-8")
    spec = TemplateSpec("T: {text}", "id", "claude-sonnet-4-5", 10, system="Be brief.")
    problems: list[str] = []
    made = list(template_lines(path, spec, problems))
    assert len(made) == 1 and made[0][0] == "record 1 (line 3)"
    params = json.loads(made[0][1])["params"]
    assert params["system"] == "Be brief." and params["messages"][0]["content"] == "T: two\nlines"
    assert problems == ["record 2 (line 4): no 'id' field for the custom_id (--id-field)"]


def test_a_csv_that_is_not_utf8_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,text\na,caf\xe9\n".encode("latin-1"))
    problems: list[str] = []
    assert list(template_lines(path, SPEC, problems)) == []
    assert len(problems) == 1 and problems[0].startswith(f"{path}: not valid UTF-8")


def test_the_fingerprint_changes_with_every_field() -> None:
    variants = [
        SPEC,
        TemplateSpec("other {text}", "id", "claude-haiku-4-5", 32),
        TemplateSpec("Classify: {text}", "key", "claude-haiku-4-5", 32),
        TemplateSpec("Classify: {text}", "id", "claude-opus-4-5", 32),
        TemplateSpec("Classify: {text}", "id", "claude-haiku-4-5", 33),
        TemplateSpec("Classify: {text}", "id", "claude-haiku-4-5", 32, system="s"),
    ]
    assert len({v.fingerprint() for v in variants}) == len(variants)
