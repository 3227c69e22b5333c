#!/usr/bin/env bash
# A private TimescaleDB cluster in a directory of ours, listening on 127.0.0.1 only.
#   scripts/db.sh start DIR PORT [DBNAME]   create (first time) and start; create DBNAME
#   scripts/db.sh replica DIR PORT PRIMARY_PORT
#                                           a streaming replica of the cluster on PRIMARY_PORT
#                                           (pg_basebackup -R, first time), started on PORT
#   scripts/db.sh promote DIR               make a replica the primary (pg_ctl promote)
#   scripts/db.sh stop DIR [MODE]           stop (fast shutdown; immediate: as if it crashed)
#   scripts/db.sh status DIR
# PostgreSQL refuses to run as root, so as root the cluster runs as the 'postgres' user.
# DB_FAST=1 trades durability for speed (throwaway test clusters only).
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
cmd=${1:?usage: db.sh start|replica|promote|stop|status DIR [PORT] [DBNAME]}
dir=${2:?data directory}
dir=$(realpath -m "$dir")

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    port=${3:?port}
    dbname=${4:-monitoring}
    if [ ! -f "$dir/PG_VERSION" ]; then
      mkdir -p "$dir"
      [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
      chmod 700 "$dir"
      as_owner "$PG_BIN/initdb" -D "$dir" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
      cat >>"$dir/postgresql.conf" <<CONF
# --- set by scripts/db.sh ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
shared_preload_libraries = 'timescaledb'
timescaledb.telemetry_level = off
max_connections = 200
# Sized so a day's chunks of a few thousand devices, with their indexes, stay in memory.
shared_buffers = ${DB_SHARED_BUFFERS:-1GB}
effective_cache_size = 4GB
work_mem = 16MB
maintenance_work_mem = 256MB
wal_compression = on
max_wal_size = 2GB
log_min_messages = warning
log_min_duration_statement = 2000
# Group commit: a committing transaction waits 50 µs for others to share its WAL flush when
# at least two others are open (device samples, each its own transaction: docs/operations.md).
commit_delay = 50
commit_siblings = 2
CONF
      if [ "${DB_FAST:-0}" = 1 ]; then
        printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nshared_buffers = 256MB\n' \
          >>"$dir/postgresql.conf"
      fi
    fi
    if ! as_owner "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      as_owner "$PG_BIN/pg_ctl" -D "$dir" -o "-p $port" -l "$dir/server.log" -w -t 60 start >/dev/null \
        || { tail -n 30 "$dir/server.log" >&2; exit 1; }
    fi
    if ! "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -Atqc \
        "SELECT 1 FROM pg_database WHERE datname = '$dbname'" postgres | grep -q 1; then
      "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres "$dbname"
    fi
    ;;
  replica)
    port=${3:?port}
    primary_port=${4:?primary port}
    if [ ! -f "$dir/PG_VERSION" ]; then
      mkdir -p "$dir"
      [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
      chmod 700 "$dir"
      # -R writes primary_conninfo and standby.signal: the copy starts as a hot standby and
      # streams from the primary. The primary's settings come with the copy.
      as_owner "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir" -R -X stream \
        -c fast >/dev/null
      # The replica's name, for synchronous_standby_names: its directory's.
      printf "unix_socket_directories = '%s'\ncluster_name = '%s'\n" "$dir" "$(basename "$dir")" \
        >>"$dir/postgresql.conf"
    fi
    if ! as_owner "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      as_owner "$PG_BIN/pg_ctl" -D "$dir" -o "-p $port" -l "$dir/server.log" -w -t 60 start >/dev/null \
        || { tail -n 30 "$dir/server.log" >&2; exit 1; }
    fi
    ;;
  promote)
    as_owner "$PG_BIN/pg_ctl" -D "$dir" -w promote >/dev/null
    ;;
  stop)
    if [ -f "$dir/postmaster.pid" ]; then
      as_owner "$PG_BIN/pg_ctl" -D "$dir" -m "${3:-fast}" -w stop >/dev/null || true
    fi
    ;;
  status)
    as_owner "$PG_BIN/pg_ctl" -D "$dir" status
    ;;
  *)
    echo "unknown command $cmd" >&2; exit 2 ;;
esac
