# The checks CI runs: .ci/run installs '.[dev]' into a fresh .venv, then `make check`.
# Run `make check` before every commit (`make -k check` reports every failing step, not just the first).
#
# PY is the interpreter of a venv with the dev extra: `python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'`.
# A worktree that borrows another checkout's venv passes it: `make check PY=/path/to/.venv/bin/python`.
# PYTHONPATH makes every tool (pytest, lint-imports, and the tests' subprocesses) read this checkout's src/,
# whichever checkout the venv's editable install points at.
PY ?= .venv/bin/python
BIN := $(dir $(PY))
export PYTHONPATH := $(CURDIR)/src$(if $(PYTHONPATH),:$(PYTHONPATH))
PATHS := src tests benchmarks scripts

.PHONY: check format lint types imports test fix

check: format lint types imports test

format:  # ruff's formatter, as a check: nothing is rewritten (`make fix` rewrites)
	$(PY) -m ruff format --check $(PATHS)

lint:  # ruff's rules, configured in pyproject.toml
	$(PY) -m ruff check $(PATHS)

types:  # mypy over src/batchdeck: strict for core and emulator (pyproject.toml)
	$(PY) -m mypy

imports:  # import-linter contracts in pyproject.toml: the layers and what core and the emulator may import
	$(BIN)lint-imports

test:  # the README's test command
	$(PY) -m pytest

fix:  # format, then the lint fixes ruff calls safe; review the diff
	$(PY) -m ruff format $(PATHS)
	$(PY) -m ruff check --fix $(PATHS)
