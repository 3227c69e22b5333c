#!/bin/sh
# The db-replica service of docker-compose.yml (profile "replica"): a hot standby of the db
# service. The first start copies the primary with pg_basebackup (-R: it starts as a
# standby streaming from it, the primary's settings, TimescaleDB's included, come with the
# copy); every start then runs the server. The walreceiver logs in with PGPASSWORD.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h db -U postgres -q; do sleep 1; done
  chmod 700 "$PGDATA"
  pg_basebackup -h db -U postgres -D "$PGDATA" -R -X stream -c fast
fi
exec postgres
