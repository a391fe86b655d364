# Awda: developer tasks. Everything runs from the project's own virtualenv in .venv,
# which `make install` creates on a fresh clone.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
PIP    := $(BIN)/pip
RUFF   := $(BIN)/ruff
MYPY   := $(BIN)/mypy
AWDA   := $(BIN)/awda
STAMP  := $(VENV)/.installed

.PHONY: install lint test demo bench bench-identity bench-import bench-load messages clean

# The stamp is newer than pyproject.toml once the dependencies are installed, so a re-run
# does nothing; editing pyproject.toml (or deleting .venv) reinstalls.
install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --disable-pip-version-check -q -e '.[dev]'
	@touch $@

lint: install
	$(RUFF) check .
	$(RUFF) format --check .
	@# django-stubs imports the settings, which need a key; mypy signs nothing.
	SECRET_KEY=$${SECRET_KEY:-mypy-only-throwaway-not-a-secret-0123456789} DEBUG=1 $(MYPY) awda

# Both need the compiled catalogues (.mo), which a fresh clone does not have.
test: install messages
	scripts/run-tests

demo: install messages
	scripts/demo

# Page weight, name search, the return pipeline, the dashboard and backups (bench/*.py).
bench: install
	$(PY) bench/page_weight.py
	$(PY) bench/search.py
	$(PY) bench/returns.py
	$(PY) bench/dashboard.py
	$(PY) bench/backup.py

# A 50,000-row registration list through the import's dry run and commit, and 1,000,000
# people exported as CSV with flat memory (bench/import_list.py, bench/export.py).
bench-import: install
	$(PY) bench/import_list.py
	$(PY) bench/export.py

# Identity resolution against the generic Splink configuration (bench/identity.py).
bench-identity: install
	$(PY) bench/translit.py
	$(PY) bench/identity.py

# 50 users for 5 minutes against PostgreSQL behind gunicorn on loopback (bench/load.sh);
# BENCH_LOAD_USERS=20 BENCH_LOAD_SECONDS=30 for a quick try.
bench-load: install messages
	bench/load.sh

# compilemessages loads the settings, which need a SECRET_KEY; nothing is signed here,
# so a fixed throwaway value will do.
messages: install
	cd awda && env -u SECRET_KEY_FILE \
		SECRET_KEY=compilemessages-only-throwaway-not-a-secret-0123456789 \
		DEBUG=1 AWDA_VAR_DIR="$(CURDIR)/var" \
		../$(AWDA) compilemessages

clean:
	rm -rf var .pytest_cache .hypothesis .mypy_cache .ruff_cache test-results playwright-report
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
