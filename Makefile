# `make run` and `make test` work on a fresh machine with only Python 3.10+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/livestream_promo_peak.yaml

.PHONY: run test lint bench fuzz validate clean

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
	@if $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then \
		echo "$(BIN)/python -m mypy sim"; $(BIN)/python -m mypy sim; \
	else echo "mypy skipped: its pandas and scipy stubs need Python 3.11+"; fi

test: lint
	$(BIN)/python -m pytest -q

# The mutation fuzzer with a larger budget than the one in `make test` (same contract).
FUZZ_CASES ?= 3000
FUZZ_SEED ?= 1
fuzz: $(VENV)/.installed-dev
	OPENBLAS_NUM_THREADS=1 $(BIN)/python tests/fuzzing.py --seed $(FUZZ_SEED) --cases $(FUZZ_CASES)

# Every document scenario at its own replications and seed, then at five other seeds;
# rewrites scenarios/document/validation.json and README.md (several minutes).
validate: $(VENV)/.installed-dev
	$(BIN)/python docs/make_document_readme.py --simulate

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_erlang_a.py
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_fit.py
	$(BIN)/python benchmarks/bench_teams.py
	$(BIN)/python benchmarks/bench_loader.py
	$(BIN)/python benchmarks/bench_memory.py
	$(BIN)/python benchmarks/bench_notebooks.py

clean:
	rm -rf $(VENV) build *.egg-info
