# Two commands: `make run` serves the map, `make test` runs the whole suite.
# Both set up what they need first, and do nothing twice.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime
TESTING := $(VENV)/.testing
CATALOGUE := webmap/translations/fr/LC_MESSAGES/messages

.PHONY: run test test-fast lint format catalogue setup lock clean

run: $(RUNTIME)
	$(BIN)/crossmap init-db
	$(BIN)/crossmap demo --if-empty
	$(BIN)/crossmap users ensure-demo-admin
	$(BIN)/crossmap serve

test: $(TESTING)
	$(BIN)/pytest

# The quick loop: everything but the browser tests.
test-fast: $(TESTING)
	$(BIN)/pytest -m "not browser"

lint: $(TESTING)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(TESTING)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The compiled catalogue is committed (a pip-installed crossmap speaks
# French); run this after editing the .po file. A test checks they agree.
catalogue: $(RUNTIME)
	$(BIN)/pybabel compile --use-fuzzy -i $(CATALOGUE).po -o $(CATALOGUE).mo

setup: $(RUNTIME)

# `make run` installs the runtime lock only; `make test` adds the test tools.
$(RUNTIME): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(TESTING): $(RUNTIME) requirements-test.lock
	$(BIN)/python -m pip install --quiet -r requirements-test.lock -c requirements.lock
	touch $@

# Re-pin every dependency after editing requirements.in or requirements-test.in.
lock:
	rm -rf /tmp/crossmap-lock && $(PYTHON) -m venv /tmp/crossmap-lock
	/tmp/crossmap-lock/bin/pip install --quiet -r requirements.in
	/tmp/crossmap-lock/bin/pip freeze --exclude-editable > requirements.lock
	/tmp/crossmap-lock/bin/pip install --quiet -r requirements-test.in -c requirements.lock
	/tmp/crossmap-lock/bin/pip freeze --exclude-editable | grep -vxFf requirements.lock > requirements-test.lock

clean:
	rm -rf $(VENV) build *.egg-info
