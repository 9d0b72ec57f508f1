# Lianxiang: `make run` serves the demo, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app booking
PORT ?= 5000
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run install db test test-pg clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the project's dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

db: install
	$(FLASK) db upgrade
	$(FLASK) load-demo --if-empty

run: db
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/pytest

# The whole suite against PostgreSQL (the database is emptied and migrated).
test-pg: install
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
