# Trustline developer commands. The README's two commands are `make run` and `make test`.
#
# Every target works on a fresh clone: the virtual environment is created with
# Python 3.11 when it is missing, and the project is (re)installed into it only
# when pyproject.toml changed since the last install (a stamp file records it).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.trustline-installed
BIND   ?= 127.0.0.1:8000
# pytest-django creates and drops test_<name> next to this database.
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
# Tests run in one process per core (pytest-xdist), each with its own test database. Not --dist loadfile:
# it runs a file's transactional tests among the others, and a flush then empties the seeded taxonomy for
# the tests after it. PYTEST_ARGS="-p no:xdist": one process.
PYTEST_ARGS ?= -n auto
LINT_PATHS := trustline $(wildcard bench)

.DEFAULT_GOAL := help
.PHONY: help install run test test-sqlite test-postgres lint bench messages clean clean-data

help:
	@echo "make run            install if needed, migrate, load the demo, serve on http://$(BIND) with a worker"
	@echo "make test           ruff, mypy, pytest on SQLite, then on PostgreSQL ($(PG_URL)) when it answers"
	@echo "make test-sqlite    pytest on SQLite only"
	@echo "make test-postgres  pytest on PostgreSQL only"
	@echo "make lint           ruff and mypy"
	@echo "make bench          the intake benchmark (bench/intake/run.py)"
	@echo "make messages       update the translation catalogues and compile them (needs GNU gettext)"
	@echo "make clean          remove the virtual environment and caches (keeps var/: database, evidence)"
	@echo "make clean-data     remove var/ (the SQLite database, uploaded evidence, collected static files)"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 is required (python3.11 not found)" >&2; exit 1; }
	@echo "Creating $(VENV) with $(PYTHON)"
	@$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing Trustline and its development tools into $(VENV) (quietly)"
	@$(BIN)/python -m pip install -qq --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/trustline up --bind $(BIND)

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/mypy trustline

test: lint
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres-if-up

test-sqlite: $(STAMP)
	@echo "== pytest on SQLite =="
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@echo "== pytest on PostgreSQL ($(PG_URL)) =="
	DATABASE_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_ARGS)

# In CI PostgreSQL must be there (.ci/run starts it); on a laptop it is optional.
.PHONY: test-postgres-if-up
test-postgres-if-up: $(STAMP)
	@if pg_isready -q -h $(PG_HOST) -p $(PG_PORT) 2>/dev/null; then \
		$(MAKE) --no-print-directory test-postgres; \
	elif [ "$${CI:-}" = "true" ]; then \
		echo "PostgreSQL does not answer on $(PG_HOST):$(PG_PORT) and CI=true: failing." >&2; exit 1; \
	else \
		echo; \
		echo "************************************************************************"; \
		echo "* PostgreSQL SKIPPED: nothing answers on $(PG_HOST):$(PG_PORT) (pg_isready)."; \
		echo "* Only the SQLite run above counted. Start PostgreSQL and run"; \
		echo "*   make test-postgres PG_URL=postgres://USER@HOST:PORT/DB"; \
		echo "************************************************************************"; \
	fi

bench: $(STAMP)
	$(BIN)/python bench/intake/run.py

# The .po files are translated by hand; the compiled .mo files are committed, so `make run` needs no gettext.
messages: $(STAMP)
	cd trustline && ../$(BIN)/trustline makemessages -l ar -l fr -l es --ignore '*/tests/*' --no-obsolete
	cd trustline && ../$(BIN)/trustline compilemessages

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist *.egg-info
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +

clean-data:
	rm -rf var
