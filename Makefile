# trialkit: the two set-up commands are `make run` and `make test`; both work from a fresh clone
# on a machine with only Python 3.11 (they create .venv and install the locked dependencies).
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=
# Two workers (pytest-xdist), each with its own test database. --dist loadgroup sends each test to
# whichever worker is free, except that the tests of a module sharing a module-scoped fixture (the
# demo trial the page tests build once per protocol, a synthetic cohort) stay on one worker
# (tests/conftest.py marks them). `make test PYTEST_WORKERS=0` runs in one process.
PYTEST_WORKERS ?= 2
PARALLEL := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadgroup)
# The database tests run a second time on PostgreSQL when a server is reachable (CI starts one),
# each on one protocol that has what it needs (--one-protocol, docs/adr/0017): the SQLite pass
# has run them on every protocol; this pass is about the database engine.
PG_URL ?= postgresql://postgres@127.0.0.1:5432/trialkit

.PHONY: setup run test check bench lock clean messages

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check "$$(grep -E '^uv==' requirements.lock)"
	$(BIN)/uv pip install --python $(BIN)/python -q -r requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python -q --no-deps -e .
	@rm -f $(VENV)/.installed-*; touch $@

run: setup
	$(BIN)/trialkit protocol validate protocols/nct05532943.yaml
	$(BIN)/trialkit web demo --reset --protocol protocols/nct05532943.yaml && $(BIN)/trialkit web serve

# Each pass deselects the other database's own tests (markers `postgres`, `sqlite`), so a pass
# on a machine with every component installed skips nothing.
test: setup
	$(BIN)/pytest $(PARALLEL) --durations=30 -m "not postgres" $(PYTEST_ARGS)
	@if $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_URL)'.rsplit('/', 1)[0] + '/postgres', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== database tests again on PostgreSQL ($(PG_URL))"; \
	  DATABASE_URL=$(PG_URL) $(BIN)/pytest $(PARALLEL) --durations=30 -m "not sqlite" --one-protocol tests/integration tests/functional $(PYTEST_ARGS); \
	else echo "== PostgreSQL not reachable at $(PG_URL): its own tests (marker postgres) did not run"; fi

check: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/mypy --strict src/trialkit/core
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python benchmarks/run_all.py

# Re-resolve the lock file after changing dependencies in pyproject.toml.
lock: setup
	$(BIN)/uv pip compile --python-version 3.11 pyproject.toml --extra dev --extra spark -o requirements.lock -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

# Extract the interface's marked strings into the Traditional Chinese catalogue (keeping its
# translations) and compile it; needs GNU gettext (docs/how-to/translate.md).
messages: setup
	cd src/trialkit && env -u DJANGO_SETTINGS_MODULE $(CURDIR)/$(BIN)/django-admin makemessages \
	  -l zh_Hant --no-location --no-obsolete --no-wrap
	cd src/trialkit && env -u DJANGO_SETTINGS_MODULE $(CURDIR)/$(BIN)/django-admin compilemessages -l zh_Hant
