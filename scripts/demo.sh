#!/bin/sh
# make demo: a short scripted tour of the samtycke command line on a fresh embedded database
# in a temporary folder. Every step prints the command and what it answered.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/samtycke-demo.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
export SAMTYCKE_DB="$dir/demo.db"

step() {
	printf '\n$ samtycke'
	for a in "$@"; do
		case $a in
		*[!A-Za-z0-9@._:/=-]* | "") printf " '%s'" "$a" ;;
		*) printf ' %s' "$a" ;;
		esac
	done
	printf '\n'
	"$bin" "$@"
	printf '[exit %d]\n' $?
}

echo "samtycke demo in $dir"
step init
cp "$root/examples/policy.yaml" policy.yaml
step policy apply policy.yaml
step contact add anna@example.com --field first_name=Anna --field company="Acme Konsult AB"
step contact add berit@example.com --field shoe_size=38
step consent give anna@example.com newsletter --method form --source "form:newsletter https://www.example.com/nyhetsbrev" --lang sv
step check anna@example.com newsletter
step check anna@example.com offers
step check " Anna@EXAMPLE.com " newsletter --json
step consent proof anna@example.com newsletter
step consent withdraw anna@example.com newsletter --method mail_link --source "mail:2026-11 newsletter"
step check anna@example.com newsletter
step consent give carl@example.com lead_scoring --method import --source "crm-export.csv"
step check carl@example.com lead_scoring
step consent show anna@example.com
sed 's/about once a month and use/about twice a month and use/' policy.yaml >policy2.yaml
step policy apply policy2.yaml
step audit verify
step ledger replay --check
printf '\n# tampering with one ledger row by hand:\n$ sqlite3 demo.db "UPDATE consent_ledger SET action = '"'"'give'"'"' WHERE seq = 2"\n'
sqlite3 "$SAMTYCKE_DB" "UPDATE consent_ledger SET action = 'give' WHERE seq = 2"
step audit verify
printf '\n# no address or name in the database files:\n$ grep -c -a -i -e anna -e acme demo.db demo.db-wal\n'
grep -c -a -i -e anna -e acme "$SAMTYCKE_DB" "$SAMTYCKE_DB-wal" 2>/dev/null || true
