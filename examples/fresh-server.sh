# Shared by the scripts that drive a fresh server through the client:
# `source examples/fresh-server.sh`, then `start_fresh_server`.
#
# Gives: $root, $work (removed on exit), step, fail, expect_exit, `as USER ...`
# (the client with USER's own config folder), field/number/id_of (read the
# client's pretty JSON), and after start_fresh_server: $url, $admin_token.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
# Runs the client as one user: `as alice grant ...`.
as() { local user=$1; shift; CONSENT_CONFIG_DIR="$work/users/$user" CONSENT_SERVER="$url" "$consent" "$@"; }
# Runs a command that must exit with the given code.
expect_exit() {
  local want=$1; shift
  set +e; "$@"; local got=$?; set -e
  [ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want"
}
# These read all their input, so the client never writes into a closed pipe.
# A field of pretty JSON on standard input: `field token_id`.
field() { awk -F'"' -v name="$1" '$2 == name && !found { print $4; found = 1 }'; }
# A number field of pretty JSON on standard input.
number() { sed -nE "s/^ *\"$1\": ([0-9]+).*/\1/p" | sed -n 1p; }
# The id of the person with this display name, from `people list --json`.
id_of() { awk -F'"' -v name="$1" '$2 == "id" { id = $4 } $2 == "display_name" && $4 == name && !found { print id; found = 1 }'; }

# Builds the server and the client, creates a school with its first
# administrator, and starts the server on a free port. The database is a new
# SQLite file, or FRESH_DATABASE_URL when set (an empty PostgreSQL database).
start_fresh_server() {
  step "Build the server and the client"
  (cd "$root" && cargo build --quiet -p consent-server -p consent-cli)
  local bin="${CARGO_TARGET_DIR:-$root/target}/debug"
  server="$bin/consent-server"
  consent="$bin/consent"

  step "Start a fresh server with a data directory of its own"
  export CONSENT_DATA_DIR="$work/server" DATABASE_URL="${FRESH_DATABASE_URL:-sqlite://$work/server/consent.db?mode=rwc}"
  mkdir -p "$work/server"
  admin_token=$("$server" admin create --school "De Linde" --name "A. de Vries" 2>/dev/null | tail -n 1)
  "$server" --listen 127.0.0.1:0 > "$work/server.out" 2> "$work/server.log" &
  server_pid=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$work/server.out" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's/^listening on //p' "$work/server.out")
  [ -n "$url" ] || fail "the server did not start: $(cat "$work/server.log")"
  echo "server at $url"
}
