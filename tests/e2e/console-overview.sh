#!/bin/sh
# console-overview.sh: the staff console's overview and purposes pages in a real browser
# (tests/e2e/console-overview.test.mjs; issue 15, docs/console.md "The overview" and
# "Purposes and notices"). One server on a fresh store with the browser tests' policy
# (tests/e2e/policy.mjs); the test makes its staff users with `samtycke user add`, its data
# through the API and the command line, and applies a second policy with a changed notice.
# Usage: sh tests/e2e/console-overview.sh path/to/samtycke
set -u
bin=${1:?usage: sh tests/e2e/console-overview.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$root/tests/e2e/e2e.inc"

e2e_begin e2e-console-overview
e2e_policy test
e2e_ports 1
# shellcheck disable=SC2046 # one word
set -- $(cat "$d/ports")
e2e_start main "$1"

export CONSOLE_URL="http://127.0.0.1:$1" SK_POLICY_FILE="$policy"
e2e_node console-overview.test.mjs
e2e_end
