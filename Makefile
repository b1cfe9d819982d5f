# Maillage: `make run` serves the app, `make test` runs every test. Both set up what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
FLASK := FLASK_APP=wsgi.py $(VENV)/bin/flask
VENDOR := app/static/vendor
# Python's default, whatever the environment says: write compiled modules (.pyc, in __pycache__/).
# With PYTHONDONTWRITEBYTECODE set, as on some CI machines, every test process, server and
# command compiled the project's modules again, and pytest rewrote every test module's
# asserts again in each worker: about a tenth of the suite's CPU.
unexport PYTHONDONTWRITEBYTECODE
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run run-scale test test-postgres services lint setup deps dev-deps bench-deps assets translations db demo chromium pdf-libs report-tools bench clean

# Scale-out (README, Production): PostgreSQL and Redis, here the ones on this machine.
POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/maillage
POSTGRES_ADMIN_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
REDIS_URL ?= redis://127.0.0.1:6379/0
WORKERS ?= 2

run: setup db
	@echo "Maillage on http://$(HOST):$(PORT)/"
	MAILLAGE_HOST=$(HOST) MAILLAGE_PORT=$(PORT) $(VENV)/bin/gunicorn wsgi:app

test: setup dev-deps chromium report-tools lint
	$(PY) -m pytest
	@$(MAKE) --no-print-directory test-postgres

# The whole suite again on PostgreSQL (one database per test), with the cross-process tests
# on Redis; skipped with the reason printed when the services cannot be reached.
test-postgres: setup dev-deps services
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  MAILLAGE_TEST_POSTGRES=$(POSTGRES_ADMIN_URL) $(PY) -m pytest; \
	else echo "SKIPPED: the suite on PostgreSQL (no PostgreSQL on 127.0.0.1:5432)"; fi

# Start PostgreSQL and Redis when they are installed here but stopped (CI starts them so).
services:
	@if command -v pg_ctlcluster >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true; fi
	@if command -v redis-server >/dev/null && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then \
	  mkdir -p /var/lib/redis /var/log/redis; \
	  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
	    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true; fi

# Two gevent workers on PostgreSQL with Redis as the Socket.IO queue and rate-limit store.
run-scale: setup services
	@psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname = 'maillage'" | grep -q 1 \
	  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE maillage"
	MAILLAGE_DATABASE_URL=$(POSTGRES_URL) $(FLASK) db upgrade
	MAILLAGE_DATABASE_URL=$(POSTGRES_URL) $(FLASK) territory load
	MAILLAGE_DATABASE_URL=$(POSTGRES_URL) $(FLASK) skills load
	@if [ ! -f instance/.demo-loaded-postgres ]; then MAILLAGE_DATABASE_URL=$(POSTGRES_URL) $(FLASK) demo && touch instance/.demo-loaded-postgres; fi
	@echo "Maillage on http://$(HOST):$(PORT)/ ($(WORKERS) workers, PostgreSQL, Redis)"
	MAILLAGE_DATABASE_URL=$(POSTGRES_URL) MAILLAGE_SOCKETIO_MESSAGE_QUEUE=$(REDIS_URL) \
	  MAILLAGE_WORKERS=$(WORKERS) MAILLAGE_HOST=$(HOST) MAILLAGE_PORT=$(PORT) $(VENV)/bin/gunicorn wsgi:app

lint: dev-deps
	$(VENV)/bin/ruff check .

setup: deps pdf-libs assets translations

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Python packages through uv (pinned here; from PyPI like pip): a fresh venv's packages in a few
# seconds where pip took 33 s on 2 cores, most of it compiling every installed module (uv does
# not: Python compiles what is imported, once). pip does the same job where uv cannot be had.
UV_VERSION := 0.13.9
$(VENV)/bin/uv: | $(VENV)/bin/python
	-$(PY) -m pip install --disable-pip-version-check -q uv==$(UV_VERSION)

define pip_install
	if [ -x $(VENV)/bin/uv ]; then $(VENV)/bin/uv pip install -q --python $(PY) -r $(1); \
	else $(PY) -m pip install --disable-pip-version-check -q -r $(1); fi
endef

$(VENV)/.deps: requirements.txt | $(VENV)/bin/uv
	@$(call pip_install,requirements.txt)
	touch $@

deps: $(VENV)/.deps

$(VENV)/.dev-deps: requirements-dev.txt $(VENV)/.deps
	@$(call pip_install,requirements-dev.txt)
	touch $@

dev-deps: $(VENV)/.dev-deps

$(VENV)/.bench-deps: requirements-bench.txt $(VENV)/.dev-deps
	@$(call pip_install,requirements-bench.txt)
	touch $@

bench-deps: $(VENV)/.bench-deps

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

# Migrate, refresh the territory and the canonical skills (idempotent), and load demo data on the first run
# only (`flask demo` imports the real tiers-lieux from data/cget-tiers-lieux-2019.csv, app/demo_demand.py).
db: deps
	$(FLASK) db upgrade
	$(FLASK) territory load
	$(FLASK) skills load
	@if [ ! -f instance/.demo-loaded ]; then $(FLASK) demo && touch instance/.demo-loaded; fi

demo: deps
	$(FLASK) demo

# Browser tests use Debian's chromium-headless-shell (Chromium's engine without the desktop
# browser: about half the CPU of /usr/bin/chromium; no browser download is possible or wanted).
chromium:
	@if [ ! -x /usr/bin/chromium-headless-shell ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell; \
	  elif [ -x /usr/bin/chromium ]; then echo "chromium-headless-shell is missing: browser tests use /usr/bin/chromium (slower)"; \
	  else echo "chromium-headless-shell is missing: browser tests will be skipped (run 'sudo apt-get install chromium-headless-shell')"; fi; \
	fi

# The council report's PDF (app/organisers/report.py): WeasyPrint needs Debian's pango (with
# its FreeType backend), HarfBuzz's subsetter and a font. Installed when missing, as root.
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
pdf-libs: deps
	@if ! $(PY) -W error::UserWarning -c "import weasyprint" >/dev/null 2>&1 || [ ! -d /usr/share/fonts/truetype/dejavu ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_LIBS); \
	  else echo "pango, harfbuzz or the DejaVu fonts are missing: the PDF report will fail (run 'sudo apt-get install $(PDF_LIBS)')"; fi; \
	fi

# The report's tests read its PDF back: pdftoppm (poppler-utils) renders page 1 to PNG, and
# LibreOffice Calc opens the French CSV; the census letters' QR codes are read back from that
# PNG by zbarimg (zbar-tools). Installed when missing, as root; else those checks skip.
report-tools:
	@if ! command -v pdftoppm >/dev/null || ! command -v soffice >/dev/null || ! command -v zbarimg >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends poppler-utils libreoffice-calc zbar-tools; \
	  else echo "pdftoppm, soffice or zbarimg is missing: the report and letter tests that need them will be skipped (run 'sudo apt-get install poppler-utils libreoffice-calc zbar-tools')"; fi; \
	fi

bench: setup dev-deps bench-deps
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk || true; }
	$(PY) bench/pages.py
	$(PY) bench/events.py
	$(PY) bench/clusters.py
	$(PY) bench/search.py
	$(PY) bench/chat.py
	$(PY) bench/sirene.py
	$(PY) bench/report.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR)
