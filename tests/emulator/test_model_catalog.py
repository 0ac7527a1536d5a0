"""`--model-catalog FILE`: models added or retired without a release (JSON or TOML)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import anthropic
import pytest

from batchdeck.emulator import Emulator, load_catalog
from tests.conftest import API_KEY, START, request
from tests.emulator.test_fidelity import error_of, results

TOML = """
[[models]]
id = "claude-sonnet-4-5-20250929"
retired = 2026-09-29

[[models]]
id = "claude-nova-6"
aliases = ["claude-nova-6-latest"]
max_output_tokens = 96000
thinking = ["adaptive"]
sampling = false
"""
JSON_CATALOG = {
    "models": [
        {"id": "claude-sonnet-4-5-20250929", "retired": "2026-09-29"},
        {
            "id": "claude-nova-6",
            "aliases": ["claude-nova-6-latest"],
            "max_output_tokens": 96000,
            "thinking": ["adaptive"],
            "sampling": False,
        },
    ]
}


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_a_catalog_file_adds_and_retires_models(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"models{suffix}"
    path.write_text(TOML if suffix == ".toml" else json.dumps(JSON_CATALOG))
    with (
        Emulator(speed=0, start_time=START, catalog=load_catalog(path)) as emu,
        anthropic.Anthropic(
            base_url=emu.base_url, api_key=API_KEY, default_headers={"anthropic-version": "2023-06-01"}
        ) as client,
    ):
        got = results(
            client,
            emu,
            [
                request("retired", model="claude-sonnet-4-5"),
                request("new", model="claude-nova-6-latest", max_tokens=90_000),
                request("too-long", model="claude-nova-6", max_tokens=96_001),
                request("rules", model="claude-nova-6", temperature=0.1),
                request("untouched", model="claude-haiku-4-5"),
            ],
        )
    assert error_of(got["retired"]) == ("not_found_error", "model: claude-sonnet-4-5")
    assert got["new"].type == "succeeded" and got["new"].message.model == "claude-nova-6"
    assert error_of(got["too-long"])[1].endswith("maximum allowed number of output tokens for claude-nova-6")
    assert error_of(got["rules"])[1] == "`temperature` is deprecated for this model."
    assert got["untouched"].type == "succeeded"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"models": [{"id": "claude-x"}]}', "models[0]: a new model needs 'max_output_tokens'"),
        ('{"models": [{"id": "claude-haiku-4-5-20251001", "retired": "soon"}]}', "'retired' must be a date"),
        ('{"models": [{"id": "claude-x", "max_output_tokens": -1}]}', "'max_output_tokens' must be a positive integer"),
        ('{"models": [{"id": "claude-x", "max_output_tokens": 5, "colour": "red"}]}', "unknown field 'colour'"),
        ('{"models": [{"id": "claude-x", "max_output_tokens": 5, "thinking": ["deep"]}]}', "'thinking' must be a list"),
        ('{"models": [{"id": ["claude-x"], "max_output_tokens": 5}]}', "models[0]: 'id' must be a non-empty string"),
        ('{"model": []}', "expected a top-level 'models' list"),
        ("{not json", "is not valid JSON"),
    ],
)
def test_a_bad_catalog_file_is_one_clear_line_from_the_cli(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "models.json"
    path.write_text(content)
    result = subprocess.run(
        [sys.executable, "-m", "batchdeck", "emulator", "--port", "0", "--model-catalog", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_missing_catalog_file_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "batchdeck", "emulator", "--port", "0", "--model-catalog", str(tmp_path / "nope.toml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "cannot read model catalog" in result.stderr
