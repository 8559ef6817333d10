#!/usr/bin/env bash
# webdeps.sh refreshes the web console's vendored JavaScript libraries and map data in
# internal/console/web/assets/vendor from npm, at the pinned versions below. Its output is
# committed, so neither the build, the tests nor a running daemon needs Node.js; run it
# only to change a version (then review and commit the diff).
set -euo pipefail

# name@version  file in the package  →  vendored as
deps=(
  "d3-array@3.2.4 dist/d3-array.min.js d3-array.min.js"
  "d3-geo@3.1.1 dist/d3-geo.min.js d3-geo.min.js"
  "topojson-client@3.1.0 dist/topojson-client.min.js topojson-client.min.js"
  "world-atlas@2.0.2 countries-110m.json countries-110m.json"
)

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/internal/console/web/assets/vendor"
command -v npm >/dev/null 2>&1 || { echo "webdeps: npm is needed to refresh the vendored files (apt-get install npm)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
pkgs=()
for d in "${deps[@]}"; do
  read -r spec _ _ <<<"$d"
  pkgs+=("$spec")
done
(cd "$tmp" && npm init -y >/dev/null && npm install --no-audit --no-fund --ignore-scripts --save-exact "${pkgs[@]}" >/dev/null)
mkdir -p "$dest"
: >"$dest/VERSIONS"
for d in "${deps[@]}"; do
  read -r spec file out <<<"$d"
  name="${spec%@*}"
  cp "$tmp/node_modules/$name/$file" "$dest/$out"
  lic="$(ls "$tmp/node_modules/$name" | grep -i -m1 '^licen[cs]e' || true)"
  [ -n "$lic" ] && cp "$tmp/node_modules/$name/$lic" "$dest/$name.LICENSE"
  echo "$spec $file sha256:$(sha256sum "$dest/$out" | cut -d' ' -f1)" >>"$dest/VERSIONS"
done
echo "webdeps: vendored ${pkgs[*]} into ${dest#"$root"/}"
