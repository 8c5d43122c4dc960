#!/bin/sh
# prefs.sh: the preference centre in a real browser (tests/e2e/prefs.test.mjs; issue 14,
# items 5 and 6). Starts aiosmtpd, a webhook receiver (in the node test) and two servers on
# one fresh store with the browser tests' policy (tests/e2e/policy.mjs): "main", with real
# mail and --allow-private-webhooks (the receiver is on loopback), and "future", its clock two
# days ahead (a one-day link has expired there).
# Usage: sh tests/e2e/prefs.sh path/to/samtycke
set -u
bin=${1:?usage: sh tests/e2e/prefs.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$root/tests/e2e/e2e.inc"

e2e_begin e2e-prefs
e2e_policy test
e2e_ports 3
# shellcheck disable=SC2046 # three words on purpose
set -- $(cat "$d/ports")
start_smtp "$1"
e2e_start main "$2" --smtp-url "smtp://127.0.0.1:$1" --mail-from noreply@example.com \
	--form-rate-limit 100000 --allow-private-webhooks
# no mail: a mail built on its clock would carry links dated two days ahead
server_env="SAMTYCKE_NOW=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)"
e2e_start future "$3" --form-rate-limit 100000
server_env=""

export PREFS_URL="http://127.0.0.1:$2" PREFS_URL_FUTURE="http://127.0.0.1:$3"
e2e_node prefs.test.mjs
e2e_end
