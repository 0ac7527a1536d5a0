# The checks CI runs (.ci/run calls `make check`). Run them before every commit.
PY ?= .venv/bin/python

.PHONY: check format lint types imports test

check: format lint types imports test

format:
	$(PY) -m ruff format --check src tests benchmarks scripts

lint:
	$(PY) -m ruff check src tests benchmarks scripts

types:
	$(PY) -m mypy

imports:
	$(PY) -m importlinter.cli

test:
	$(PY) -m pytest
