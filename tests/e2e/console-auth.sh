#!/bin/sh
# console-auth.sh: the console's sign-in, roles and sign-out in a real browser
# (tests/e2e/console-auth.test.mjs; issue 15). A server on a fresh store with the browser
# tests' policy; users are made in the test with `samtycke user add`.
# Usage: sh tests/e2e/console-auth.sh path/to/samtycke
set -u
bin=${1:?usage: sh tests/e2e/console-auth.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$root/tests/e2e/e2e.inc"

e2e_begin e2e-console-auth
e2e_policy test
e2e_ports 2
# shellcheck disable=SC2046 # two words
set -- $(cat "$d/ports")
e2e_start main "$1" --form-rate-limit 100000

# the second port: a server the node test starts on the same store with its clock moved on
export CONSOLE_URL="http://127.0.0.1:$1" LATER_PORT="$2"
e2e_node console-auth.test.mjs
e2e_end
