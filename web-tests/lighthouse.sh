#!/usr/bin/env bash
# Lighthouse in mobile mode (its default: a phone's screen, simulated slow
# 4G and a 4x slower CPU) against pages of a running consent server, with
# Debian's Chromium. Prints each page's performance, accessibility and
# best-practices scores, first and largest contentful paint, and what its
# first load transferred (compressed bytes, by resource). The full reports
# go to target/lighthouse/ (LIGHTHOUSE_OUT overrides).
#
# Usage:   web-tests/lighthouse.sh URL...
# Example: cargo run --release -p consent-server &
#          web-tests/lighthouse.sh http://127.0.0.1:8080/ http://127.0.0.1:8080/enroll
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "$#" -eq 0 ]; then
  sed -n '2,11s/^# \{0,1\}//p' "$0" >&2
  exit 2
fi
if [ ! -x "$here/node_modules/.bin/lighthouse" ]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
out="${LIGHTHOUSE_OUT:-$here/../target/lighthouse}"
mkdir -p "$out"
for url in "$@"; do
  name=$(printf '%s' "$url" | sed 's#^[a-z]*://##; s#[^A-Za-z0-9._-]#_#g')
  "$here/node_modules/.bin/lighthouse" "$url" \
    --quiet \
    --output=json --output-path="$out/$name.json" \
    --only-categories=performance,accessibility,best-practices \
    --chrome-flags="--headless=new --no-sandbox --disable-dev-shm-usage"
  node "$here/lighthouse-summary.mjs" "$out/$name.json"
done
