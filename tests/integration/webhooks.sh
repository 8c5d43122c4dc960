#!/bin/sh
# webhooks.sh: webhook delivery of the real samtycke binary (docs/webhooks.md). Makes a fresh
# database with the example policy and API keys, then runs webhooks.test.mjs (node:test,
# TAP), which starts and kills the server itself and runs two receivers ("crm" and "ma") on
# loopback that verify every delivery with the standardwebhooks library. Its API requests to
# the main server go through Prism's validating proxy for docs/openapi.yaml.
# Usage: sh tests/integration/webhooks.sh path/to/samtycke
set -u
. "$(dirname "$0")/store.inc"
bin=${1:?usage: sh tests/integration/webhooks.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

if [ ! -d "$root/node_modules/standardwebhooks" ]; then
	echo "not ok - node_modules/standardwebhooks missing: run npm ci"
	exit 1
fi
if ! command -v node >/dev/null 2>&1; then
	echo "not ok - node is not installed (the webhook tests need Node 20)"
	exit 1
fi
if [ ! -x "$bin" ]; then
	echo "not ok - no samtycke binary at $bin"
	exit 1
fi

d=$(mktemp -d /tmp/samtycke-webhooks.XXXXXX)
trap 'store_cleanup; rm -rf "$d"' EXIT
trap 'exit 1' INT TERM HUP
db=$(newdb t)
unset SAMTYCKE_DB SAMTYCKE_KEY_FILE SAMTYCKE_NOW
# The key file is named: a PostgreSQL store has no file next to which it could be implied.
export SAMTYCKE_KEY_FILE="$d/t.key"

setup() {
	if ! "$@" >"$d/setup.out" 2>"$d/setup.err"; then
		echo "not ok - setup: $*"
		sed 's/^/#   /' "$d/setup.out" "$d/setup.err" | head -20
		exit 1
	fi
}
newkey() {
	setup "$bin" --db "$db" keys create --name "$2" --scope "$3"
	eval "$1=\$(cat \"\$d/setup.out\")"
}

setup "$bin" --db "$db" init
setup "$bin" --db "$db" policy apply "$root/examples/policy.yaml"
newkey KEY_ADMIN admin read,write,dsr,admin
newkey KEY_CRM crm read,write
newkey KEY_MA ma read,write
newkey KEY_READER reader read

export SK_SOURCE_ROOT="$root" SAMTYCKE="$bin" SK_DB="$db" SK_TMP="$d"
export KEY_ADMIN KEY_CRM KEY_MA KEY_READER
cd "$root" || exit 1
# node's TAP goes on without its plan: this script prints one plan for every case at the end
timeout 300 node --test --test-reporter=tap tests/integration/webhooks.test.mjs >"$d/node.tap"
node_status=$?
grep -v '^1\.\.[0-9]' "$d/node.tap"
n=$(grep -c -e '^ok ' -e '^not ok ' "$d/node.tap")
node_plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$d/node.tap" | head -1)
if [ "$node_plan" != "$n" ]; then
	echo "not ok - node's TAP plan (1..${node_plan:-missing}) matches the $n cases it ran"
	n=$((n + 1))
	node_status=1
fi

# Prism's proxy (in front of the main server; webhooks.test.mjs starts it) logged no answer
# that docs/openapi.yaml does not describe, and no error of its own.
. "$root/tests/integration/prism.inc"
prism_scan main
if [ -z "$prism_violations" ] && [ "$prism_reqs" -gt 0 ]; then
	echo "ok - Prism's proxy saw $prism_reqs requests and no answer that docs/openapi.yaml does not describe"
else
	echo "not ok - Prism's proxy saw requests and no answer that docs/openapi.yaml does not describe"
	echo "#   $prism_reqs requests"
	printf '%s\n' "$prism_violations" | sed 's/^/#   /'
	node_status=1
fi
echo "1..$((n + 1))"
exit "$node_status"
