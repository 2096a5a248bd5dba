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
# pip byte-compiles every file it installs, one at a time, test suites included;
# compileall skips the packages' tests and uses every core. Byte code must be
# written here: where PYTHONDONTWRITEBYTECODE is set, Python would otherwise
# compile every import again in every process, the portal's own modules too.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile -e .
	$(BIN)/python -m compileall -q -j 0 -x '/tests?/' portal games analysis datasets \
		"$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $(RUN_STAMP)

migrate: $(RUN_STAMP)
	$(BIN)/portal db upgrade

# Migrates in the same process: each `portal` process pays for building the app.
demo: $(RUN_STAMP)
	$(BIN)/portal demo load --migrate

run: demo
	PORTAL_RUN_STARTED_AT=$(STARTED_AT) $(BIN)/portal run --host $(HOST) --port $(PORT)

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
