#!/usr/bin/env bash
# Installs what the service needs from the OS, once (usage: setup-system.sh [extra-package…]): PostgreSQL 15 with its build headers, and
# TimescaleDB (Apache-only build) compiled from Debian trixie's source package, because
# Debian 12 ships no TimescaleDB. Every step is skipped when its result is already present,
# so a second run takes well under a second.
set -euo pipefail

TSDB_VERSION="${TSDB_VERSION:-2.19.3}"
PG_BIN=/usr/lib/postgresql/15/bin
CACHE_DIR="${TSDB_CACHE_DIR:-/var/cache/monitoring-timescaledb}"

log() { printf '==> %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ $apt_updated -eq 0 ]; then
    log "apt-get update"
    as_root apt-get update -qq
    apt_updated=1
  fi
  log "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

timescaledb_installed() {
  [ -x "$PG_BIN/pg_config" ] || return 1
  local libdir sharedir
  libdir=$("$PG_BIN/pg_config" --pkglibdir)
  sharedir=$("$PG_BIN/pg_config" --sharedir)
  [ -f "$libdir/timescaledb-$TSDB_VERSION.so" ] && [ -f "$sharedir/extension/timescaledb.control" ]
}

# The database server, a client, the Python build basics for the virtualenv, and fping for
# the ping check; plus any extra packages named on the command line (wrk for the
# benchmarks, chromium and chromium-driver for the browser tests, pgbouncer and haproxy for
# the scale-out tests, etcd-server and patroni for `make patroni`).
apt_install postgresql-15 postgresql-client-15 postgresql-contrib python3-venv python3-dev fping "$@"
# Node and npm install the pages' browser libraries (scripts/assets.sh); a Node.js already
# installed from elsewhere, with its own npm, is kept.
command -v npm >/dev/null || apt_install nodejs npm

if timescaledb_installed; then
  exit 0
fi

apt_install postgresql-server-dev-15 cmake libssl-dev libkrb5-dev build-essential \
  debian-archive-keyring xz-utils ca-certificates

log "fetching the timescaledb source package from Debian trixie"
as_root mkdir -p "$CACHE_DIR/lists/partial" "$CACHE_DIR/archives/partial" "$CACHE_DIR/src"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
  | as_root tee "$CACHE_DIR/trixie-src.list" >/dev/null
apt_opts=(-o "Dir::Etc::sourcelist=$CACHE_DIR/trixie-src.list" -o Dir::Etc::sourceparts=/nonexistent
  -o "Dir::State::Lists=$CACHE_DIR/lists" -o "Dir::Cache=$CACHE_DIR")
tarball=$(ls "$CACHE_DIR"/src/timescaledb_"$TSDB_VERSION"*.orig.tar.* 2>/dev/null | head -n1 || true)
if [ -z "$tarball" ]; then
  as_root apt-get "${apt_opts[@]}" -qq update >/dev/null
  (cd "$CACHE_DIR/src" && as_root apt-get "${apt_opts[@]}" -qq source --download-only timescaledb >/dev/null)
  tarball=$(ls "$CACHE_DIR"/src/timescaledb_*.orig.tar.* | head -n1)
fi

log "building timescaledb from $(basename "$tarball") (Apache-only)"
build_dir=$(mktemp -d)
trap 'rm -rf "$build_dir"' EXIT
tar -xf "$tarball" -C "$build_dir"
src_dir=$(find "$build_dir" -mindepth 1 -maxdepth 1 -type d | head -n1)
if ! (
  cd "$src_dir"
  ./bootstrap -DAPACHE_ONLY=1 -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF -DWARNINGS_AS_ERRORS=OFF \
    -DLINTER=OFF -DPG_CONFIG="$PG_BIN/pg_config"
  cd build
  make -j"$(nproc)"
  as_root make install
) >"$build_dir/build.log" 2>&1; then
  tail -n 40 "$build_dir/build.log" >&2
  echo "timescaledb build failed" >&2
  exit 1
fi
timescaledb_installed || { echo "timescaledb build did not install $TSDB_VERSION" >&2; exit 1; }
log "timescaledb $TSDB_VERSION installed"
