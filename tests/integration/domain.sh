#!/bin/sh
# domain.sh: what a database tampered with through the sqlite3 shell (psql on PostgreSQL)
# reads as, now that core hands out enums instead of the stored words (docs/internals/core.md, "Domain structs"): a
# status that is no word reads as unknown, is denied by the gate and is repaired by replay;
# an action, method or change type that is no word fails the read as corrupt, naming the
# table and column and never the word, on the command line and in the API's change feed.
# Usage: sh tests/integration/domain.sh path/to/samtycke
set -u
bin=$1
. "$(dirname "$0")/tap.inc"
root=${SK_SOURCE_ROOT:-.}
d=$tap_dir
unset SAMTYCKE_KEY_FILE SAMTYCKE_NOW
SAMTYCKE_DB=$(newdb t)
export SAMTYCKE_DB SAMTYCKE_KEY_FILE="$d/t.key"
sk() { run "$bin" "$@"; }
db() { dbsql "$SAMTYCKE_DB" "$1"; }

if ! on_pg && ! command -v sqlite3 >/dev/null; then
	echo "1..0 # SKIP the sqlite3 shell is not installed"
	exit 0
fi

sk init
expect "init" 0 "key file"
sk policy apply "$root/examples/policy.yaml"
expect "policy applies" 0 "policy version 1 applied"
sk consent give dora@example.com offers --method api --source crm
expect "a consent to offers" 0 "offers is now given"
sk consent give dora@example.com newsletter --method form --source form:nl
expect "a consent to the newsletter" 0 "newsletter is now given"

# ---- a status that is no word ----
db "UPDATE consent_state SET status = 'granted' WHERE purpose = 'offers'"
sk --json consent show dora@example.com
expect "consent show reads the tampered status as unknown" 0 '"status":"unknown"'
ok "(and never prints the stored word)" test "$(printf '%s' "$out" | grep -c granted)" -eq 0
sk check dora@example.com offers
expect "the gate denies a tampered status" 1 "denied no_consent"
sk check dora@example.com newsletter
expect "(an untouched state still allows)" 0 "allowed consent"
sk ledger replay --check
expect "replay names what it found" 1 "offers: stored unknown, ledger says given"
sk ledger replay
expect "replay rebuilds it" 1 "rebuilt from the ledger"
sk check dora@example.com offers
expect "after replay the gate allows again" 0 "allowed consent"

# ---- an action or a method that is no word ----
seq=$(db "SELECT seq FROM consent_ledger WHERE purpose = 'newsletter'")
db "UPDATE consent_ledger SET action = 'grant' WHERE seq = $seq"
sk consent show dora@example.com
expect "consent show fails on a tampered action, naming the column" 3 "consent_ledger.action"
ok "(and not the word)" test "$(printf '%s%s' "$out" "$err" | grep -c grant)" -eq 0
sk consent proof dora@example.com newsletter
expect "consent proof fails the same way" 3 "consent_ledger.action"
sk consent proof dora@example.com offers
expect "(the proof of another purpose still reads)" 0 "action:      give"
sk export dora@example.com
expect "export fails rather than hand out the row" 3 "consent_ledger.action"
sk audit verify
expect "audit verify finds the row" 1 "first bad sequence number $seq"
db "UPDATE consent_ledger SET action = 'give', method = 'carrier_pigeon' WHERE seq = $seq"
sk --json consent show dora@example.com
expect "a tampered method is corrupt too" 3 "consent_ledger.method"
db "UPDATE consent_ledger SET method = 'form' WHERE seq = $seq"
sk audit verify
expect "(the row as written again: the chain is whole)" 0 "ledger whole"
sk --json consent show dora@example.com
expect "history reads again" 0 '"method":"form"'

# ---- a change type that is no word, in the API's change feed ----
key=$("$bin" keys create --name reader --scope read)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --listen "127.0.0.1:$port" --rate-limit 0 >"$d/serve.out" 2>"$d/serve.log" &
pid=$!
i=0
while ! grep -q "listening on" "$d/serve.out" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
feed() {
	run curl -s -o "$d/feed.json" -w '%{http_code}' -H "Authorization: Bearer $key" \
		"http://127.0.0.1:$port/v1/changes?after=0"
	out="$out $(cat "$d/feed.json")"
}
feed
expect "the change feed answers" 0 "200"
ok "(it lists consent changes)" grep -q '"type":"consent","contact_id"' "$d/feed.json"
db "UPDATE changes SET type = 'rumour' WHERE seq = (SELECT MAX(seq) FROM changes)"
feed
expect "a tampered change type fails the feed, naming the column" 0 "changes.type"
ok "(as a server error, not a list)" test "${out%% *}" = 500
ok "(never naming the word)" test "$(grep -c rumour "$d/feed.json")" -eq 0
db "UPDATE changes SET type = 'consent' WHERE seq = (SELECT MAX(seq) FROM changes)"
db "UPDATE changes SET status = 'granted' WHERE seq = (SELECT MAX(seq) FROM changes)"
feed
expect "a tampered change status reads as no status" 0 "200"
last=$(python3 -c 'import json, sys; c = json.load(open(sys.argv[1]))["changes"][-1]; print(c["type"], c["status"])' "$d/feed.json")
ok "(null, not the stored word)" test "$last" = "consent None"
kill -TERM "$pid"
wait "$pid"
ok "the server stops cleanly" test $? -eq 0

done_testing
