#!/bin/sh
# Run once by the database image when it creates the cluster (/docker-entrypoint-initdb.d/):
# standbys may stream from it, with the same password as any other connection.
set -eu
echo "host replication all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
