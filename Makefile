# Two commands: `make run` serves the map, `make test` runs the whole suite.
# Both set up what they need first, and do nothing twice.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard webmap/translations/*/LC_MESSAGES/messages.po))

.PHONY: run test setup lock clean

run: setup
	$(BIN)/crossmap init-db
	$(BIN)/crossmap demo --if-empty
	$(BIN)/crossmap users ensure-demo-admin
	$(BIN)/crossmap serve

test: setup
	$(BIN)/pytest

setup: $(INSTALLED) $(CATALOGUES)

$(INSTALLED): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

%.mo: %.po $(INSTALLED)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

# Re-pin every dependency after editing requirements.in.
lock:
	rm -rf /tmp/crossmap-lock && $(PYTHON) -m venv /tmp/crossmap-lock
	/tmp/crossmap-lock/bin/pip install --quiet -r requirements.in
	/tmp/crossmap-lock/bin/pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf $(VENV) build *.egg-info
