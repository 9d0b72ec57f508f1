# Lianxiang: `make run` serves the demo, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app booking
PORT ?= 5000
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

TRANSLATIONS := booking/translations
CATALOGS := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)

.PHONY: run install db test test-pg test-e2e fuzz screenshots clean translations-extract translations-update bench-data bench-reports

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the project's dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed $(CATALOGS:.po=.mo)

# Compiled catalogues are built, not committed.
$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@

# After changing user-facing strings: extract them, then merge them into every catalogue.
translations-extract: install
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _l -k lazy_gettext -k N_ \
		-o $(TRANSLATIONS)/messages.pot .

translations-update: translations-extract
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)

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

# The browser journeys only (Playwright driving /usr/bin/chromium). `make test` runs them too, and
# skips them where Chromium or Playwright is missing; here that is a failure (REQUIRE_BROWSER=0 skips).
REQUIRE_BROWSER ?= 1
test-e2e: install
	LIANXIANG_REQUIRE_BROWSER=$(REQUIRE_BROWSER) $(BIN)/pytest tests/e2e

# A longer fuzz run of the API than the suite's (tests/api/test_fuzz.py): every phase for both accounts,
# FUZZ_EXAMPLES generated requests per operation, random from FUZZ_SEED (a new one each run unless given;
# a failure prints it, and FUZZ_SEED=<it> replays the run).
FUZZ_EXAMPLES ?= 200
FUZZ_SEED ?= $(shell date +%s)
fuzz: install
	FUZZ_THOROUGH=1 FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SEED=$(FUZZ_SEED) $(BIN)/pytest tests/api/test_fuzz.py

# The main screens on a desktop and a phone, in Chinese and English, from a fresh demo: screenshots/.
screenshots: install
	$(BIN)/python tools/screenshots.py --out screenshots

# Benchmarks: a county-scale SQLite database (generated once, a few minutes), then the report timings.
# BENCH_PG_URL=postgresql://postgres@127.0.0.1:5432/bench also times a PostgreSQL database filled the same way.
BENCH_DB := instance/bench.sqlite
BENCH_BOOKINGS ?= 1500000
BENCH_RUNS ?= 5

bench-data: $(BENCH_DB)

$(BENCH_DB): | install
	rm -f $@.partial $@.partial-wal $@.partial-shm
	DATABASE_URL=sqlite:///$(CURDIR)/$@.partial $(FLASK) db upgrade
	DATABASE_URL=sqlite:///$(CURDIR)/$@.partial $(FLASK) generate-load --bookings $(BENCH_BOOKINGS)
	DATABASE_URL=sqlite:///$(CURDIR)/$@.partial $(FLASK) report-months
	rm -f $@.partial-wal $@.partial-shm
	mv $@.partial $@

bench-reports: bench-data
	DATABASE_URL=sqlite:///$(CURDIR)/$(BENCH_DB) $(BIN)/python bench/reports.py --runs $(BENCH_RUNS)
	@if [ -n "$(BENCH_PG_URL)" ]; then \
		echo; DATABASE_URL=$(BENCH_PG_URL) $(BIN)/python bench/reports.py --runs $(BENCH_RUNS); fi

# Every benchmark: the reports, the pages (server time and SQL queries) and booking requests per second through
# gunicorn under wrk (apt-get install wrk), each against its floor; on PostgreSQL too when BENCH_PG_URL is set,
# with the query plans of the hot pages (bench-explain).
BENCH_DURATION ?= 10
.PHONY: bench
bench: bench-reports
	DATABASE_URL=sqlite:///$(CURDIR)/$(BENCH_DB) $(BIN)/python bench/pages.py --runs $(BENCH_RUNS)
	@echo
	DATABASE_URL=sqlite:///$(CURDIR)/$(BENCH_DB) $(BIN)/python bench/http_load.py --duration $(BENCH_DURATION)
	@if [ -n "$(BENCH_PG_URL)" ]; then \
		echo; DATABASE_URL=$(BENCH_PG_URL) $(BIN)/python bench/pages.py --runs $(BENCH_RUNS) && \
		echo && DATABASE_URL=$(BENCH_PG_URL) $(BIN)/python bench/http_load.py --duration $(BENCH_DURATION) && \
		echo && DATABASE_URL=$(BENCH_PG_URL) $(BIN)/python bench/explain.py; fi

# The query plans of the hot pages' SQL (EXPLAIN ANALYZE, rolled back): fails on a Seq Scan of a large table,
# a statement reading more than 20,000 rows of one or running longer than 50 ms. PostgreSQL when BENCH_PG_URL
# is set, else the SQLite bench database (EXPLAIN QUERY PLAN).
.PHONY: bench-explain
bench-explain: bench-data
	DATABASE_URL=$(or $(BENCH_PG_URL),sqlite:///$(CURDIR)/$(BENCH_DB)) $(BIN)/python bench/explain.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
