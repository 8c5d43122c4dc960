#!/bin/sh
# prefs.sh: the preference centre in a real browser (tests/e2e/prefs.test.mjs; issue 14,
# items 5 and 6). Starts aiosmtpd, a webhook receiver (in the node test) and a server on a
# fresh store with the browser tests' policy (tests/e2e/policy.mjs), with real mail and
# --allow-private-webhooks (the receiver is on loopback). No second server with its clock
# ahead: it would take the webhook lease of the shared store for two days of the first one's
# time (an expired link is minted with the command's clock set back instead).
# Usage: sh tests/e2e/prefs.sh path/to/samtycke
set -u
bin=${1:?usage: sh tests/e2e/prefs.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$root/tests/e2e/e2e.inc"

e2e_begin e2e-prefs
e2e_policy test
e2e_ports 2
# shellcheck disable=SC2046 # two words on purpose
set -- $(cat "$d/ports")
start_smtp "$1"
e2e_start main "$2" --smtp-url "smtp://127.0.0.1:$1" --mail-from noreply@example.com \
	--form-rate-limit 100000 --allow-private-webhooks

export PREFS_URL="http://127.0.0.1:$2"
e2e_node prefs.test.mjs
e2e_end
