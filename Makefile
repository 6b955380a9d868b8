# Yimi: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs every test.
# The first Python 3.11–3.13 on PATH, unless PYTHON=... is given.
PYTHON ?= $(shell for p in python3.11 python3.12 python3.13 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
export YIMI_DATABASE_URL ?= sqlite://var/yimi.sqlite3

.PHONY: bench run test test-python test-frontend lint install install-dev check-venv frontend migrate demo schema serve clean

PYTHON_OK := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "Yimi needs Python 3.11, 3.12 or 3.13 and none was found on PATH" \
			"(Debian/Ubuntu: apt-get install python3 python3-venv; or run make PYTHON=/path/to/python3.x)." >&2; \
		exit 1; fi
	@$(PYTHON) -c '$(PYTHON_OK)' 2>/dev/null || { \
		echo "$(PYTHON) is not Python 3.11, 3.12 or 3.13: Yimi needs one of those." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# A .venv made by another interpreter (an older `make PYTHON=...`) cannot be repaired in place.
check-venv: | $(BIN)/python
	@$(BIN)/python -c '$(PYTHON_OK)' || { \
		echo "$(VENV) was made with $$($(BIN)/python --version); remove it (rm -rf $(VENV)) and run make again." >&2; \
		exit 1; }

# The app alone for `make run`; the test and lint tools only for `make test`.
$(VENV)/.installed: pyproject.toml | check-venv
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | check-venv
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "Building the web app needs Node.js 20.19+ with npm, and npm was not found on PATH" \
			"(Debian/Ubuntu: apt-get install nodejs npm, or see https://nodejs.org)." >&2; exit 1; }
	cd frontend && npm ci --no-audit --no-fund

frontend: frontend/node_modules/.package-lock.json
	cd frontend && npm run build

migrate: install
	$(BIN)/yimi migrate

# staff003 is the demo's first dispatcher: a fresh password is printed each time.
demo: migrate
	$(BIN)/yimi demo --login staff003

serve: install
	$(BIN)/yimi serve

run: install frontend demo serve

schema: install
	$(BIN)/strawberry export-schema yimi.graphql.schema:schema --app-dir backend --output schema.graphql

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# `frontend` has generated the GraphQL types from schema.graphql (a schema change that breaks a
# query fails there or in the type check) and printed the staff app's gzipped JavaScript size.
test-frontend: frontend
	cd frontend && npm run lint && npm run typecheck && npm test

# Every test on SQLite and, at the same time, every database test again on PostgreSQL (127.0.0.1:5432,
# or YIMI_TEST_POSTGRES_URL; .ci/run starts it): tests/conftest.py leaves the tests that use no
# database out of the second pass. The browser tests are among them: they drive the web app
# against a SQLite server of their own, and the API they call is checked on both databases.
# Side by side the two passes take 11 minutes on two cores instead of 17; the PostgreSQL pass's
# output follows the SQLite pass's, and either failing fails the target.
test-python: install-dev
	@tmp=$$(mktemp -d); \
	YIMI_TEST_DATABASE=postgres $(BIN)/pytest --basetemp=$$tmp/postgres > $$tmp/postgres.log 2>&1 & pg=$$!; \
	$(BIN)/pytest --basetemp=$$tmp/sqlite; sqlite=$$?; \
	wait $$pg; postgres=$$?; \
	echo; echo "=== the PostgreSQL pass (YIMI_TEST_DATABASE=postgres) ==="; cat $$tmp/postgres.log; \
	rm -rf $$tmp; \
	if [ $$sqlite -ne 0 ] || [ $$postgres -ne 0 ]; then \
		echo "make test-python: SQLite pass exit $$sqlite, PostgreSQL pass exit $$postgres" >&2; exit 1; fi

test: lint test-frontend test-python

# Build output only: the database in var/ is data, never removed by make.
clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist

# The load generator (autocannon) and the PostGraphile baseline, pinned in tests/perf/package-lock.json.
tests/perf/node_modules/.package-lock.json: tests/perf/package-lock.json
	cd tests/perf && npm ci --no-audit --no-fund

# The province's data is generated once (minutes) and cached under var/bench/ and in PostgreSQL
# (yimi_bench_*); `make bench BENCH_SCALE=county` runs the same benchmarks on the small demo.
BENCH_SCALE ?= province

# Every benchmark runs even when one before it fails or is over its budget; make bench then fails, naming them.
BENCHMARKS = "bench_api.py --scale $(BENCH_SCALE)" "bench_load.py --scale $(BENCH_SCALE)" bench_map.py bench_stats.py bench_cache.py bench_import.py

bench: install-dev frontend tests/perf/node_modules/.package-lock.json
	$(BIN)/python tests/perf/benchdata.py --scale $(BENCH_SCALE)
	@failed=""; for bench in $(BENCHMARKS); do \
		echo "$(BIN)/python tests/perf/$$bench"; \
		$(BIN)/python tests/perf/$$bench || failed="$$failed $$bench;"; \
	done; \
	if [ -n "$$failed" ]; then echo "make bench: failed or over budget:$$failed" >&2; exit 1; fi
