# Development and CI entry points; `make help` lists them. CI runs `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ADDR := 127.0.0.1:8000
# pytest-xdist workers (CI machines have 2 cores); extra pytest arguments, e.g. PYTEST_ARGS='-x tests/booking'.
TEST_WORKERS ?= 2
PYTEST_ARGS ?=
BENCH_ARGS ?=
PYTEST := $(BIN)/pytest -p no:cacheprovider -n $(TEST_WORKERS)

banner = @printf '\n==== %s ====\n\n' '$(1)'

.PHONY: help install chromium migrate demo serve worker lint format test test-sqlite test-postgres bench

help:
	@echo 'make install        create .venv and install the project with its dev dependencies'
	@echo 'make demo           install, migrate, load demo data, serve on http://$(ADDR)/'
	@echo 'make serve          install, migrate, serve on http://$(ADDR)/'
	@echo 'make migrate        apply migrations (DATABASE_URL, default SQLite var/accueil.sqlite3)'
	@echo 'make worker         send SMS and e-mails: db_worker (django-tasks) + notify_worker'
	@echo 'make lint / format  ruff'
	@echo 'make test           lint, then the suite on SQLite and on a throw-away PostgreSQL'
	@echo 'make test-sqlite / test-postgres   one database only'
	@echo 'make bench          benchmarks on a throw-away PostgreSQL'

install: $(VENV)/.installed chromium

# The browser tests drive Debian's chromium (Playwright never downloads a browser here):
# installed when missing and we are root, as scripts/with-postgres.sh installs PostgreSQL.
# Without it the browser tests are skipped, with a message saying so.
CHROMIUM := /usr/bin/chromium
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" -eq 0 ]; then \
			echo "Installing Debian's chromium for the browser tests..."; \
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends chromium >/dev/null; } \
				|| echo "Could not install chromium: the browser tests will be skipped."; \
		else \
			echo "$(CHROMIUM) missing (apt-get install chromium as root): browser tests will be skipped."; \
		fi; \
	fi

# Reinstalled only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[dev]'
	touch $@

migrate: install
	$(BIN)/python manage.py migrate

demo serve: export DEBUG := 1

demo: migrate
	$(BIN)/python manage.py seed_demo
	@echo
	@echo '  Site:      http://$(ADDR)/'
	@echo '  Desk:      http://$(ADDR)/desk/  (logins above, password demo-accueil-2026)'
	@echo '  Code:      after the password, DEBUG=1 $(BIN)/python manage.py otp_code <login>'
	@echo '  API docs:  http://$(ADDR)/api/docs'
	@echo '  Admin:     http://$(ADDR)/admin/'
	@echo
	$(BIN)/python manage.py runserver $(ADDR)

serve: migrate
	$(BIN)/python manage.py runserver $(ADDR)

# The two workers of notifications (docs/decisions/0006): django-tasks' db_worker sends a
# booking's messages right after it commits, notify_worker sends reminders and retries.
# Ctrl-C stops both; several `make worker` may run at once.
worker: migrate
	$(BIN)/python manage.py db_worker --no-reload & pid=$$!; trap 'kill $$pid 2>/dev/null' EXIT; \
	$(BIN)/python manage.py notify_worker

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Sub-makes keep the order (lint, SQLite, PostgreSQL) and stop at the first failure, even with -j.
test: lint
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres

test-sqlite: install
	$(call banner,Test suite on SQLite)
	env -u DATABASE_URL $(PYTEST) $(PYTEST_ARGS)

test-postgres: install
	$(call banner,Test suite on a throw-away PostgreSQL)
	scripts/test-postgres.sh -n $(TEST_WORKERS) $(PYTEST_ARGS)

bench: install
	$(call banner,Benchmarks on a throw-away PostgreSQL)
	scripts/with-postgres.sh $(BIN)/python bench/run.py $(BENCH_ARGS)
	scripts/with-postgres.sh $(BIN)/python bench/reminders.py
	$(BIN)/python bench/secretariat_sim.py
	scripts/with-postgres.sh $(BIN)/python bench/receptionist.py
