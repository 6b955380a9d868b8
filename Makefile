# Yimi: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export YIMI_DATABASE_URL ?= sqlite://var/yimi.sqlite3

.PHONY: bench run test test-python test-frontend install frontend migrate demo schema schema-check serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

frontend/node_modules/.package-lock.json: frontend/package-lock.json
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

test-frontend: frontend
	cd frontend && npm run typecheck && npm test

test-python: install
	$(BIN)/pytest

test: test-frontend test-python

clean:
	rm -rf $(VENV) var frontend/node_modules frontend/dist

bench: install frontend
	$(BIN)/python tests/perf/bench_api.py
	$(BIN)/python tests/perf/bench_map.py
