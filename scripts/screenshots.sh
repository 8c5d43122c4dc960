#!/bin/sh
# screenshots.sh: makes the PNGs of the public pages and the console in docs/img/
# (scripts/screenshots.mjs): the webinar form, the double opt-in confirmation page, the
# preference centre's page of a fixed fake person in sv and en, and the console's overview
# and that person's page as a DPO sees them, 1000 px wide and full page, in Debian's
# chromium. A fresh
# store with the example policy (its brand included), real mail through aiosmtpd, and a
# server whose clock is pinned (SAMTYCKE_NOW) so that every run shows the same times.
# Usage: scripts/screenshots.sh path/to/samtycke   (make screenshots)
set -u
bin=${1:?usage: scripts/screenshots.sh path/to/samtycke}
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/tests/e2e/e2e.inc"

e2e_begin screenshots
e2e_policy "$root/examples/policy.yaml"
e2e_ports 2
# shellcheck disable=SC2046 # two words on purpose
set -- $(cat "$d/ports")
start_smtp "$1"
export SAMTYCKE_NOW=2026-11-02T09:30:00Z
server_env="SAMTYCKE_NOW=$SAMTYCKE_NOW"
e2e_start main "$2" --smtp-url "smtp://127.0.0.1:$1" --mail-from noreply@example.com
server_env=""

export SHOTS_URL="http://127.0.0.1:$2"
export SK_SOURCE_ROOT="$root" SAMTYCKE="$bin" SK_DB="$db" SK_TMP="$d" SK_CHROMIUM="$chromium"
export SK_MAILDIR="$maildir" SK_PYTHON="$py"
cd "$root" || exit 1
node_tap timeout 300 node --test --test-reporter=tap scripts/screenshots.mjs
e2e_end
