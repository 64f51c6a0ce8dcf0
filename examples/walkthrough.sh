#!/usr/bin/env bash
# The README's walkthrough, every role, against a fresh server. Each step
# checks its answer; the script stops at the first surprise.
#
#   bash examples/walkthrough.sh
#
# It builds the server and the client, starts a server on a free port with a
# data directory of its own, and gives every user a config folder of their own.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { echo "walkthrough FAILED: $*" >&2; exit 1; }
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

step "Build the server and the client"
(cd "$root" && cargo build --quiet -p consent-server -p consent-cli)
bin="${CARGO_TARGET_DIR:-$root/target}/debug"
server="$bin/consent-server"
consent="$bin/consent"

step "Start a fresh server with a data directory of its own"
export CONSENT_DATA_DIR="$work/server" DATABASE_URL="${WALKTHROUGH_DATABASE_URL:-sqlite://$work/server/consent.db?mode=rwc}"
mkdir -p "$work/server"
admin_token=$("$server" admin create --school "De Linde" --name "A. de Vries" 2>/dev/null | tail -n 1)
"$server" --listen 127.0.0.1:0 > "$work/server.out" 2> "$work/server.log" &
server_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/server.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/server.out")
[ -n "$url" ] || fail "the server did not start: $(cat "$work/server.log")"
echo "server at $url"

step "The administrator imports class 3B and adds a parent"
as admin login --token "$admin_token"
as admin people import "$root/examples/class-3b.csv"
people=$(as admin people list --group 3B --json)
sam=$(id_of "Sam de Groot" <<< "$people")
yara=$(id_of "Yara Bakker" <<< "$people")
[ -n "$sam" ] && [ -n "$yara" ] || fail "the imported class is not listed"
pia=$(as admin people add --kind guardian --name "Pia Bakker" --json | field id)
as admin guardian link --guardian "$pia" --child "$yara"
teacher_id=$(as admin staff add --name "T. Visser" --role teacher --json | number id)
comms_id=$(as admin staff add --name "C. Smit" --role communications --json | number id)
as teacher login --token "$(as admin staff token "$teacher_id" --json | field token)"
as comms login --token "$(as admin staff token "$comms_id" --json | field token)"
as admin enrollment-codes --group 3B --out "$work/codes"
ls "$work/codes"/*.png > /dev/null || fail "no enrollment code pictures were written"

step "Sam enrolls from the printed code, consents, and shows the QR code"
as sam enroll --photo "$(ls "$work"/codes/*1001*.png)"
token=$(as sam grant --media photo,video --purpose website,yearbook --json | field token_id)
[ -n "$token" ] || fail "no token id"
as sam show "$token"
as sam show "$token" --png "$work/sam-consent.png"

step "Yara (12) cannot consent alone; her parent co-signs"
as yara enroll "$(as admin enrollment-codes --person "$yara" --json | field qr_text)"
expect_exit 1 as yara grant --media photo --purpose website
as pia enroll "$(as admin enrollment-codes --person "$pia" --json | field qr_text)"
pia_key=$(as pia status --json | field key_id)
as yara grant --media photo --purpose website --guardian-key "$pia_key" --out "$work/pending.txt"
as pia cosign --yes "$work/pending.txt"

step "The teacher scans Sam's code, checks a class photo and publishes it"
as teacher scan --photo "$work/sam-consent.png"
printf 'a class photo of 3B (only its hash leaves the device)' > "$work/class-photo.jpg"
expect_exit 3 as teacher check "$work/class-photo.jpg" --purpose website --group 3B
receipt=$(as teacher check "$work/class-photo.jpg" --purpose website --person "$sam" --person "$yara" --json | field receipt_id)
publication=$(as teacher publish --receipt "$receipt" --channel website --url https://school.example/news/1 --json | number publication)
[ -n "$publication" ] || fail "no publication id"

step "Sam withdraws consent"
as sam revoke "$token"
expect_exit 3 as teacher scan --photo "$work/sam-consent.png"

step "Communications sees the publication flagged, takes it down, verifies the log"
as comms publications --flagged
as comms publications --flagged --json | grep "\"id\": $publication" > /dev/null || fail "publication $publication is not flagged"
as comms takedown "$publication"
[ "$(as comms publications --flagged --json | tr -d ' \n')" = "[]" ] || fail "the publication is still flagged"
as comms audit verify
as comms report coverage --purpose website

printf '\nwalkthrough passed\n'
