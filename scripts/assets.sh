#!/usr/bin/env bash
# The browser libraries of the pages (charts, map, world outline), installed from the npm
# registry exactly as package-lock.json pins them, then copied into monitoring/static/vendor/,
# which the service serves itself at /static/vendor/: the pages never load anything from
# another host. Both steps are skipped when their result is newer than their input, so a
# second run takes well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

VENDOR=monitoring/static/vendor
INSTALLED=node_modules/.installed

if [ ! -f "$INSTALLED" ] || [ package-lock.json -nt "$INSTALLED" ]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$INSTALLED"
fi

if [ ! -f "$VENDOR/.copied" ] || [ "$INSTALLED" -nt "$VENDOR/.copied" ]; then
  rm -rf "$VENDOR"
  mkdir -p "$VENDOR"
  cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css "$VENDOR/"
  cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$VENDOR/"
  # Natural Earth's land at 1:110 million (public domain), as GeoJSON: the map's background
  # when no tile server is configured; coordinates rounded to 0.01° (about 1 km), which is
  # finer than the outline itself.
  node_modules/.bin/topo2geo land=- < node_modules/world-atlas/land-110m.json \
    | node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () =>
        process.stdout.write(JSON.stringify(JSON.parse(s), (k, v) => typeof v === "number" ? Math.round(v * 100) / 100 : v)))' \
    > "$VENDOR/land-110m.geojson"
  touch "$VENDOR/.copied"
fi
