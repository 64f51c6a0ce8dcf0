#!/usr/bin/env bash
# The README's walkthrough, every role, against a fresh server. Each step
# checks its answer; the script stops at the first surprise.
#
#   bash examples/walkthrough.sh
#
# Every user has a config folder of their own (see examples/fresh-server.sh).
set -euo pipefail
source "$(dirname "$0")/fresh-server.sh"
start_fresh_server

step "The administrator imports class 3B and adds a parent"
as admin login --token "$admin_token"
as admin people import "$root/examples/class-3b.csv"
people=$(as admin people list --group 3B --json)
sam=$(id_of "Sam de Groot" <<< "$people")
yara=$(id_of "Yara Bakker" <<< "$people")
[ -n "$sam" ] && [ -n "$yara" ] || fail "the imported class is not listed"
as admin people add --kind guardian --name "Pia Bakker"
as admin guardian link --guardian "Pia Bakker" --child "Yara Bakker"
teacher_id=$(as admin staff add --name "T. Visser" --role teacher --json | number id)
comms_id=$(as admin staff add --name "C. Smit" --role communications --json | number id)
as teacher login --token "$(as admin staff token "$teacher_id" --json | field token)"
as comms login --token "$(as admin staff token "$comms_id" --json | field token)"
as admin enrollment-codes --group 3B --out "$work/codes"
[ -f "$work/codes/1001.png" ] || fail "no enrollment code picture named by the class list's number"
grep -q "Sam de Groot" "$work/codes/sheet-3B.html" || fail "the printable sheet does not name Sam"
expect_exit 1 as admin enrollment-codes --group 3B --out "$work/codes"   # earlier codes are not overwritten

step "Sam enrolls from the printed code, consents, and shows the QR code"
as sam enroll --photo "$work/codes/1001.png"
token=$(as sam grant --media photo,video --purpose website,yearbook --json | field token_id)
[ -n "$token" ] || fail "no token id"
as sam show "$token"
as sam show "$token" --png "$work/sam-consent.png"

step "Yara (12) cannot consent alone; her parent co-signs"
as yara enroll --photo "$work/codes/1003.png"
expect_exit 1 as yara grant --media photo --purpose website
as pia enroll "$(as admin enrollment-codes --person "Pia Bakker" --json | field qr_text)"
expect_exit 2 as pia grant --media photo --purpose website   # a parent names the child with --child
pia_key=$(as pia status --json | field key_id)
as yara grant --media photo --purpose website --guardian-key "$pia_key" --out "$work/pending.txt"
as pia cosign --yes "$work/pending.txt"

step "The teacher scans Sam's code, checks a class photo and publishes it (on a channel for the website)"
as teacher scan --photo "$work/sam-consent.png"
printf 'a class photo of 3B (only its hash leaves the device)' > "$work/class-photo.jpg"
expect_exit 3 as teacher check "$work/class-photo.jpg" --purpose website --group 3B
receipt=$(as teacher check "$work/class-photo.jpg" --purpose website --person 1001 --person "Yara Bakker" --json | field receipt_id)
[ -n "$receipt" ] || fail "no receipt id"
set +e; refused=$(as teacher publish --receipt "$receipt" --channel instagram); got=$?; set -e
printf '%s\n' "$refused"
[ "$got" -eq 3 ] || fail "publishing on instagram after a check for the website exited $got, expected 3"
grep -q "NOT RECORDED: channel instagram is social-media; the check was for website" <<< "$refused" \
  || fail "publishing on instagram after a check for the website was not refused for its channel"
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
as comms publications --csv | grep -q ",website,website,photo,https://school.example/news/1,2,taken_down," \
  || fail "the publications CSV does not list the publication as taken down"
as comms audit verify
as comms report coverage --purpose website --csv

step "Communications audits a copy of the website: the picture never checked and the class photo Sam withdrew from go on the takedown list"
mkdir -p "$work/website"
cp "$work/sam-consent.png" "$work/class-photo.jpg" "$work/website/"
(cd "$work" && expect_exit 3 as comms audit media website)   # a relative path, shown as given
set +e; audit=$(as comms audit media "$work/website" --csv); got=$?; set -e
[ "$got" -eq 3 ] || fail "the audit of a picture never checked exited $got, expected 3"
grep -q "sam-consent.png,never_checked," <<< "$audit" || fail "the never-checked picture is not reported"
# The class photo is text here, so not read as a picture; its SHA-256 still finds its check.
grep -q "class-photo.jpg,consent_withdrawn," <<< "$audit" || fail "the class photo Sam withdrew from is not reported"
expect_exit 3 as comms audit media "$work/website" --take-down
[ "$(as comms audit takedowns --open --json | grep -c '"sha256"')" -eq 2 ] || fail "the takedown list does not hold the two files"
takedown=$(as comms audit takedowns --open --json | number id)
as comms audit takedowns
as comms audit takedown-done "$takedown"

step "Sam loses their phone: the school cuts it off; Sam gives consent again from the new one"
lost_token=$(as sam grant --media photo,video --purpose website,yearbook --json | field token_id)
as sam show "$lost_token" --png "$work/lost-consent.png"
as admin device list --person 1001
lost_key=$(as admin device list --person 1001 --json | field key_id)
as admin device cut-off "$lost_key"
as sam-new enroll "$(as admin enrollment-codes --person 1001 --json | field qr_text)"
lost="signed on a device that was reported lost; give consent again from the new phone"
set +e
checked=$(as teacher check "$work/class-photo.jpg" --purpose website --person 1001); check_exit=$?
scanned=$(as teacher scan --photo "$work/lost-consent.png"); scan_exit=$?
set -e
printf '%s\n%s\n' "$checked" "$scanned"
[ "$check_exit" -eq 3 ] && [ "$scan_exit" -eq 3 ] || fail "the lost phone's consent was not refused"
grep -q "$lost" <<< "$checked" || fail "the check does not say the phone was reported lost"
grep -q "$lost" <<< "$scanned" || fail "the scan does not say the phone was reported lost"
status=$(as sam-new status)
printf '%s\n' "$status"
grep -q "token $lost_token is void: $lost" <<< "$status" || fail "the new phone's status does not call the old consent void"
grep -q "consent grant --media photo,video --purpose website,yearbook" <<< "$status" || fail "no renewal offered"
as sam-new grant --media photo,video --purpose website,yearbook
as teacher check "$work/class-photo.jpg" --purpose website --person 1001

printf '\nwalkthrough passed\n'
