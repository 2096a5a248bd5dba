# The two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
HOST ?= 127.0.0.1
PORT ?= 5000
# When make began, so `portal run` can say how long the first run took to a page.
# Read only for `make run`: every other target would pay for a Python start-up.
ifneq ($(filter run,$(MAKECMDGOALS)),)
STARTED_AT := $(shell $(PYTHON) -c 'import time; print(time.time())')
endif

.PHONY: run test migrate demo lint format bench clean

# The pip that venv bundles installs editable projects (PEP 660); upgrading it
# would only cost time.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever the project's metadata changes. Running needs only the
# portal's own dependencies; the test and lint tools come with `make test`.
# Nothing is byte-compiled here: compiling every installed file (pip's default,
# or compileall) took about 27 s of CPU, mostly for modules the portal never imports.
# The portal's processes below write the byte code of what they import instead,
# even where PYTHONDONTWRITEBYTECODE is set, so the next process reads it.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $(RUN_STAMP)

# An empty PYTHONDONTWRITEBYTECODE is unset for Python: see $(RUN_STAMP).
WRITE_BYTECODE := PYTHONDONTWRITEBYTECODE=

migrate: $(RUN_STAMP)
	$(WRITE_BYTECODE) $(BIN)/portal db upgrade

# Migrates in the same process: each `portal` process pays for building the app.
demo: $(RUN_STAMP)
	$(WRITE_BYTECODE) $(BIN)/portal demo load --migrate

run: demo
	$(WRITE_BYTECODE) PORTAL_RUN_STARTED_AT=$(STARTED_AT) $(BIN)/portal run --host $(HOST) --port $(PORT)

# Lint and types first: a suite that passes on code that does not lint is not green.
test: lint
	bash scripts/run-tests.sh

# What CI checks before the suite; the pre-commit hook runs the same on each commit.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Rewrite the tree the way `make lint` wants it.
format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) instance .pytest_cache
