# The README's two commands: `make run` and `make test`. Both set everything up
# on a fresh machine and are quick when it is already done.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup bench clean

setup: $(STAMP)

# Reinstall only when the declared dependencies or their pins change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: setup
	$(BIN)/overture demo

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/engine_throughput.py

clean:
	rm -rf $(VENV) var .pytest_cache
