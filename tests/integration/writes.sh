#!/bin/sh
# writes.sh: group commit for API writes (docs/internals/group-commit.md) against the real
# binary and server: 64 concurrent POST /v1/consents each get 201 with their own event and
# one event each in the ledger; good and refused requests in the same groups; ten concurrent
# retries with one Idempotency-Key append one event; a full write queue (--write-queue 1,
# the writer held up by another process's write lock) answers 503 with Retry-After and
# stores nothing, as does a group that cannot take the write lock (503 busy with
# Retry-After) and a write whose key is revoked while it waits (401); SIGTERM with writes
# queued answers every one of them and exits cleanly;
# the ledger chain is whole after each step.
# Usage: sh tests/integration/writes.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/writes.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

require "curl is not installed" command -v curl
if on_pg; then
	require "psql is not installed (this test counts ledger rows with it)" test -x "$pg_bin/psql"
else
	require "the sqlite3 shell is not installed (this test counts ledger rows with it)" command -v sqlite3
	require "$py has no sqlite3 module" "$py" -c 'import sqlite3'
fi
require "no samtycke binary at $bin" test -x "$bin"

scratch writes

setup "$bin" --db "$db" init
setup "$bin" --db "$db" policy apply "$root/examples/policy.yaml"
newkey KEY writer write

# start NAME ARGS...: a server (server.inc start_server) without rate limit, 256 clients.
start() {
	n=$1
	shift
	start_server "$n" --rate-limit 0 --max-client-connections 256 "$@"
}

events() { dbsql "$db" 'SELECT count(*) FROM consent_ledger'; }

# bg_post ARGS...: post in the background; wait_posts waits for all of them (not for the
# servers, which are background processes too).
posts=""
bg_post() {
	post "$@" &
	posts="$posts $!"
}
wait_posts() {
	for j in $posts; do wait "$j"; done
	posts=""
}

# post TAG URL EMAIL [PURPOSE [IDEMPOTENCY-KEY]]: one POST /v1/consents; the status goes to
# $d/TAG.code, the body to $d/TAG.json, the headers to $d/TAG.hdr.
post() {
	idem=""
	[ $# -ge 5 ] && idem="Idempotency-Key: $5"
	curl -s --max-time 30 -o "$d/$1.json" -D "$d/$1.hdr" -w '%{http_code}' \
		-H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
		${idem:+-H "$idem"} \
		-d "{\"email\":\"$3\",\"purpose\":\"${4:-newsletter}\",\"action\":\"give\"}" \
		"$2/v1/consents" >"$d/$1.code"
}

# codes PREFIX N: the status codes of PREFIX1 .. PREFIXN, sorted and counted
codes() {
	k=1
	while [ $k -le "$2" ]; do
		cat "$d/$1$k.code"
		echo
		k=$((k + 1))
	done | sort | uniq -c | sed 's/^ *//' | tr '\n' ' '
}

# ok NAME TEST...: one case, passed when the test succeeds.
ok() {
	name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

audit_ok() {
	if "$bin" --db "$db" audit verify >"$d/audit.out" 2>&1; then
		pass "audit verify: the chain is whole $1"
	else
		fail "audit verify: the chain is whole $1" "$(cat "$d/audit.out")"
	fi
}

start main --threads 2
main_url=$url
main_pid=$pid

# ---- 64 concurrent writes ----
before=$(events)
k=1
while [ $k -le 64 ]; do
	bg_post "c$k" "$main_url" "conc$k@example.com"
	k=$((k + 1))
done
wait_posts
got=$(codes c 64)
if [ "$got" = "64 201 " ]; then
	pass "64 concurrent POST /v1/consents: every one 201"
else
	fail "64 concurrent POST /v1/consents: every one 201" "$got"
fi
after=$(events)
if [ "$after" -eq $((before + 64)) ]; then
	pass "64 concurrent POSTs: 64 events in the ledger"
else
	fail "64 concurrent POSTs: 64 events in the ledger" "before $before, after $after"
fi
nseq=$(sed -n 's/.*"ledger_seq":\([0-9]*\).*/\1/p' "$d"/c*.json | sort -u | wc -l)
ncontact=$(sed -n 's/.*"contact_id":"\([^"]*\)".*/\1/p' "$d"/c*.json | sort -u | wc -l)
if [ "$nseq" -eq 64 ] && [ "$ncontact" -eq 64 ]; then
	pass "each of the 64 answers names its own event and contact"
else
	fail "each of the 64 answers names its own event and contact" "$nseq seqs, $ncontact contacts"
fi
# every answered seq is in the ledger with the contact the answer names
bad=0
for f in "$d"/c*.json; do
	s=$(sed -n 's/.*"ledger_seq":\([0-9]*\).*/\1/p' "$f")
	c=$(sed -n 's/.*"contact_id":"\([^"]*\)".*/\1/p' "$f")
	[ "$(dbsql "$db" "SELECT count(*) FROM consent_ledger WHERE seq = $s AND contact_id = '$c'")" = 1 ] || bad=$((bad + 1))
done
ok "each answered event is stored as answered" test "$bad" -eq 0
audit_ok "after 64 concurrent writes"

# ---- good and refused requests in the same groups ----
before=$(events)
k=1
while [ $k -le 20 ]; do
	bg_post "g$k" "$main_url" "mixed$k@example.com"
	bg_post "b$k" "$main_url" "mixedbad$k@example.com" no_such_purpose
	k=$((k + 1))
done
wait_posts
got="$(codes g 20)/ $(codes b 20)"
if [ "$got" = "20 201 / 20 422 " ]; then
	pass "20 good and 20 refused concurrent POSTs: 201 for each good one, 422 for each refused one"
else
	fail "20 good and 20 refused concurrent POSTs: 201 for each good one, 422 for each refused one" "$got"
fi
ok "the refused ones name their error" grep -q unknown_purpose "$d/b1.json"
after=$(events)
ok "good and refused together: 20 events in the ledger" test "$after" -eq $((before + 20))
audit_ok "after groups with refused writes"

# ---- idempotency under concurrency ----
before=$(events)
k=1
while [ $k -le 10 ]; do
	bg_post "i$k" "$main_url" "retry@example.com" newsletter "same-key-1"
	k=$((k + 1))
done
wait_posts
got=$(codes i 10)
nbody=$(for f in "$d"/i*.json; do cat "$f"; echo; done | sort -u | wc -l)
after=$(events)
if [ "$got" = "10 201 " ] && [ "$nbody" -eq 1 ] && [ "$after" -eq $((before + 1)) ]; then
	pass "10 concurrent retries with one Idempotency-Key: one event, the same 201 answer for each"
else
	fail "10 concurrent retries with one Idempotency-Key: one event, the same 201 answer for each" \
		"codes $got" "$nbody distinct bodies" "events $before -> $after"
fi

# ---- a full queue ----
# lock SECONDS [SQL]: another process holds the database's write lock for SECONDS (the writer
# waits for it, up to the busy timeout of 5 s), runs SQL (if any) and commits. Sets lock_pid
# once it holds it. On SQLite the lock is BEGIN IMMEDIATE (Python's sqlite3); on PostgreSQL
# psql takes the transaction-level advisory lock the backend's writers take (src/store/pg.c).
pg_write_lock="pg_advisory_xact_lock(8313416780553988963)" # PG_WRITER_LOCK
lock() {
	rm -f "$d/locked"
	if on_pg; then
		{
			echo "BEGIN;"
			echo "SELECT $pg_write_lock;"
			printf '%s\n' "\\! touch '$d/locked'"
			echo "SELECT pg_sleep($1);"
			[ -n "${2:-}" ] && echo "$2;"
			echo "COMMIT;"
		} | "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null &
	else
		"$py" -c '
import sqlite3, sys, time, pathlib
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
pathlib.Path(sys.argv[3]).touch()
time.sleep(float(sys.argv[2]))
if sys.argv[4]:
    c.execute(sys.argv[4])
c.execute("COMMIT")' "$db" "$1" "$d/locked" "${2:-}" &
	fi
	lock_pid=$!
	pids="$pids $lock_pid"
	i=0
	while [ ! -e "$d/locked" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}

start queue --threads 2 --write-queue 1
q_url=$url
q_pid=$pid
before=$(events)
lock 3
bg_post qa "$q_url" "queue-a@example.com"
sleep 0.5 # the writer has taken qa and waits for the lock
bg_post qb "$q_url" "queue-b@example.com"
sleep 0.5 # qb waits in the queue's one place
post qc "$q_url" "queue-c@example.com"
if [ "$(cat "$d/qc.code")" = 503 ] && grep -qi '^Retry-After: 1' "$d/qc.hdr" &&
	grep -q '"busy"' "$d/qc.json" && grep -q 'write queue is full' "$d/qc.json"; then
	pass "a write past --write-queue is 503 busy with Retry-After, at once"
else
	fail "a write past --write-queue is 503 busy with Retry-After, at once" \
		"$(cat "$d/qc.code")" "$(cat "$d/qc.hdr")" "$(cat "$d/qc.json")"
fi
wait_posts
got="$(cat "$d/qa.code") $(cat "$d/qb.code")"
ok "the queued writes are answered 201 once the lock is gone" test "$got" = "201 201"
after=$(events)
ok "a full queue stores nothing of the refused write (2 events, not 3)" test "$after" -eq $((before + 2))
audit_ok "after a full queue"

# ---- the writer cannot take the write lock within the busy timeout ----
before=$(events)
lock 7
post gb "$q_url" "group-busy@example.com"
if [ "$(cat "$d/gb.code")" = 503 ] && grep -qi '^Retry-After: 1' "$d/gb.hdr" &&
	grep -q '"busy"' "$d/gb.json"; then
	pass "a group that cannot take the write lock is 503 busy with Retry-After"
else
	fail "a group that cannot take the write lock is 503 busy with Retry-After" \
		"$(cat "$d/gb.code")" "$(cat "$d/gb.hdr")" "$(cat "$d/gb.json")"
fi
wait "$lock_pid"
ok "the busy group stored nothing" test "$(events)" -eq "$before"

# ---- a key revoked while its write waits in the queue ----
# The key is checked when the request comes (it is valid then), the write waits for the lock,
# and the other process revokes the key before it lets go: the write must store nothing.
newkey LATE late write
before=$(events)
now_sql="strftime('%s', 'now')"
on_pg && now_sql="extract(epoch from now())::bigint"
lock 1.5 "UPDATE api_keys SET revoked_at = $now_sql WHERE name = 'late'"
saved_key=$KEY
KEY=$LATE
post rv "$q_url" "revoked-wait@example.com"
KEY=$saved_key
wait "$lock_pid"
ok "a write whose key was revoked while it waited is 401" test "$(cat "$d/rv.code")" = 401
ok "... and stores nothing" test "$(events)" -eq "$before"

# ---- SIGTERM with writes queued ----
before=$(events)
lock 2
k=1
while [ $k -le 3 ]; do
	bg_post "t$k" "$q_url" "term$k@example.com"
	k=$((k + 1))
	sleep 0.2
done
kill -TERM "$q_pid"
wait_posts
got=$(codes t 3)
n201=$(grep -l '^201$' "$d"/t?.code 2>/dev/null | wc -l)
case $got in
*000*) fail "SIGTERM with writes queued: every client gets an answer" "$got" ;;
*) pass "SIGTERM with writes queued: every client gets an answer ($got)" ;;
esac
stop queue "$q_pid"
after=$(events)
ok "SIGTERM: exactly the writes answered 201 are stored" test "$after" -eq $((before + n201))
audit_ok "after a stop with writes queued"

stop main "$main_pid"
audit_ok "at the end"
plan
[ "$failed" -eq 0 ]
