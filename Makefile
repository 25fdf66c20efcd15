# medcredit — `make run` serves the demo, `make test` runs ruff, the import contract, mypy and pytest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install install-dev run test lint typecheck lock clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "medcredit needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

# The test tools. FollowTheMoney (which validates the ftm snapshot) needs PyICU, built from
# source against the ICU headers (Debian: libicu-dev pkg-config g++); without them the rest is
# installed and that one test is skipped, unless MEDCREDIT_REQUIRE_ALL_TESTS=1 (CI) fails it.
install-dev: $(VENV)/.dev-installed

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.lock
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock \
	  || { echo "PyICU could not be built: installing the test tools without FollowTheMoney" >&2; \
	       grep -v -i -E '^(pyicu|followthemoney|rigour|normality)==' requirements-dev.lock > $(VENV)/dev-without-icu.txt; \
	       $(BIN)/python -m pip install --quiet -r $(VENV)/dev-without-icu.txt; }
	@touch $@

run: install
	$(BIN)/medcredit db upgrade
	$(BIN)/medcredit demo --if-empty
	$(BIN)/medcredit serve --host 127.0.0.1 --port 8000

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install-dev
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest -n 2

# Re-pin every dependency after changing pyproject.toml: what the service runs with, then that
# plus the test tools.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet -e .
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^medcredit' > requirements.lock
	.lock-venv/bin/pip install --quiet -e '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^medcredit' > requirements-dev.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
