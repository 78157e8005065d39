# Two commands: `make run` serves the map, `make test` runs the whole suite.
# `make test-postgres` runs the database-dependent tests again on a throw-away
# PostgreSQL/PostGIS cluster (Debian's postgresql and postgis packages).
# Both set up what they need first, and do nothing twice.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard webmap/translations/*/LC_MESSAGES/messages.po))

.PHONY: run test test-postgres setup lock clean

run: setup
	$(BIN)/crossmap init-db
	$(BIN)/crossmap demo --if-empty
	$(BIN)/crossmap users ensure-demo-admin
	$(BIN)/crossmap serve

test: setup
	$(BIN)/pytest

PG_DIR ?= /tmp/crossmap-test-pg
PG_PORT ?= 54329

# tests/webmap holds every test that touches a database (analysis and geo do
# not); the browser tests drive the same code paths and stay on SQLite.
test-postgres: setup
	url=$$(.ci/pg-cluster start $(PG_DIR) $(PG_PORT)) && \
	CROSSMAP_TEST_DATABASE_URL=$$url $(BIN)/pytest -m "not browser" tests/webmap; \
	status=$$?; .ci/pg-cluster stop $(PG_DIR); exit $$status

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
