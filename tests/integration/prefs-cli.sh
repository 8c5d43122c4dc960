#!/bin/sh
# prefs-cli.sh: samtycke link, the preference centre's link from the command line: by
# address or id, --days, --base, --json, and its exit codes.
# Usage: sh tests/integration/prefs-cli.sh path/to/samtycke
set -u
bin=$1
. "$(dirname "$0")/tap.inc"
root=${SK_SOURCE_ROOT:-.}
d=$tap_dir
unset SAMTYCKE_KEY_FILE SAMTYCKE_NOW
SAMTYCKE_DB=$(newdb t)
export SAMTYCKE_DB SAMTYCKE_KEY_FILE="$d/t.key"
sk() { run "$bin" "$@"; }

sk init
expect "init" 0 "key file"
sk policy apply "$root/examples/policy.yaml"
expect "policy" 0 "applied"
sk contact add pref@example.com
expect "contact added" 0 "c_"
id=$(sed -n 's/.*\(c_[a-z0-9]*\).*/\1/p' "$d/out" | head -n 1)

sk link pref@example.com
expect "link by address: the default base" 0 "http://127.0.0.1:8080/p/"
ok "the link carries no address" sh -c "! grep -qi 'pref\|example' '$d/out'"
sk link " PREF@Example.com " --base https://consent.example.com/ --days 7
expect "link by an address variant, with --base" 0 "https://consent.example.com/p/"
ok "the base's trailing slash is not doubled" grep -qx 'https://consent.example.com/p/[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*' "$d/out"
sk link "$id" --json --days 1
expect "link by id, --json" 0 '{"url":"http://127.0.0.1:8080/p/'
now=$(date +%s)
exp=$(sed -n 's/.*"expires_at":"\([^"]*\)".*/\1/p' "$d/out")
ok "--days 1 expires in a day" test $(( $(date -d "$exp" +%s) - now - 86400 )) -le 5
sk link nobody@example.com
expect "an unknown address is exit 1" 1 "no contact"
sk link c_aaaaaaaaaaaaaaaaaaaaaaaa
expect "an unknown id is exit 1" 1 "no contact"
sk link pref@example.com --days 0
expect "--days 0 is a usage error" 2 "1 to 365"
sk link pref@example.com --days 366
expect "--days 366 is a usage error" 2 "1 to 365"
sk link pref@example.com --base ftp://x.example
expect "--base must be http(s)" 2 "--base"
sk link
expect "no argument is a usage error" 2 "usage: samtycke link"
sk link --help
expect "--help" 0 "preference centre"
sk forget "$id"
expect "forget" 0 "erasure"
sk link "$id"
expect "an erased contact gets no link (exit 1)" 1 "no contact"

done_testing
