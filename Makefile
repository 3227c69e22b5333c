# Two commands on a fresh Debian 12 machine:  make run  |  make test
SHELL := /bin/bash
PORT ?= 8000
DB_PORT ?= 54329
DB_DIR ?= var/pgdata
DB_NAME ?= monitoring
VENV := .venv
PY := $(VENV)/bin/python
DATABASE_URL ?= postgresql://postgres@127.0.0.1:$(DB_PORT)/$(DB_NAME)
export DATABASE_URL
# Two workers per core, as gunicorn.conf.py's own default: on 2 cores, 4 workers stored more
# samples than 3 in three of four alternating runs, 6 little more than 4 (bench/ingest.py
# --workers, README). Each worker holds about 80 MiB and its own database connections.
WEB_CONCURRENCY ?= $(shell echo $$(( 2 * $$(nproc) )))
# The command line 'make run' prints for the CLI: with the database it started, so that it
# works as printed in another terminal whatever DB_PORT or DATABASE_URL said.
CLI = DATABASE_URL='$(DATABASE_URL)' $(VENV)/bin/flask --app wsgi
# The live events server (docs/events.md): one process, one thread per open stream. The pages
# of the API on 127.0.0.1:$(PORT) open their stream there, with their session cookie.
EVENTS_PORT ?= 8001
EVENTS_THREADS ?= 100
EVENTS_URL ?= http://127.0.0.1:$(EVENTS_PORT)/api/v1/monitoring/events/
EVENTS_ALLOWED_ORIGINS ?= http://127.0.0.1:$(PORT)
EVENTS_SERVER := env EVENTS_STREAM=true PORT=$(EVENTS_PORT) WEB_CONCURRENCY=1 GUNICORN_THREADS=$(EVENTS_THREADS) \
	EVENTS_ALLOWED_ORIGINS='$(EVENTS_ALLOWED_ORIGINS)' $(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

.PHONY: help setup system venv assets db-start db-stop migrate run worker events test lint bench-tools bench-ingest bench-cluster bench-geo \
	patroni patroni-stop patroni-failover

help:
	@echo "make run    set up everything, start TimescaleDB under $(DB_DIR), migrate, serve on 127.0.0.1:$(PORT)"
	@echo "make test   set up everything, run the whole suite against a throwaway TimescaleDB"
	@echo "make worker run the periodic jobs (checks, webhooks, rollups, retention); 'make run' starts one"
	@echo "make events serve the live event stream on 127.0.0.1:$(EVENTS_PORT); 'make run' starts one"
	@echo "make lint   ruff"
	@echo "make db-stop  stop the local database of 'make run'"
	@echo "make patroni  a Patroni cluster (etcd, three TimescaleDB nodes) under $(PATRONI_DIR); make patroni-stop"
	@echo "make patroni-failover  crash a Patroni leader under device load; check nothing acknowledged is lost"

setup: system venv assets

system:
	@bash scripts/setup-system.sh

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# The pages' browser libraries (package-lock.json) into monitoring/static/vendor/.
assets: system
	@bash scripts/assets.sh

db-start: system
	@bash scripts/db.sh start $(DB_DIR) $(DB_PORT) $(DB_NAME)

db-stop:
	@bash scripts/db.sh stop $(DB_DIR)

migrate: venv db-start
	@$(VENV)/bin/flask --app wsgi db upgrade 2>&1 | grep -v "^INFO  \[alembic.runtime.migration\] \(Context\|Will assume\)" || true
	@$(VENV)/bin/flask --app wsgi db current 2>/dev/null | tail -n1 | grep -q head || { echo "migration failed" >&2; exit 1; }

run: setup migrate
	@echo ""
	@echo "  API docs:      http://127.0.0.1:$(PORT)/api/v1/docs/"
	@echo "  Pages:         http://127.0.0.1:$(PORT)/api/v1/monitoring/dashboard/ (devices, map, notifications)"
	@echo "  Live events:   http://127.0.0.1:$(EVENTS_PORT)/api/v1/monitoring/events/ (docs/events.md)"
	@echo "  First admin:   $(CLI) create-superuser --username admin --password '<password>'"
	@echo "  Database:      $(DATABASE_URL) (stop it with 'make db-stop')"
	@if [ "$$(psql "$(DATABASE_URL)" -Atc 'SELECT count(*) FROM devices' 2>/dev/null)" = "0" ]; then \
	  echo "  No devices yet: demo devices with a week of data: $(CLI) seed-demo"; fi
	@echo ""
	@# The worker (checks, webhooks, rollups, retention) and the events server run beside
	@# gunicorn and exit when gunicorn does: gunicorn takes over this shell's process id ($$$$)
	@# through exec.
	$(VENV)/bin/flask --app wsgi worker --stop-with $$$$ & \
	  $(EVENTS_SERVER) & \
	  events=$$!; (while kill -0 $$$$ 2>/dev/null; do sleep 2; done; kill $$events 2>/dev/null) & \
	  WEB_CONCURRENCY=$(WEB_CONCURRENCY) EVENTS_URL='$(EVENTS_URL)' exec $(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

worker: setup migrate
	exec $(VENV)/bin/flask --app wsgi worker

events: setup migrate
	exec $(EVENTS_SERVER)

# What the tests need from the OS beyond 'make run': Chromium for the browsable API tests, PgBouncer
# and HAProxy for the scale-out tests (tests/scale/), wrk for W1 beside 50 event streams.
TEST_PACKAGES := chromium chromium-driver pgbouncer haproxy wrk

test: setup
	@bash scripts/setup-system.sh $(TEST_PACKAGES)
	@bash scripts/test.sh $(PYTEST_ARGS)

lint: venv
	@$(VENV)/bin/ruff check .

bench-tools: system
	@bash scripts/setup-system.sh wrk

# W1, then W1 again after 30 days x 1,000 devices of history: the cost of a sample must not
# grow with the data already stored.
bench-ingest: setup bench-tools
	@$(PY) bench/ingest.py $(BENCH_ARGS)
	@$(PY) bench/ingest.py --history-days 30 --history-devices 1000 $(BENCH_ARGS)

# High availability on this machine (docs/scale-out.md): one etcd and three PostgreSQL nodes
# with TimescaleDB, managed by Patroni, under PATRONI_DIR; ports PATRONI_PORT to PATRONI_PORT+7.
PATRONI_DIR ?= var/patroni
PATRONI_PORT ?= 25432
PATRONI_URL = $$(bash scripts/patroni.sh url $(PATRONI_DIR) $(DB_NAME))

patroni: setup
	@bash scripts/setup-system.sh etcd-server patroni
	@bash scripts/patroni.sh start $(PATRONI_DIR) $(PATRONI_PORT) $(DB_NAME)
	@out=$$(DATABASE_URL="$(PATRONI_URL)" $(VENV)/bin/flask --app wsgi db upgrade 2>&1) || { echo "$$out" >&2; exit 1; }
	@bash scripts/patroni.sh list $(PATRONI_DIR)
	@echo "  DATABASE_URL=$(PATRONI_URL)"
	@echo "  Stop it with 'make patroni-stop'; crash its leader with 'bash scripts/patroni.sh crash-leader $(PATRONI_DIR)'"

patroni-stop:
	@bash scripts/patroni.sh stop $(PATRONI_DIR)

# Device POSTs through gunicorn on a fresh Patroni cluster of its own; its leader crashed;
# every acknowledged sample looked for on the promoted standby.
patroni-failover: setup
	@bash scripts/setup-system.sh etcd-server patroni
	@$(PY) bench/failover.py $(BENCH_ARGS)

# W1 directly on the database, then through PgBouncer in transaction mode; W2-W4 on the
# primary, then on a streaming replica; a failover under load with synchronous replication
# (nothing acknowledged may be lost), then with asynchronous replication (what is lost,
# measured) (docs/scale-out.md).
bench-cluster: setup bench-tools
	@bash scripts/setup-system.sh pgbouncer etcd-server patroni
	@$(PY) bench/ingest.py $(BENCH_ARGS)
	@$(PY) bench/ingest.py --pgbouncer $(BENCH_ARGS)
	@$(PY) bench/read.py --only standard --replica
	@$(PY) bench/failover.py
	@$(PY) bench/failover.py --asynchronous

# Nearby devices over 100,000 located devices, WiFi session lists over 1,000,000 sessions.
bench-geo: setup
	@$(PY) bench/geo.py $(BENCH_ARGS)

.PHONY: bench-read
bench-read: setup
	@$(PY) bench/read.py $(BENCH_ARGS)

# Devices posting at their rhythm and users reading charts, with a database restart and a
# killed worker in the middle; then every acknowledged sample is checked in the database.
.PHONY: bench-load
bench-load: setup
	@$(PY) bench/load.py $(BENCH_ARGS)

# W1 without, then with 50 live event streams open on the events server: the POSTs' p99 of both.
.PHONY: bench-events
bench-events: setup bench-tools
	@$(PY) bench/streams.py $(BENCH_ARGS)

# What the per-request hooks (request id, metrics, request log) cost a device POST: A/B in one process.
.PHONY: bench-overhead
bench-overhead: setup
	@$(PY) bench/request_overhead.py $(BENCH_ARGS)
