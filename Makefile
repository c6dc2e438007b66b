# Lucheng Care — the two commands a newcomer needs:
#   make run    set everything up and start the platform with demo data (SQLite, tasks in-process)
#   make test   run the whole test suite (PostgreSQL and Redis, see README)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# pytest-xdist processes; 0 runs the suite in this one process.
PYTEST_WORKERS ?= 2

.PHONY: run install test lint check bench-api bench-filings bench-push bench-import bench-load bench-load-smoke

run: install
	$(BIN)/python manage.py demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

test: install
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

check: install
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

bench-api: install  ## the institutions API against a raw-SQL view on 100,000 institutions (PostgreSQL)
	$(BIN)/python bench/institutions_api.py

bench-filings: install  ## the filing review queue and the portal workbench over 10,000 filings against 100 (PostgreSQL)
	$(BIN)/python bench/filings.py

BENCH_REDIS_URL ?= redis://127.0.0.1:6379/12
bench-push: install  ## 10,000 registrations through a real Celery worker to a loopback receiver
	REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/python bench/push_registrations.py $(BENCH_ARGS)

BENCH_IMPORT_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/lucheng_bench_import
BENCH_IMPORT_REDIS_URL ?= redis://127.0.0.1:6379/11
bench-import: install  ## a 5,000-row registration workbook through the admin's import and a real Celery worker
	DATABASE_URL=$(BENCH_IMPORT_DATABASE_URL) REDIS_URL=$(BENCH_IMPORT_REDIS_URL) $(BIN)/python bench/import_registrations.py $(BENCH_ARGS)

BENCH_LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/lucheng_bench_load
BENCH_LOAD_SMOKE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/lucheng_bench_load_smoke
BENCH_LOAD_REDIS_URL ?= redis://127.0.0.1:6379/13
bench-load: install  ## gunicorn with the production settings under Locust at 5, 10, 20, 40 requests/s, 60 s each
	DATABASE_URL=$(BENCH_LOAD_DATABASE_URL) REDIS_URL=$(BENCH_LOAD_REDIS_URL) $(BIN)/python bench/load/run.py $(BENCH_ARGS)

bench-load-smoke: install  ## the same path in about 40 s (2,000 institutions, 8 users, 3 s per rate); fails on any 5xx (CI)
	DATABASE_URL=$(BENCH_LOAD_SMOKE_DATABASE_URL) REDIS_URL=$(BENCH_LOAD_REDIS_URL) $(BIN)/python bench/load/run.py --smoke $(BENCH_ARGS)
