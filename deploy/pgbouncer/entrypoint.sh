#!/bin/sh
# Writes PgBouncer's settings from the environment, then runs it in the foreground. Two
# databases: "monitoring" is the primary (the db service), "monitoring_replica" the
# streaming replica (db-replica). Clients log in as postgres with POSTGRES_PASSWORD (SCRAM);
# PgBouncer logs in to the servers with the same.
set -eu
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
config=/tmp/pgbouncer
mkdir -p "$config"
umask 077
printf '"postgres" "%s"\n' "$(printf %s "$POSTGRES_PASSWORD" | sed 's/"/""/g')" >"$config/userlist.txt"
cat >"$config/pgbouncer.ini" <<INI
[databases]
monitoring = host=${PRIMARY_HOST:-db} port=5432 dbname=monitoring
monitoring_replica = host=${REPLICA_HOST:-db-replica} port=5432 dbname=monitoring

[pgbouncer]
listen_addr = *
listen_port = 6432
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $config/userlist.txt
pool_mode = transaction
default_pool_size = ${PGBOUNCER_POOL_SIZE:-20}
max_client_conn = ${PGBOUNCER_MAX_CLIENT_CONN:-1000}
INI
exec pgbouncer "$config/pgbouncer.ini"
