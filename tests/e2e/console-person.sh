#!/bin/sh
# console-person.sh: the console's "find a person" pages in a real browser
# (tests/e2e/console-person.test.mjs; issue 15, docs/console.md "Finding a person"). Starts
# aiosmtpd and a server on a fresh store with the browser tests' policy and real mail; the
# test makes its staff users with `samtycke user add` and its people through the API.
# Usage: sh tests/e2e/console-person.sh path/to/samtycke
set -u
bin=${1:?usage: sh tests/e2e/console-person.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$root/tests/e2e/e2e.inc"

e2e_begin e2e-console-person
e2e_policy test
e2e_ports 2
# shellcheck disable=SC2046 # two words on purpose
set -- $(cat "$d/ports")
start_smtp "$1"
e2e_start main "$2" --smtp-url "smtp://127.0.0.1:$1" --mail-from noreply@example.com

export CONSOLE_URL="http://127.0.0.1:$2"
e2e_node console-person.test.mjs
e2e_end
