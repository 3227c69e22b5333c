#!/usr/bin/env bash
# A private PgBouncer in transaction pooling mode, in a directory of ours, on 127.0.0.1.
#   scripts/pgbouncer.sh start DIR PORT 'NAME=host=127.0.0.1 port=5432 dbname=DB' ...
#       each argument after PORT is one line of [databases]: the name clients ask for, and
#       the server it stands for (e.g. the primary and a replica under two names)
#   scripts/pgbouncer.sh stop DIR
# Clients are not authenticated (auth_type = any: the server connections log in as the
# 'postgres' user): for test and benchmark clusters on this machine only.
# PgBouncer refuses to run as root, so as root it runs as the 'postgres' user.
set -euo pipefail

cmd=${1:?usage: pgbouncer.sh start|stop DIR [PORT DATABASE...]}
dir=$(realpath -m "${2:?directory}")

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    port=${3:?port}
    shift 3
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    {
      echo "[databases]"
      for database in "$@"; do echo "$database user=postgres"; done
      cat <<CONF
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir = $dir
auth_type = any
pool_mode = transaction
# Fewer server connections than the app's pools hold: transactions of different clients
# share them, as they do in production.
default_pool_size = ${PGBOUNCER_POOL_SIZE:-4}
max_client_conn = 1000
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
CONF
    } >"$dir/pgbouncer.ini"
    as_owner /usr/sbin/pgbouncer -q -d "$dir/pgbouncer.ini"
    for _ in $(seq 100); do
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && exit 0
      sleep 0.05
    done
    echo "pgbouncer did not start" >&2; tail -n 20 "$dir/pgbouncer.log" >&2; exit 1
    ;;
  stop)
    if [ -f "$dir/pgbouncer.pid" ]; then
      pid=$(cat "$dir/pgbouncer.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    fi
    ;;
  *)
    echo "unknown command $cmd" >&2; exit 2 ;;
esac
