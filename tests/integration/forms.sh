#!/bin/sh
# forms.sh: web forms with double opt-in by real mail, against docs/forms.md. Makes a fresh
# database with the example policy and a read key, starts a real SMTP server (aiosmtpd with
# a Maildir) and four samtycke servers on one database: "main" (forms rate limit out of the
# way), "limited" (--form-rate-limit 3), "future" (its clock pinned 30 days ahead with
# SAMTYCKE_NOW, for expired links) and "nomail" (no --smtp-url). Runs
# tests/integration/forms.test.mjs (node:test, TAP), then stops everything and checks clean
# exits, the access logs and the ledger. Requests to "main" go through Prism's validating proxy
# for docs/openapi.yaml (start_prism in server.inc) except those it cannot carry (form posts,
# whose redirects it would follow; malformed bodies), which are checked by schema.
# Usage: sh tests/integration/forms.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/forms.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

require "node is not installed (these tests need Node 20)" command -v node
require "$py has no aiosmtpd (apt-get install python3-aiosmtpd)" "$py" -c 'import aiosmtpd'
require "no samtycke binary at $bin" test -x "$bin"

scratch forms

setup "$bin" --db "$db" init
setup "$bin" --db "$db" policy apply "$root/examples/policy.yaml"
setup "$bin" --db "$db" keys create --name forms-reader --scope read
KEY_READER=$(cat "$d/setup.out")
if [ -z "$KEY_READER" ] || [ "$(wc -l <"$d/setup.out")" -ne 1 ]; then
	echo "not ok - setup: keys create prints the new key alone on one line"
	exit 1
fi

# Seven distinct free loopback ports, held open together while they are picked.
setup node -e '
const net = require("net");
(async () => {
	const ss = [];
	for (let i = 0; i < 7; i++) {
		const s = net.createServer();
		await new Promise((r) => s.listen(0, "127.0.0.1", r));
		ss.push(s);
	}
	console.log(ss.map((s) => s.address().port).join(" "));
	ss.forEach((s) => s.close());
})();'
# shellcheck disable=SC2046 # five words on purpose
set -- $(cat "$d/setup.out")
smtp_port=$1
main_port=$2
lim_port=$3
fut_port=$4
nomail_port=$5
hole_port=$6
slow_port=$7

start_smtp "$smtp_port"

# start NAME PORT ARGS...: starts a server on PORT (in the environment $server_env, with the
# mail options $mail_args) with its public URL there; waits up to 10 s for its "listening on"
# line; sets $pid.
start() {
	name=$1
	port=$2
	shift 2
	# shellcheck disable=SC2086 # server_env and mail_args are lists of words
	env $server_env "$bin" --db "$db" serve --listen "127.0.0.1:$port" --public-url "http://127.0.0.1:$port" \
		--rate-limit 0 $mail_args --pending-days 0 "$@" >"$d/$name.out" 2>"$d/$name.log" &
	pid=$!
	pids="$pids $pid"
	i=0
	while [ $i -lt 100 ]; do
		grep -qx "listening on http://127.0.0.1:$port" "$d/$name.out" 2>/dev/null && return 0
		alive "$pid" || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "not ok - server $name printed 'listening on http://127.0.0.1:$port' within 10 s"
	sed 's/^/#   out: /' "$d/$name.out" | head -20
	sed 's/^/#   err: /' "$d/$name.log" | head -20
	exit 1
}

server_env=""
mail_args="--smtp-url smtp://127.0.0.1:$smtp_port --mail-from noreply@example.com"
start main "$main_port" --form-rate-limit 100000
main_pid=$pid
start limited "$lim_port" --form-rate-limit 3
lim_pid=$pid
future=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
server_env="SAMTYCKE_NOW=$future"
# no mail: its clock would find every request lapsed; it only follows links
mail_args=""
start future "$fut_port" --form-rate-limit 100000
fut_pid=$pid
server_env=""
mail_args=""
start nomail "$nomail_port" --form-rate-limit 100000
nomail_pid=$pid
# "slow": its mail server accepts connections and never says a word
node -e 'require("net").createServer(() => {}).listen(+process.argv[1], "127.0.0.1")' "$hole_port" \
	>/dev/null 2>&1 &
hole_pid=$!
pids="$pids $hole_pid"
# on a database of its own, so that its stuck worker cannot take the others' mail
slow_db=$(newdb slow)
setup "$bin" --db "$slow_db" init
setup "$bin" --db "$slow_db" policy apply "$root/examples/policy.yaml"
setup "$bin" --db "$slow_db" keys create --name slow-reader --scope read
KEY_SLOW=$(cat "$d/setup.out")
mail_args="--smtp-url smtp://127.0.0.1:$hole_port --mail-from noreply@example.com"
main_db=$db
db=$slow_db
start slow "$slow_port" --form-rate-limit 100000
slow_pid=$pid
db=$main_db
mail_args=""
start_prism main "http://127.0.0.1:$main_port"

export SK_SOURCE_ROOT="$root" SAMTYCKE="$bin" SK_DB="$db" SK_TMP="$d" KEY_READER
export FORMS_URL="http://127.0.0.1:$main_port" FORMS_URL_LIMITED="http://127.0.0.1:$lim_port"
export FORMS_URL_FUTURE="http://127.0.0.1:$fut_port" SK_FUTURE_NOW="$future"
export FORMS_URL_NOMAIL="http://127.0.0.1:$nomail_port" FORMS_URL_SLOW="http://127.0.0.1:$slow_port" KEY_SLOW
export FORMS_URL_PRISM="$prism_url"
export SK_MAILDIR="$maildir" SK_PYTHON="$py" SK_TEST_REPORT="$d/report"

cd "$root" || exit 1
node_tap timeout 300 node --test --test-reporter=tap tests/integration/forms.test.mjs
if [ "$node_status" -ne 0 ]; then
	echo "# node --test exited with status $node_status"
fi

check_prism main
stop main "$main_pid"
stop limited "$lim_pid"
stop future "$fut_pid"
stop nomail "$nomail_pid"
# stopping while its mail worker waits on the silent mail server is still prompt
stop slow "$slow_pid"
kill -KILL "$hole_pid" 2>/dev/null
kill -TERM "$smtp_pid" 2>/dev/null
wait "$smtp_pid" 2>/dev/null

# The access logs: no address (whole or URL-encoded) and no confirmation token.
for name in main limited future nomail slow; do
	log="$d/$name.log"
	leak=""
	if [ -s "$d/report.emails" ]; then
		leak=$(grep -iF -f "$d/report.emails" "$log" | head -3)
	fi
	[ -z "$leak" ] && leak=$(grep -iE '@|%40|example\.com|\.example\b' "$log" | head -3)
	if [ -z "$leak" ] && [ -s "$d/report.tokens" ]; then
		leak=$(grep -F -f "$d/report.tokens" "$log" | head -3)
	fi
	if [ -z "$leak" ]; then
		pass "access log of $name holds no e-mail address and no confirmation token"
	else
		fail "access log of $name holds no e-mail address and no confirmation token" "$leak"
	fi
done

# The mail server saw only well-formed deliveries (aiosmtpd logs a failed one).
if grep -qiE 'traceback|error' "$d/smtp.err" "$d/smtp.out"; then
	fail "aiosmtpd reported no errors" "$(grep -iE -m5 'traceback|error' "$d/smtp.err" "$d/smtp.out")"
else
	pass "aiosmtpd reported no errors"
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
