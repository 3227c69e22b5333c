#!/usr/bin/env bash
# The whole suite against a throwaway TimescaleDB cluster, stopped and removed afterwards
# whatever the outcome. Extra arguments go to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

test_db_dir=$(mktemp -d /tmp/monitoring-test-db.XXXXXX)
port=$(free_port)
cleanup() {
  # The test cluster, and the replicas and poolers some tests start beside it (tests/scale/).
  for data_dir in "$test_db_dir"/*/; do
    if [ -f "$data_dir/pgbouncer.ini" ]; then
      bash scripts/pgbouncer.sh stop "$data_dir" >/dev/null 2>&1
    else
      bash scripts/db.sh stop "$data_dir" >/dev/null 2>&1
    fi
  done
  rm -rf "$test_db_dir"
}
trap cleanup EXIT INT TERM
chmod 755 "$test_db_dir"

DB_FAST=1 bash scripts/db.sh start "$test_db_dir/data" "$port" monitoring_test || exit 1
export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/monitoring_test"
# The fault tests (tests/ops/test_faults.py, test_outage_replay.py) stop and start this cluster.
export TEST_DB_DATA_DIR="$test_db_dir/data" TEST_DB_PORT="$port"
# Where tests may make more clusters (streaming replicas), removed with this one.
export TEST_DB_ROOT="$test_db_dir"
export DATABASE_URL="$TEST_DATABASE_URL"

.venv/bin/python -m pytest "$@"
status=$?
# pytest's 5 means no test ran: that is not a pass.
if [ $status -eq 5 ]; then
  echo "no tests were collected: failing" >&2
  exit 1
fi
exit $status
