#!/bin/sh
# banner.sh: the visitor banner /c.js on the company's own site, in a real browser
# (tests/e2e/banner.test.mjs; issue 16): a server on a fresh store with the browser tests'
# policy (tests/e2e/policy.mjs), whose banner and forms allow the origin of the test's site
# (a node server on another loopback port).
# Usage: sh tests/e2e/banner.sh path/to/samtycke
set -u
bin=${1:?usage: sh tests/e2e/banner.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$root/tests/e2e/e2e.inc"

e2e_begin e2e-banner
e2e_ports 3
# shellcheck disable=SC2046 # three words on purpose
set -- $(cat "$d/ports")
e2e_policy test "http://127.0.0.1:$3"
setup "$bin" --db "$db" keys create --name e2e-reader --scope read
KEY_READER=$(cat "$d/setup.out")
start_smtp "$1"
e2e_start main "$2" --smtp-url "smtp://127.0.0.1:$1" --mail-from noreply@example.com \
	--form-rate-limit 100000

export BANNER_URL="http://127.0.0.1:$2" SITE_PORT="$3" KEY_READER
e2e_node banner.test.mjs
e2e_end
