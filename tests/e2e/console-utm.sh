#!/bin/sh
# console-utm.sh: the console's UTM link builder in a real browser
# (tests/e2e/console-utm.test.mjs; issue 16, docs/utm.md). One server on a fresh store with
# the browser tests' policy; the test makes its staff user with `samtycke user add`.
# Usage: sh tests/e2e/console-utm.sh path/to/samtycke
set -u
bin=${1:?usage: sh tests/e2e/console-utm.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$root/tests/e2e/e2e.inc"

e2e_begin e2e-console-utm
e2e_policy test
e2e_ports 1
# shellcheck disable=SC2046 # one word
set -- $(cat "$d/ports")
e2e_start main "$1"

export CONSOLE_URL="http://127.0.0.1:$1"
e2e_node console-utm.test.mjs
e2e_end
