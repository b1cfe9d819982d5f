# Maillage: `make run` serves the app, `make test` runs every test. Both set up what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
FLASK := FLASK_APP=wsgi.py $(VENV)/bin/flask
VENDOR := app/static/vendor
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint setup deps dev-deps assets translations db demo chromium bench clean

run: setup db
	@echo "Maillage on http://$(HOST):$(PORT)/"
	MAILLAGE_HOST=$(HOST) MAILLAGE_PORT=$(PORT) $(VENV)/bin/gunicorn wsgi:app

test: setup dev-deps chromium lint
	$(PY) -m pytest

lint: dev-deps
	$(VENV)/bin/ruff check .

setup: deps assets translations

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.deps: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

deps: $(VENV)/.deps

$(VENV)/.dev-deps: requirements-dev.txt $(VENV)/.deps
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

dev-deps: $(VENV)/.dev-deps

# Front-end packages: pinned in package.json/package-lock.json, copied into app/static/vendor/.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

$(VENDOR)/.stamp: node_modules/.package-lock.json
	node -e 'const p=require("./package.json"),fs=require("fs");fs.mkdirSync("$(VENDOR)",{recursive:true});for(const[s,d]of Object.entries(p.maillageVendor))fs.copyFileSync("node_modules/"+s,"$(VENDOR)/"+d)'
	touch $@

assets: $(VENDOR)/.stamp

translations: deps
	$(VENV)/bin/pybabel compile -f -d app/translations

# Migrate, refresh the territory and the canonical skills (idempotent), and load demo data on the first run only.
db: deps
	$(FLASK) db upgrade
	$(FLASK) territory load
	$(FLASK) skills load
	@if [ ! -f instance/.demo-loaded ]; then $(FLASK) demo && touch instance/.demo-loaded; fi

demo: deps
	$(FLASK) demo

# Browser tests use Debian's chromium (no browser download is possible or wanted).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium is missing: browser tests will be skipped (run 'sudo apt-get install chromium')"; fi; \
	fi

bench: setup dev-deps
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk || true; }
	$(PY) bench/pages.py
	$(PY) bench/clusters.py
	$(PY) bench/search.py
	$(PY) bench/chat.py
	$(PY) bench/sirene.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR)
