#!/bin/sh
# gate_unreadable.sh: the gate fails closed on a running server. A server answers checks,
# then another program (the sqlite3 shell, or psql on PostgreSQL) takes away the table the
# gate reads (consent_state); every check after that, of an address it answered before (allowed,
# perhaps kept in memory) or never asked about, is 200 with "allowed":false and
# "reason":"error" (docs/api.md), never allowed, and the server keeps running.
# Usage: sh tests/integration/gate_unreadable.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/gate_unreadable.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
require "no samtycke binary at $bin" test -x "$bin"
require "curl is not installed" command -v curl

scratch unreadable
sk() { "$bin" --db "$db" "$@"; }
cases=0
case_ok() { cases=$((cases + 1)); pass "$1"; }
case_fail() { cases=$((cases + 1)); fail "$@"; }

setup sk init
setup sk policy apply "$root/examples/policy.yaml"
newkey KEY reader read
setup sk consent give anna@example.com newsletter --method api --source test
setup sk consent give bo@example.com newsletter --method api --source test

# One HTTP thread: its database connection is opened by the first check, before the table
# goes, so every later check reaches the gate. (A thread that opened its connection only
# after that could not prepare its statements, nor so check the key: 500 storage_error,
# which denies too but is not the gate's answer this test is about.)
"$bin" --db "$db" serve --listen 127.0.0.1:0 --threads 1 --rate-limit 0 >"$d/serve.out" \
	2>"$d/serve.log" &
pid=$!
pids="$pids $pid"
url=""
i=0
while [ $i -lt 100 ] && [ -z "$url" ]; do
	url=$(sed -n 's|^listening on \(http://127\.0\.0\.1:[0-9][0-9]*\)$|\1|p' "$d/serve.out" 2>/dev/null)
	alive "$pid" || break
	[ -n "$url" ] || sleep 0.1
	i=$((i + 1))
done
if [ -z "$url" ]; then
	echo "not ok - the server printed 'listening on' within 10 s"
	sed 's/^/#   /' "$d/serve.log" | head -20
	exit 1
fi

# denied TEXT: the answer(s) in TEXT: 200, allowed:false with reason error, none allowed
denied() {
	! has '"allowed":true' "$1" && has '"allowed":false' "$1" && has '"reason":"error"' "$1" &&
		has ' 200' "$1"
}

# check USER: status and body of one check of USER@example.com for the newsletter, as
# "STATUS BODY"
check() {
	curl -sS -H "Authorization: Bearer $KEY" -w ' %{http_code}' \
		"$url/v1/check?email=$1%40example.com&purpose=newsletter"
}
has() { printf '%s' "$2" | grep -qF -- "$1"; }

# positive control: while the database is whole, the same server allows (three times, so
# that a later answer could come from memory)
a=$(check anna; check anna; check anna)
if has '"allowed":true' "$a" && ! has '"allowed":false' "$a" && has '"reason":"consent"' "$a"; then
	case_ok "before: a check of a given consent is allowed (reason consent)"
else
	case_fail "before: a check of a given consent is allowed (reason consent)" "$a"
fi

# the gate's table goes, committed by another program
if on_pg; then
	require "psql is not installed" test -x "$pg_bin/psql"
else
	require "the sqlite3 shell is not installed" command -v sqlite3
fi
setup dbsql "$db" "DROP TABLE consent_state"

for who in anna bo carl; do
	a=$(check "$who")
	if denied "$a"; then
		case_ok "after: a check of $who@example.com is 200 allowed:false, reason error"
	else
		case_fail "after: a check of $who@example.com is 200 allowed:false, reason error" "$a"
	fi
done
a=$(curl -sS -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
	-w ' %{http_code}' -d '{"purpose":"newsletter","emails":["anna@example.com","bo@example.com"]}' \
	"$url/v1/check")
if denied "$a"; then
	case_ok "after: POST /v1/check denies every address, reason error"
else
	case_fail "after: POST /v1/check denies every address, reason error" "$a"
fi
if alive "$pid"; then
	case_ok "the server still runs"
else
	case_fail "the server still runs" "$(tail -5 "$d/serve.log")"
fi
kill -KILL "$pid" 2>/dev/null
echo "1..$cases"
[ "$failed" -eq 0 ]
