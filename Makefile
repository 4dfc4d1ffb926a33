# The two commands: `make run` and `make test`. Everything else is a step they take.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install bench services lint audit clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools  # the venv's own setuptools is old (known advisories)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)
	$(BIN)/python -m shared.i18n  # translations .po -> .mo when new or changed: start-up only reads them

## Every service in one process, SQLite and an embedded bus, demo data: http://127.0.0.1:8000
run: install
	$(BIN)/python -m gateway run

## The whole test suite (REQUIRE_SERVICES=1 makes RabbitMQ/PostgreSQL tests fail, not skip, when down):
## in TEST_WORKERS parallel processes, then alone the tests that stop the broker or the database
TEST_WORKERS ?= 2
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal -m "not serial" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m serial $(PYTEST_ARGS)

## Local-services mode: each service as its own processes against local RabbitMQ and PostgreSQL
services: install
	$(BIN)/python -m gateway.local

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check .

## Known vulnerabilities in the installed packages, and bandit over our code (docs/SECURITY.md)
audit: install
	$(BIN)/pip-audit --skip-editable --progress-spinner off
	$(BIN)/python .ci/advisories.py  # where pip-audit's per-release API is not served (docs/SECURITY.md)
	$(BIN)/bandit -q -r shared services gateway -c pyproject.toml

clean:
	rm -rf var .pytest_cache
