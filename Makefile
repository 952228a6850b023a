# Hydra portal: `make demo` serves the portal with demo data, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= test
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
comma := ,
STAMP := $(VENV)/.installed-$(subst $(comma),_,$(EXTRAS))

.PHONY: demo test install lint format bench-ingest clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

install: $(STAMP)

# The demo runs as production does (DEBUG off, the portal's own error pages, static files collected
# and served by whitenoise) but over plain HTTP on this machine, with a secret key kept under var/.
demo: export HYDRA_SECRET_KEY = $(shell cat var/secret_key 2>/dev/null)
demo: export HYDRA_SSL_REDIRECT = false
demo: export HYDRA_SECURE_COOKIES = false

var/secret_key:
	@mkdir -p var
	@$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

demo: install var/secret_key
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo --if-empty --train-in-background
	@echo ""
	@echo "  Hydra portal: http://$(HOST):$(PORT)/   (log in as demo / demo-password)"
	@echo ""
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	HYDRA_DEBUG=true $(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench-ingest: install
	$(PY) bench/ingest_rate.py

clean:
	rm -rf var .pytest_cache
