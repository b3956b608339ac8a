# `make run` and `make test` work on a fresh machine with only Python 3.10+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/livestream_promo_peak.yaml

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,cluster]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/sim run $(SCENARIO)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check sim tests benchmarks docs
	$(BIN)/ruff format --check sim tests benchmarks docs

test: lint
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_erlang_a.py
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_fit.py
	$(BIN)/python benchmarks/bench_teams.py

clean:
	rm -rf $(VENV) build *.egg-info
