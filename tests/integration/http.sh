#!/bin/sh
# http.sh: the HTTP API of the real samtycke binary, against docs/api.md. Makes a fresh
# database with the example policy and one API key per role, starts two servers on random
# loopback ports (one without rate limiting for the functional tests, one with
# --rate-limit 5 --timeout 2 for the limit tests), runs tests/integration/http.test.mjs
# (node:test, TAP), then checks the access logs and the shutdown on SIGTERM. A third server
# ("guarded": default connection caps, --trusted-proxy 127.0.0.3, --form-rate-limit 2) is for
# the abuse limits. The functional tests reach the main server through Prism's validating
# proxy for docs/openapi.yaml (start_prism in server.inc; BASE_URL is the proxy, BASE_URL_DIRECT
# the server), and the run fails on anything the spec does not describe.
# Usage: sh tests/integration/http.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/http.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

if [ ! -d "$root/node_modules/ajv" ] || [ ! -d "$root/node_modules/ajv-draft-04" ]; then
	echo "not ok - node_modules missing: run npm ci"
	exit 1
fi
require "node is not installed (these tests need Node 20)" command -v node
require "no samtycke binary at $bin" test -x "$bin"

scratch http

setup "$bin" --db "$db" init
setup "$bin" --db "$db" policy apply "$root/examples/policy.yaml"
newkey KEY_ADMIN admin read,write,dsr,admin
newkey KEY_READER reader read
newkey KEY_WRITER writer write
newkey KEY_CRM crm read,write
newkey KEY_MA ma read,write
newkey KEY_REVOKED revoked read
newkey KEY_LIMITED limited read
setup "$bin" --db "$db" keys revoke revoked
setup "$bin" --db "$db" keys list
if grep -qF -- "$KEY_ADMIN" "$d/setup.out" "$d/setup.err"; then
	fail "keys list never shows a key itself"
else
	pass "keys list never shows a key itself"
fi

# the servers (server.inc start_server)
start_server main --rate-limit 0 --threads 4
main_pid=$pid
main_url=$url
start_server limited --rate-limit 5 --timeout 2
lim_pid=$pid
lim_url=$url
start_server guarded --rate-limit 0 --trusted-proxy 127.0.0.3/32 --trusted-proxy fd00::/8 \
	--form-rate-limit 2
guard_pid=$pid
guard_url=$url
start_prism main "$main_url"

# Bad values of the new options are usage errors (exit 2) that name the option.
for bad in "--trusted-proxy 10.0.0.0/33" "--trusted-proxy example.com" \
	"--max-client-connections 0" "--max-connections x"; do
	# shellcheck disable=SC2086 # bad is an option and its value on purpose
	"$bin" --db "$db" serve --listen 127.0.0.1:0 $bad >"$d/bad.out" 2>"$d/bad.err"
	st=$?
	opt=${bad%% *}
	if [ "$st" -eq 2 ] && grep -q -- "${opt#--}" "$d/bad.err"; then
		pass "serve $bad is a usage error naming the option"
	else
		fail "serve $bad is a usage error naming the option" "exit $st" "$(head -3 "$d/bad.err")"
	fi
done

# Under a low open-file limit the connection cap is lowered to what fits, and said so.
(ulimit -n 400 && exec "$bin" --db "$db" serve --listen 127.0.0.1:0) >"$d/nofile.out" 2>"$d/nofile.err" &
nofile_pid=$!
pids="$pids $nofile_pid"
i=0
while [ $i -lt 100 ] && ! grep -q '^listening on' "$d/nofile.out" && alive "$nofile_pid"; do
	sleep 0.1
	i=$((i + 1))
done
if grep -q '^listening on' "$d/nofile.out" &&
	grep -q -- '--max-connections 1000 lowered to 64 by the open-file limit' "$d/nofile.err"; then
	pass "with ulimit -n 400 the server says it lowers --max-connections to 64"
else
	fail "with ulimit -n 400 the server says it lowers --max-connections to 64" \
		"$(head -3 "$d/nofile.out" "$d/nofile.err")"
fi
stop nofile "$nofile_pid"

export SK_SOURCE_ROOT="$root" SAMTYCKE="$bin" SK_DB="$db"
export BASE_URL="$prism_url" BASE_URL_DIRECT="$main_url" BASE_URL_LIMITED="$lim_url" SK_LIMITED_TIMEOUT=2 SK_LIMITED_RATE=5
export BASE_URL_GUARDED="$guard_url"
export KEY_ADMIN KEY_READER KEY_WRITER KEY_CRM KEY_MA KEY_REVOKED KEY_LIMITED
export SK_TEST_REPORT="$d/report"

cd "$root" || exit 1
node_tap timeout 300 node --test --test-reporter=tap tests/integration/http.test.mjs
if [ "$node_status" -ne 0 ]; then
	echo "# node --test exited with status $node_status"
fi

# checklog NAME COUNT: the access log has one line per request the tests made and no
# personal data (no address, whole or URL-encoded, nor any '@').
checklog() {
	log="$d/$1.log"
	lines=$(wc -l <"$log")
	if [ -z "$2" ]; then
		fail "access log of $1 has one line per request" "the tests wrote no request count"
	elif [ "$lines" -eq "$2" ]; then
		pass "access log of $1 has one line per request ($lines)"
	else
		fail "access log of $1 has one line per request" "$2 requests answered, $lines log lines" \
			"$(tail -5 "$log")"
	fi
	leak=""
	if [ -s "$d/report.emails" ]; then
		leak=$(grep -iF -f "$d/report.emails" "$log" | head -3)
	fi
	[ -z "$leak" ] && leak=$(grep -iE '@|%40|example\.com|\.example\b' "$log" | head -3)
	if [ -z "$leak" ]; then
		pass "access log of $1 holds no e-mail address"
	else
		fail "access log of $1 holds no e-mail address" "$leak"
	fi
}

check_prism main
stop main "$main_pid"
stop limited "$lim_pid"
stop guarded "$guard_pid"
if [ -r "$d/report" ]; then
	main_count=$(sed -n 's/^main //p' "$d/report")
	lim_count=$(sed -n 's/^limited //p' "$d/report")
	guard_count=$(sed -n 's/^guarded //p' "$d/report")
else
	main_count=""
	lim_count=""
	guard_count=""
fi
checklog main "$main_count"
checklog limited "$lim_count"
checklog guarded "$guard_count"

# After the servers are gone, the database they wrote is whole: the hash chain verifies and
# the stored consent state equals the state the ledger implies.
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
