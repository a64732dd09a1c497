# The README's two commands: `make run` and `make test`. Both set everything up
# on a fresh machine and are quick when it is already done. `make test` lints first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint lint-python lint-frontend setup frontend bench clean lock

setup: $(STAMP) frontend

# Reinstall only when the declared dependencies or their pins change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# The front end: npm packages from the lock file, then a Vite build into
# builder/static/app whenever a source changed (`npm ci` rewrites the stamp file).
NODE_STAMP := node_modules/.package-lock.json
FRONTEND_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html frontend/vite.config.ts \
	frontend/tsconfig.json frontend/tsconfig.node.json frontend/package.json package-lock.json
APP_BUILD := builder/static/app/index.html

$(NODE_STAMP): package.json package-lock.json frontend/package.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(APP_BUILD): $(NODE_STAMP) $(FRONTEND_SOURCES)
	npm run build --silent

frontend: $(APP_BUILD)

# The product on http://$(HOST):$(PORT) with demo people, records and runs (seeding is
# idempotent: a second `make run` keeps what the first made, and what you did since).
HOST ?= 127.0.0.1
PORT ?= 5000

run: setup
	$(BIN)/overture seed --demo
	@echo "Sign in at http://$(HOST):$(PORT)/login as one of the people above."
	$(BIN)/overture serve --host $(HOST) --port $(PORT)

# PostgreSQL-backed tests run against 127.0.0.1:5432 (started or installed if absent).
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/overture_test

# Static checks; `make test` runs them first.
# Python: ruff (lint, then the format check) and mypy (strict on runtime/ and builder/,
# lighter on tests/; a second run reuses .mypy_cache), all configured in pyproject.toml.
# Front end: ESLint, then Prettier's check (frontend/eslint.config.js, frontend/.prettierrc.json).
lint: lint-python lint-frontend

lint-python: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

lint-frontend: $(NODE_STAMP)
	npm run lint --silent

test: setup lint
	scripts/ensure-postgres
	npm test --silent
	OVERTURE_TEST_DATABASE_URL=$${OVERTURE_TEST_DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/python -m pytest
	scripts/ensure-chromium
	$(BIN)/python -m pytest e2e

lock: setup
	(echo "# Lock file: exact versions of every installed package (regenerate with make lock)."; \
	 $(BIN)/python -m pip freeze --exclude-editable | sort -f) > constraints.txt

# The benchmarks compare with SpiffWorkflow: an extra that the product never needs.
$(VENV)/.bench-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	touch $@

bench: $(VENV)/.bench-installed
	scripts/ensure-postgres
	$(BIN)/python bench/engine_throughput.py
	$(BIN)/python bench/memory_waiting_runs.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache node_modules frontend/node_modules builder/static/app
