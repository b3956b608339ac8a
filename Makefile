# `make run` and `make test` work on a fresh machine with only Python 3.10+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/livestream_promo_peak.yaml

.PHONY: run test lint compile bench fuzz validate lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# constraints.txt: the library versions the suite was last run with (see its header).
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,cluster]'
	touch $(VENV)/.installed $@

# The compiled engine's build needs mypyc (in mypy) and setuptools: the `compile` extra.
$(VENV)/.installed-compile: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[compile]'
	touch $(VENV)/.installed $@

run: compile
	$(BIN)/sim run $(SCENARIO)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check sim tests benchmarks docs tools
	$(BIN)/ruff format --check sim tests benchmarks docs tools
	@if $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then \
		echo "$(BIN)/python -m mypy sim"; $(BIN)/python -m mypy sim; \
	else echo "mypy skipped: its pandas and scipy stubs need Python 3.11+"; fi

# The engine's hot modules compiled with mypyc (tools/compile_engine.py, ~20 s): the same
# numbers to the bit, about a fifth less time. Left as it is when current; where mypyc or
# a C compiler is missing it says so and sim runs as pure Python (SIM_PURE=1 forces that).
compile: $(VENV)/.installed-compile
	-$(BIN)/python tools/compile_engine.py

# Every core a worker, each test file whole on one (its module fixtures made once): on 2
# cores about 8 minutes where one process took 12 (stop 32). TEST_WORKERS=0: one process.
TEST_WORKERS ?= auto
test: lint compile
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

# The mutation fuzzer with a larger budget than the one in `make test` (same contract).
FUZZ_CASES ?= 3000
FUZZ_SEED ?= 1
FUZZ_ONLY ?= *.yaml
fuzz: $(VENV)/.installed-dev
	OPENBLAS_NUM_THREADS=1 $(BIN)/python tests/fuzzing.py --seed $(FUZZ_SEED) --cases $(FUZZ_CASES) --only '$(FUZZ_ONLY)'

# Every document scenario at its own replications and seed, then at five other seeds;
# rewrites scenarios/document/validation.json and README.md (several minutes).
validate: $(VENV)/.installed-dev
	$(BIN)/python docs/make_document_readme.py --simulate

bench: $(VENV)/.installed-dev compile
	$(BIN)/python benchmarks/bench_erlang_a.py
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_validate.py
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_fit.py
	$(BIN)/python benchmarks/bench_teams.py
	$(BIN)/python benchmarks/bench_loader.py
	$(BIN)/python benchmarks/bench_memory.py
	$(BIN)/python benchmarks/bench_notebooks.py

# Re-resolve pyproject.toml's ranges in a fresh venv and pin what pip picks today, for
# this Python's minor version (other Pythons keep resolving the ranges). Then `make test`.
LOCK_VENV := .lock-venv
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet -e '.[dev,cluster]'
	marker=$$($(LOCK_VENV)/bin/python -c 'import sys; print("python_version == \"%d.%d\"" % sys.version_info[:2])'); \
	{ sed -n '/^#/!q;p' constraints.txt; \
	  $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable | sed "s/$$/ ; $$marker/"; } > constraints.new
	mv constraints.new constraints.txt && rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) build .compiled *.egg-info
