#!/usr/bin/env bash
# A Patroni cluster on this machine, in a directory of ours: one etcd and three PostgreSQL
# instances with TimescaleDB (the build scripts/setup-system.sh makes), on 127.0.0.1 only.
#   scripts/patroni.sh start DIR PORT [DBNAME]   create (first time) and start; wait for a
#                                               leader and two replicas; create DBNAME
#   scripts/patroni.sh stop DIR                 stop the three nodes, then etcd
#   scripts/patroni.sh list DIR                 the members, their roles and lag (patronictl)
#   scripts/patroni.sh url DIR [DBNAME]         the multi-host DATABASE_URL of the three nodes
#   scripts/patroni.sh leader DIR               the leader's name and port
#   scripts/patroni.sh crash-leader DIR         SIGKILL the leader's Patroni and every process of
#                                               its PostgreSQL, as when its machine is lost
# Ports: PostgreSQL on PORT, PORT+1, PORT+2; Patroni's REST API on PORT+3..PORT+5; etcd's
# clients on PORT+6 and its peer on PORT+7 (all remembered in DIR/ports).
# PATRONI_SYNCHRONOUS=false (on the first start) makes replication asynchronous: a failover
# may then lose the last acknowledged commits. By default it is synchronous (Patroni's
# synchronous_mode): a commit returns once one standby has it, and only that standby may
# be promoted.
# Every client is trusted without a password: for test and benchmark clusters on this
# machine only. PostgreSQL refuses to run as root, so as root everything runs as 'postgres'.
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
NODES=(node1 node2 node3)
cmd=${1:?usage: patroni.sh start|stop|list|url|leader|crash-leader DIR [PORT] [DBNAME]}
dir=$(realpath -m "${2:?directory}")

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Starts a command in the background as the owner, its process id in a file; its output in a log.
spawn() {
  local pidfile=$1 log=$2
  shift 2
  as_owner setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$log" 2>&1 &
  for _ in $(seq 100); do [ -s "$pidfile" ] && return 0; sleep 0.05; done
  echo "$* did not start" >&2; exit 1
}

# Files we write as root become the owner's, since PostgreSQL and Patroni run as it.
own() { if [ "$(id -u)" -eq 0 ]; then chown postgres: "$@"; fi; }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Waits for a process to end (by its pid file), for at most $2 seconds.
wait_gone() {
  local pidfile=$1
  for _ in $(seq $(($2 * 10))); do alive "$pidfile" || return 0; sleep 0.1; done
  return 1
}

port_of() { sed -n "s/^$1=//p" "$dir/ports"; }

write_ports() {
  local port=$1
  {
    echo "node1=$port"; echo "node2=$((port + 1))"; echo "node3=$((port + 2))"
    echo "rest_node1=$((port + 3))"; echo "rest_node2=$((port + 4))"; echo "rest_node3=$((port + 5))"
    echo "etcd=$((port + 6))"; echo "etcd_peer=$((port + 7))"
  } >"$dir/ports"
}

write_config() {
  local node=$1 synchronous=$2
  local node_dir="$dir/$node"
  mkdir -p "$node_dir"
  cat >"$node_dir/patroni.yml" <<YAML
scope: monitoring
namespace: /service/
name: $node
log:
  level: WARNING
restapi:
  listen: 127.0.0.1:$(port_of "rest_$node")
  connect_address: 127.0.0.1:$(port_of "rest_$node")
etcd3:
  hosts: 127.0.0.1:$(port_of etcd)
bootstrap:
  dcs:
    # The leader's key lives 10 s without renewal: a lost leader is replaced within about
    # that. loop_wait + 2 x retry_timeout must not exceed ttl.
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 16777216
    synchronous_mode: $synchronous
    postgresql:
      # A crashed leader started again may hold WAL the new leader never got: rewound to
      # follow it (or copied afresh when that fails).
      use_pg_rewind: true
      remove_data_directory_on_rewind_failure: true
      parameters:
        shared_preload_libraries: timescaledb
        timescaledb.telemetry_level: 'off'
        max_connections: 200
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 512MB
        hot_standby: 'on'
        wal_log_hints: 'on'
        # Group commit, as scripts/db.sh sets it (docs/operations.md).
        commit_delay: 50
        commit_siblings: 2
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - auth: trust
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:$(port_of "$node")
  connect_address: 127.0.0.1:$(port_of "$node")
  data_dir: $node_dir/data
  bin_dir: $PG_BIN
  pgpass: $node_dir/pgpass
  authentication:
    superuser:
      username: postgres
    replication:
      username: postgres
  parameters:
    unix_socket_directories: '$node_dir'
    shared_buffers: ${DB_SHARED_BUFFERS:-256MB}
    log_min_messages: warning
YAML
}

# The members as JSON (Patroni's /cluster), asked of any node that answers.
cluster_json() {
  local node
  for node in "${NODES[@]}"; do
    curl -sf --max-time 2 "http://127.0.0.1:$(port_of "rest_$node")/cluster" && return 0
  done
  return 1
}

# "NAME PORT" of the running leader, when there is one.
leader() {
  cluster_json | python3 -c '
import json, sys
for member in json.load(sys.stdin)["members"]:
    if member["role"] == "leader" and member["state"] == "running":
        print(member["name"], member["port"])'
}

# Whether a leader runs with two replicas streaming from it (one of them synchronous when
# replication is).
healthy() {
  cluster_json 2>/dev/null | python3 -c '
import json, sys
members = json.load(sys.stdin)["members"]
running = [m for m in members if m["state"] in ("running", "streaming")]
roles = sorted(m["role"] for m in running)
lagging = [m for m in running if m["role"] != "leader" and m.get("lag") not in (0, None)]
sys.exit(0 if roles.count("leader") == 1 and len(running) == 3 and not lagging else 1)'
}

case "$cmd" in
  start)
    port=${3:?port}
    dbname=${4:-monitoring}
    mkdir -p "$dir/etcd"
    [ -f "$dir/ports" ] || write_ports "$port"
    own "$dir" "$dir/etcd" "$dir/ports"
    if ! alive "$dir/etcd.pid"; then
      spawn "$dir/etcd.pid" "$dir/etcd/etcd.log" /usr/bin/etcd --name etcd --data-dir "$dir/etcd/data" \
        --listen-client-urls "http://127.0.0.1:$(port_of etcd)" \
        --advertise-client-urls "http://127.0.0.1:$(port_of etcd)" \
        --listen-peer-urls "http://127.0.0.1:$(port_of etcd_peer)" \
        --initial-advertise-peer-urls "http://127.0.0.1:$(port_of etcd_peer)" \
        --initial-cluster "etcd=http://127.0.0.1:$(port_of etcd_peer)" --log-level warn
      for _ in $(seq 100); do
        curl -sf --max-time 1 "http://127.0.0.1:$(port_of etcd)/health" >/dev/null && break
        sleep 0.1
      done
    fi
    for node in "${NODES[@]}"; do
      if [ ! -f "$dir/$node/patroni.yml" ]; then
        write_config "$node" "${PATRONI_SYNCHRONOUS:-true}"
        own "$dir/$node" "$dir/$node/patroni.yml"
      fi
      alive "$dir/$node/patroni.pid" || spawn "$dir/$node/patroni.pid" "$dir/$node/patroni.log" \
        /usr/bin/patroni "$dir/$node/patroni.yml"
      # The first node bootstraps the cluster alone: the others copy it once it leads.
      if [ "$node" = node1 ]; then
        for _ in $(seq 600); do
          [ -n "$(leader 2>/dev/null)" ] && break
          alive "$dir/node1/patroni.pid" || { tail -n 30 "$dir/node1/patroni.log" >&2; exit 1; }
          sleep 0.2
        done
      fi
    done
    for _ in $(seq 600); do healthy && break; sleep 0.2; done
    healthy || { echo "the Patroni cluster did not become healthy" >&2; tail -n 20 "$dir"/node*/patroni.log >&2; exit 1; }
    read -r _ leader_port < <(leader)
    if ! "$PG_BIN/psql" -h 127.0.0.1 -p "$leader_port" -U postgres -Atqc \
        "SELECT 1 FROM pg_database WHERE datname = '$dbname'" postgres | grep -q 1; then
      "$PG_BIN/createdb" -h 127.0.0.1 -p "$leader_port" -U postgres "$dbname"
    fi
    ;;
  stop)
    for node in "${NODES[@]}"; do
      alive "$dir/$node/patroni.pid" && kill "$(cat "$dir/$node/patroni.pid")"
    done
    for node in "${NODES[@]}"; do
      wait_gone "$dir/$node/patroni.pid" 60 || echo "Patroni of $node did not stop" >&2
      # A node whose Patroni was killed leaves its PostgreSQL running.
      [ -f "$dir/$node/data/postmaster.pid" ] && as_owner "$PG_BIN/pg_ctl" -D "$dir/$node/data" -m fast -w stop \
        >/dev/null 2>&1 || true
    done
    if alive "$dir/etcd.pid"; then
      kill "$(cat "$dir/etcd.pid")"
      wait_gone "$dir/etcd.pid" 30 || true
    fi
    ;;
  list)
    as_owner patronictl -c "$dir/node1/patroni.yml" list
    ;;
  url)
    dbname=${3:-monitoring}
    echo "postgresql://postgres@127.0.0.1:$(port_of node1),127.0.0.1:$(port_of node2),127.0.0.1:$(port_of node3)/$dbname?target_session_attrs=read-write"
    ;;
  leader)
    leader
    ;;
  crash-leader)
    read -r name _ < <(leader) || { echo "no leader" >&2; exit 1; }
    # Patroni first, or it would restart its PostgreSQL; then the postmaster and all its
    # children at once, so that no backend or WAL sender outlives it.
    kill -KILL "$(cat "$dir/$name/patroni.pid")"
    postmaster=$(head -n1 "$dir/$name/data/postmaster.pid")
    kill -KILL "$postmaster" $(cat "/proc/$postmaster/task/$postmaster/children" 2>/dev/null || true)
    echo "$name"
    ;;
  *)
    echo "unknown command $cmd" >&2; exit 2 ;;
esac
