#!/bin/sh
# console-admin.sh: the console's audiences, retention, and webhooks and keys pages in a real
# browser (tests/e2e/console-admin.test.mjs; issue 15, docs/console.md). Starts a server on a
# fresh store with the browser tests' policy and --allow-private-webhooks (the test's webhook
# receiver is on loopback); the test starts a second server with its clock moved on
# (SAMTYCKE_NOW) for the purge, after the first one's webhooks are done with.
# Usage: sh tests/e2e/console-admin.sh path/to/samtycke
set -u
bin=${1:?usage: sh tests/e2e/console-admin.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$root/tests/e2e/e2e.inc"

e2e_begin e2e-console-admin
e2e_policy test
e2e_ports 2
# shellcheck disable=SC2046 # two words on purpose
set -- $(cat "$d/ports")
e2e_start main "$1" --allow-private-webhooks --form-rate-limit 100000

export CONSOLE_URL="http://127.0.0.1:$1" MOVED_PORT="$2"
e2e_node console-admin.test.mjs
e2e_end
