# Conjunction: `make run` starts the app on a bare machine; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev browser messages lint serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt

# The French catalogue is compiled from locale/fr/LC_MESSAGES/django.po (msgfmt, from Debian's gettext).
messages:
	@command -v msgfmt >/dev/null || { if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; \
	else echo "gettext is missing: run 'sudo apt-get install -y gettext'."; exit 1; fi; }
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv -v 0

run: install messages
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py load_library
	DJANGO_DEBUG=1 $(BIN)/python manage.py demo
	@echo ""
	@echo "Conjunction is starting on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@echo ""
	DJANGO_DEBUG=1 $(BIN)/python -m config.serve -b $(HOST) -p $(PORT)

# Chromium for the browser tests comes from Debian (Playwright's own download cannot work here).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "Chromium is missing: run 'sudo apt-get install -y chromium' (browser tests need /usr/bin/chromium)."; exit 1; fi

test: install-dev browser messages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm test-db-*.sqlite3* staticfiles
