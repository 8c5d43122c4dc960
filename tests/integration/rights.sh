#!/bin/sh
# rights.sh: data-subject rights and disposal (docs/rights.md) against the real binary:
# export, rectification audit, erasure that leaves no byte of the person in any database
# file, suppression on every path back, the double opt-in way back, withdrawal clean-up,
# retention purge (with SAMTYCKE_NOW moving the clock) and a purge killed midway. Makes a
# fresh database with the example policy and one API key per role, starts a real SMTP server
# (aiosmtpd with a Maildir) and a samtycke server on that database, and runs
# tests/integration/rights.test.mjs (node:test, TAP); that file makes its own databases and
# servers for the canary, purge and kill cases. Then stops the server and checks its clean
# exit, its access log and the ledger. Requests to the server go through Prism's validating
# proxy for docs/openapi.yaml (start_prism in server.inc), except form posts and bodies it
# cannot carry, which are checked by schema (tests/integration/spec.mjs).
# Usage: sh tests/integration/rights.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/rights.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

require "node is not installed (these tests need Node 20)" command -v node
require "$py has no aiosmtpd (apt-get install python3-aiosmtpd)" "$py" -c 'import aiosmtpd'
if on_pg; then
	require "psql is not installed (these tests read the database with it)" test -x "$pg_bin/psql"
else
	require "the sqlite3 shell is not installed (these tests read the database with it)" command -v sqlite3
fi
require "no samtycke binary at $bin" test -x "$bin"

d=$(mktemp -d /tmp/samtycke-rights.XXXXXX)
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
mkdir "$d/main"
db="$d/main/t.db" # alone in its folder, which the scans read
on_pg && db=$(newdb t)
unset SAMTYCKE_DB SAMTYCKE_KEY_FILE SAMTYCKE_NOW SAMTYCKE_SMTP_PASSWORD
# The key file is named (where SQLite would imply it): a PostgreSQL store has no file beside it.
export SAMTYCKE_KEY_FILE="$d/main/t.db.key"

setup "$bin" --db "$db" init
setup "$bin" --db "$db" policy apply "$root/examples/policy.yaml"
newkey KEY_DSR privacy dsr
newkey KEY_READER reader read
newkey KEY_WRITER writer write
newkey KEY_CRM crm read,write
newkey KEY_REVOKED oldsync read
setup "$bin" --db "$db" keys revoke oldsync

# Two distinct free loopback ports, held open together while they are picked.
setup node -e '
const net = require("net");
(async () => {
	const ss = [];
	for (let i = 0; i < 2; i++) {
		const s = net.createServer();
		await new Promise((r) => s.listen(0, "127.0.0.1", r));
		ss.push(s);
	}
	console.log(ss.map((s) => s.address().port).join(" "));
	ss.forEach((s) => s.close());
})();'
# shellcheck disable=SC2046 # two words on purpose
set -- $(cat "$d/setup.out")
smtp_port=$1
main_port=$2

start_smtp "$smtp_port"

smtp_url="smtp://127.0.0.1:$smtp_port"
"$bin" --db "$db" serve --listen "127.0.0.1:$main_port" --public-url "http://127.0.0.1:$main_port" \
	--rate-limit 0 --form-rate-limit 100000 --pending-days 0 --threads 4 \
	--smtp-url "$smtp_url" --mail-from noreply@example.com >"$d/main.out" 2>"$d/main.log" &
main_pid=$!
pids="$pids $main_pid"
i=0
while ! grep -qx "listening on http://127.0.0.1:$main_port" "$d/main.out"; do
	i=$((i + 1))
	if [ $i -ge 100 ] || ! alive "$main_pid"; then
		echo "not ok - server main printed 'listening on http://127.0.0.1:$main_port' within 10 s"
		sed 's/^/#   out: /' "$d/main.out" | head -20
		sed 's/^/#   err: /' "$d/main.log" | head -20
		exit 1
	fi
	sleep 0.1
done

start_prism main "http://127.0.0.1:$main_port"
export BASE_URL_PRISM="$prism_url"
export SK_SOURCE_ROOT="$root" SAMTYCKE="$bin" SK_DB="$db" SK_TMP="$d" SK_KEY_FILE="$SAMTYCKE_KEY_FILE"
export BASE_URL="http://127.0.0.1:$main_port" SK_SMTP_URL="$smtp_url"
export KEY_DSR KEY_READER KEY_WRITER KEY_CRM KEY_REVOKED
export SK_MAILDIR="$maildir" SK_PYTHON="$py" SK_TEST_REPORT="$d/report"

cd "$root" || exit 1
node_tap timeout 400 node --test --test-reporter=tap tests/integration/rights.test.mjs
if [ "$node_status" -ne 0 ]; then
	echo "# node --test exited with status $node_status"
fi

check_prism main

# SIGTERM, then the server must exit with status 0 within 5 s.
kill -TERM "$main_pid" 2>/dev/null
i=0
while alive "$main_pid" && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
if alive "$main_pid"; then
	kill -KILL "$main_pid" 2>/dev/null
	wait "$main_pid" 2>/dev/null
	fail "server main exited within 5 s of SIGTERM"
else
	wait "$main_pid"
	st=$?
	if [ "$st" -eq 0 ]; then
		pass "server main exited cleanly (status 0) on SIGTERM"
	else
		fail "server main exited cleanly (status 0) on SIGTERM" "status $st" "$(tail -5 "$d/main.log")"
	fi
fi
kill -TERM "$smtp_pid" 2>/dev/null
wait "$smtp_pid" 2>/dev/null

# The access log: no address (whole or URL-encoded), though suppression checks and exports
# carried addresses in their query strings.
log="$d/main.log"
leak=""
if [ -s "$d/report.emails" ]; then
	leak=$(grep -iF -f "$d/report.emails" "$log" | head -3)
fi
[ -z "$leak" ] && leak=$(grep -iE '@|%40|example\.com|\.example\b' "$log" | head -3)
if [ -z "$leak" ]; then
	pass "access log of main holds no e-mail address"
else
	fail "access log of main holds no e-mail address" "$leak"
fi

for cmd in "audit verify" "ledger replay --check"; do
	# shellcheck disable=SC2086 # cmd is two or three words on purpose
	if "$bin" --db "$db" $cmd >"$d/after.out" 2>&1; then
		pass "after shutdown: $cmd"
	else
		fail "after shutdown: $cmd" "$(head -5 "$d/after.out")"
	fi
done

plan
[ "$failed" -eq 0 ] && [ "$node_status" -eq 0 ]
