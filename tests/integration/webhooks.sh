#!/bin/sh
# webhooks.sh: webhook delivery of the real samtycke binary (docs/webhooks.md). Makes a fresh
# database with the example policy and API keys, then runs webhooks.test.mjs (node:test,
# TAP), which starts and kills the server itself and runs two receivers ("crm" and "ma") on
# loopback that verify every delivery with the standardwebhooks library.
# Usage: sh tests/integration/webhooks.sh path/to/samtycke
set -u
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
trap 'rm -rf "$d"' EXIT
trap 'exit 1' INT TERM HUP
db="$d/t.db"
unset SAMTYCKE_DB SAMTYCKE_KEY_FILE SAMTYCKE_NOW

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
timeout 300 node --test --test-reporter=tap tests/integration/webhooks.test.mjs
