#!/bin/sh
# cli.sh: the real samtycke binary on a fresh database: the issue's "done when" walk-through,
# every exit code, usage errors, refusals that store nothing, and tamper detection.
# Usage: sh tests/integration/cli.sh path/to/samtycke
set -u
bin=$1
. "$(dirname "$0")/tap.inc"
root=${SK_SOURCE_ROOT:-.}
d=$tap_dir
unset SAMTYCKE_KEY_FILE SAMTYCKE_NOW
SAMTYCKE_DB=$(newdb t)
key_file="$d/t.key" # named: a PostgreSQL store has no file next to which it could be implied
export SAMTYCKE_DB SAMTYCKE_KEY_FILE="$key_file"
sk() { run "$bin" "$@"; }

# ---- init ----
sk init
expect "init creates the database" 0 "key file: $key_file"
ok "key file has mode 0600" test "$(stat -c %a "$key_file")" = 600
elog=$(printf '%s\n' "$out" | sed -n 's/^erasure log: \(.*\) (docs.*/\1/p')
ok "init creates the erasure log, empty, mode 0600 (a restore finds it)" \
	sh -c '[ -n "$1" ] && [ -f "$1" ] && [ ! -s "$1" ] && [ "$(stat -c %a "$1")" = 600 ]' - "$elog"
sk --json init
expect "init refuses an existing database" 3 '"code":"exists"'
sk consent give anna@example.com newsletter --method form --source f
expect "consent before a policy names the missing step" 3 "policy apply"

# ---- policy ----
printf 'organisation:\n  name: X\npurposes: [\n' >"$d/broken.yaml"
sk policy apply "$d/broken.yaml"
expect "YAML syntax error names file and line" 3 "broken.yaml:4: syntax error"
sed 's/^    validity: 24 months$/    validity: forever/' "$root/examples/policy.yaml" >"$d/bad.yaml"
sk policy apply "$d/bad.yaml"
expect "bad duration names file, line and key" 3 "bad.yaml:43: purposes.newsletter.validity"
sk policy show
expect "a refused policy stores nothing" 3 "no policy"
sk policy apply "$d/missing.yaml"
expect "missing policy file" 3 "cannot open"
sk policy apply "$root/examples/policy.yaml"
expect "example policy applies" 0 "policy version 1 applied"
sk policy show
expect "policy show lists purposes" 0 "sales_followup"
sk --json policy show
# each purpose in the shape of GET /v1/purposes (docs/cli.md; one renderer, render/policy.c)
expect "policy show --json" 0 '"notice":{"version":1,"text":{"sv":'

# ---- the done-when walk-through ----
sk consent give anna@example.com newsletter --method form --source "form:newsletter https://www.example.com/nyhetsbrev" --lang sv
expect "newsletter consent recorded" 0 "newsletter is now given"
sk check anna@example.com newsletter
expect "allowed for newsletter" 0 "allowed consent"
sk check anna@example.com offers
expect "denied no_consent for offers" 1 "denied no_consent"
# A command without network does not load libcurl (issue 12): the dynamic loader's own
# trace lists every library it initialises; libsqlite3 shows that the trace works.
LD_DEBUG=libs "$bin" check anna@example.com newsletter >/dev/null 2>"$d/ld.trace"
ok "the loader trace names libsqlite3" grep -q 'calling init: .*libsqlite3' "$d/ld.trace"
ok "check does not load libcurl" test "$(grep -c 'libcurl' "$d/ld.trace")" = 0
sk check " Anna@EXAMPLE.com " newsletter --json
expect "address variant finds the contact (json)" 0 '{"allowed":true,"reason":"consent","consent_id":"e_'
sk consent withdraw anna@example.com newsletter --method mail_link --source "mail:nl-2026-11"
expect "withdrawal recorded" 0 "newsletter is now withdrawn"
sk check " Anna@EXAMPLE.com " newsletter
expect "denied withdrawn after withdrawal" 1 "denied withdrawn"
sk check anna@example.com horoscopes --json
expect "unknown purpose denied" 1 '"reason":"unknown_purpose"'
sk check not-an-address newsletter
expect "invalid address denied" 1 "denied invalid_email"

# ---- contacts and minimisation ----
sk contact add berit@example.com --field first_name=Berit --field shoe_size=38
expect "undeclared field refused, named" 3 "shoe_size"
sk contact show berit@example.com
expect "refused contact was not stored" 1 "no contact"
sk contact add berit@example.com --field first_name=Berit --field "company=Quuxbolaget AB" --field phone=+46701234567
expect "contact added" 0 "c_"
sk contact add " BERIT@example.com" --field first_name=B
expect "duplicate address refused" 3 "exists"
sk contact edit berit@example.com --field last_name=Zyxelberg
expect "contact edited" 0 "updated 1 field"
sk --json contact show Berit@Example.com
expect "contact show opens the sealed fields" 0 '"last_name":"Zyxelberg"'
sk contact edit berit@example.com --field phone=not-a-phone
expect "invalid phone refused" 3 "phone"
sk contact edit berit@example.com --field badly
expect "--field without = is a usage error" 2 "NAME=VALUE"

# ---- evidence, proof, history ----
sk consent give carl@example.com offers --method api --source "api:crm" --evidence '{"ip":"203.0.113.9","user_agent":"Mozilla/5.0"}' --at 2026-01-15T09:30:00+01:00
expect "consent with evidence and time" 0 "offers is now given"
sk consent proof carl@example.com offers
expect "proof shows when it happened" 0 "when:        2026-01-15T08:30:00Z"
expect "proof shows the evidence" 0 '"ip":"203.0.113.9"'
expect "proof shows the exact notice text" 0 "Exempel AB will send offers and promotions"
sk consent give dora@example.com offers --method import --source crm.csv
expect "import without a date is unverified" 0 "offers is now unverified"
sk check dora@example.com offers
expect "unverified consent is denied" 1 "denied unverified"
sk consent give erik@example.com offers --method import --source old.csv --at 2020-01-01T00:00:00Z
sk check erik@example.com offers
expect "consent past its validity is expired" 1 "denied expired"
sk check erik@example.com offers --at 2021-01-01T00:00:00Z
expect "it was valid within its validity" 0 "allowed consent"
sk --json consent show anna@example.com
expect "consent show lists state and history" 0 '"action":"withdraw"'
sk consent confirm anna@example.com newsletter --method mail_link --source link
expect "confirm without a pending consent is refused" 3 "not pending"
sk consent give fia@example.com newsletter --method form --source f --notice-version 9
expect "unknown notice version refused" 3 "no notice version 9"
sk consent give fia@example.com newsletter --method telepathy --source f
expect "unknown method refused" 3 "method must be"
sk consent give fia@example.com newsletter --method form --source f --evidence '[1,2'
expect "evidence must be a JSON object" 2 "--evidence"

# ---- suppression ----
sk suppress gus@example.com --reason bounced
expect "suppress" 0 "suppressed (bounced)"
sk consent give GUS@example.com newsletter --method form --source f
expect "suppressed address cannot be given consent" 3 "suppression list"
sk check gus@example.com newsletter
expect "gate says suppressed" 1 "denied suppressed"

# ---- notice versions ----
sed 's/about once a month. Your/about twice a month. Your/' "$root/examples/policy.yaml" >"$d/p2.yaml"
sk policy apply "$d/p2.yaml"
expect "changed notice becomes version 2" 0 "newsletter           notice version 2 (new)"
sk consent proof anna@example.com newsletter
expect "old consent still shows version 1" 0 "version 1 (en)"
expect "and version 1's exact text" 0 "about once a month. Your"

# ---- applying a changed policy: identical files, dropped purposes, dry runs ----
sk policy apply "$d/p2.yaml"
expect "the same file again stores nothing" 0 "policy unchanged, version 2"
sk --json policy apply "$d/p2.yaml"
expect "unchanged, as JSON" 0 '"unchanged":true,"refused":false,"forced":false,"base_version":2,"policy_version":2'
sk policy apply --dry-run "$d/p2.yaml"
expect "a dry run of the same file says so" 0 "nothing would be stored"
sk policy show
expect "still version 2" 0 "policy version 2"
# offers without its box on the webinar form: carl (given) and dora (unverified) hold it,
# erik's consent has expired
sed -e '/^  offers:$/,/^  event_invitations:$/{/^  event_invitations:$/!d}' \
	-e '/^      - purpose: offers$/,+1d' "$d/p2.yaml" >"$d/drop.yaml"
sk policy apply --dry-run "$d/drop.yaml"
expect "dry run: the dropped purpose and its holders" 3 "- purpose offers (held by 2 contacts)"
expect "dry run: the changed form" 3 "~ form webinar: consents"
expect "dry run: it would be refused" 3 "refusing to drop purposes that contacts still hold: offers (2 contacts)"
sk --json policy apply --dry-run "$d/drop.yaml"
expect "dry run as JSON" 3 '{"item":"purpose","change":"removed","id":"offers","holders":2}'
expect "dry run as JSON: refused" 3 '"dry_run":true,"unchanged":false,"refused":true'
sk policy show
expect "a dry run stores nothing" 0 "policy version 2"
sk policy apply "$d/drop.yaml"
expect "dropping a held purpose is refused, naming it and its holders" 3 "drop.yaml: refusing to drop purposes that contacts still hold: offers (2 contacts)"
expect "the refusal names --force" 3 "--force"
sk check carl@example.com offers
expect "after the refusal offers still applies" 0 "allowed consent"
sk policy apply --force "$d/drop.yaml"
expect "--force drops it" 0 "policy version 3 applied"
expect "--force still names what it dropped" 0 "dropping purposes that contacts still hold: offers (2 contacts)"
sk check carl@example.com offers
expect "a dropped purpose is unknown to the gate" 1 "denied unknown_purpose"
sk policy apply "$d/p2.yaml"
expect "adding it back" 0 "+ purpose offers"
sk check carl@example.com offers
expect "the kept records hold again" 0 "allowed consent"
sk policy apply --dry-run
expect "--dry-run without a file" 2 "usage: samtycke policy apply"
sk policy apply --bogus "$d/p2.yaml"
expect "unknown option" 2 "unknown option"
# GDPR Art. 7(4): signing up for the webinar may not depend on a marketing consent
line=$(grep -n '^    purpose: webinar_registration$' "$root/examples/policy.yaml" | cut -d: -f1)
sed 's/^    purpose: webinar_registration$/    purpose: offers/' "$root/examples/policy.yaml" >"$d/bundled.yaml"
sk policy apply --dry-run "$d/bundled.yaml"
expect "a form that depends on a marketing consent is refused" 3 "bundled.yaml:$line: forms.webinar.purpose: the purpose is a communication consent; submitting a form may not depend on it (GDPR Art. 7(4))"
sed '/^      - purpose: offers$/a\        required: true' "$root/examples/policy.yaml" >"$d/required.yaml"
line=$(($(grep -n '^      - purpose: offers$' "$d/required.yaml" | cut -d: -f1) + 1))
sk policy apply "$d/required.yaml"
expect "a required consent box is refused" 3 "required.yaml:$line: forms.webinar.consents[1].required: not allowed: a consent option is always optional"
sk policy show
expect "refused files store nothing" 0 "policy version 4"

# ---- no personal data in clear ----
ok "(the scan below finds what is stored in clear: a purpose name)" store_holds "$SAMTYCKE_DB" sales_followup
for v in anna@example.com berit Berit Zyxelberg Quuxbolaget 46701234567 carl@ 203.0.113.9 Mozilla; do
	ok "the database (its files, or every table) does not hold '$v'" store_lacks "$SAMTYCKE_DB" "$v"
done

# ---- audit and replay ----
sk audit verify
expect "ledger is whole" 0 "ledger whole"
sk ledger replay --check
expect "stored state equals the ledger" 0 "equals the ledger"
dbsql "$SAMTYCKE_DB" "UPDATE consent_state SET status = 'given' WHERE status = 'withdrawn'"
sk ledger replay --check
expect "replay reports a state changed behind the ledger" 1 "stored given, ledger says withdrawn"
sk check anna@example.com newsletter
expect "(the tampered state is what the gate reads)" 0 "allowed"
sk ledger replay
expect "replay rebuilds the state" 1 "rebuilt from the ledger"
sk check anna@example.com newsletter
expect "after replay the gate says withdrawn again" 1 "denied withdrawn"
dbsql "$SAMTYCKE_DB" "UPDATE consent_ledger SET action = 'give' WHERE seq = 2"
sk audit verify
expect "an UPDATE of one ledger row is found at its seq" 1 "first bad sequence number 2"
sk --json audit verify
expect "audit verify --json" 1 '"first_bad_seq":2'

# ---- API keys ----
sk keys create --name crm --scope read,write
expect "keys create prints the key alone" 0 "k_"
ok "the key is one line and nothing else" sh -c "printf '%s\n' \"\$1\" | grep -qxE 'k_[a-z2-7]{24}\\.[0-9a-f]{64}'" - "$out"
key=$out
ok "the key's secret is not in the database" store_lacks "$SAMTYCKE_DB" "${key#*.}"
sk keys create --name crm --scope read
expect "a second active key of the same name is refused" 3 "exists"
sk keys create --name other --scope read,superuser
expect "an unknown scope is refused" 3 "superuser"
sk keys create --name other
expect "keys create needs --scope" 2 "usage: samtycke keys create"
sk --json keys list
expect "keys list" 0 '"name":"crm","scopes":"read,write"'
sk keys revoke crm
expect "keys revoke" 0 "revoked crm"
sk keys revoke crm
expect "revoking twice: not found" 1 "no active key"
sk keys list
expect "keys list shows the revocation" 0 ", revoked "
sk serve --listen nowhere
expect "serve refuses a bad --listen" 2 "HOST:PORT"
sk serve --threads 0
expect "serve refuses --threads 0, saying the rule" 2 "--threads: must be a whole number from 1 to 64"

# ---- rights ----
sk --json export carl@example.com
expect "export gives the fields and consents" 0 '"purpose":"offers"'
sk export nobody-here@example.com
expect "export of an unknown address: not found" 1 "no contact"
sk --json forget carl@example.com
expect "forget answers with an erasure receipt" 0 '"suppressed":true'
sk check carl@example.com offers
expect "after forget the gate says erased" 1 "denied erased"
sk consent give carl@example.com offers --method api --source crm
expect "an erased address cannot be given consent again" 3 "suppression list"
sk purge --dry-run
expect "purge --dry-run lists by reason" 0 "would purge"
SAMTYCKE_NOW=2031-01-01T00:00:00Z sk --json purge --dry-run
expect "purge --dry-run five years on lists the inactive" 0 '"inactive":["c_'

# ---- fail closed and keys ----
none=$(newdb none) # never initialised
sk --db "$none" check anna@example.com newsletter
expect "no database: denied error" 1 "denied error"
cp "$key_file" "$d/open.key" && chmod 644 "$d/open.key"
sk --key-file "$d/open.key" check anna@example.com offers
expect "a key file others can read is refused" 1 "chmod 600"
other=$(newdb other)
run env SAMTYCKE_KEY_FILE="$d/other.key" "$bin" --db "$other" init
sk --key-file "$d/other.key" check carl@example.com offers --json
expect "a key file of another database: denied error" 1 '"reason":"error"'

# ---- usage ----
sk
expect "no command" 2 "usage: samtycke"
sk frobnicate
expect "unknown command" 2 "unknown command"
sk check anna@example.com
expect "missing argument" 2 "usage: samtycke check"
sk check anna@example.com newsletter --bogus
expect "unknown option" 2 "unknown option"
sk consent give a@example.com newsletter --source f
expect "give without --method" 2 "usage: samtycke consent give"
sk consent give a@example.com newsletter --method form --at yesterday
expect "bad --at" 2 "RFC 3339"
sk suppress a@example.com --reason whim
expect "unknown suppression reason" 2 "usage: samtycke suppress"
# ---- the first hour (issue 11): help, one-line descriptions, JSON errors, ids, times ----
# has / hasnt NAME TEXT: the last run printed (did not print) TEXT, on stdout or stderr
has() { ok "$1" sh -c 'printf "%s\n%s\n" "$1" "$2" | grep -qF -- "$3"' - "$out" "$err" "$2"; }
hasnt() { ok "$1" sh -c '! printf "%s\n%s\n" "$1" "$2" | grep -qF -- "$3"' - "$out" "$err" "$2"; }
# isjson KIND: $err is one JSON error object of that code and stdout is empty
isjson() {
	[ -z "$out" ] && printf '%s' "$err" | /usr/bin/python3 -c '
import json, sys
e = json.load(sys.stdin)["error"]
sys.exit(0 if e["code"] == sys.argv[1] and e["message"] else 1)' "$1"
}
sk help
expect "help lists the commands" 0 "commands:"
ok "help is the list on stdout" test -z "$err"
sk --help
ok "every listed command has a one-line description" test "$(printf '%s\n' "$out" |
	sed -n '/^commands:$/,/^$/p' | sed -n '/^  /p' | grep -cv '^  .\{17\} [a-z]')" = 0
expect "the list describes check" 0 "check             ask the gate"
sk help consent give
expect "help COMMAND is its --help" 0 "usage: samtycke consent give EMAIL|ID PURPOSE"
sk help check
expect "help of a one-word command" 0 "usage: samtycke check EMAIL|ID PURPOSE"
sk consent --help
expect "GROUP --help lists the group" 0 "consent withdraw  record that a person withdrew consent"
hasnt "GROUP --help lists only the group" "policy apply"
sk help policy
expect "help GROUP lists the group" 0 "policy show"
sk keys
expect "a group alone is a usage error listing it" 2 "keys create"
sk consent frob
expect "an unknown command of a group names it" 2 "unknown command 'consent frob'"
sk help frobnicate
expect "help of an unknown command" 2 "no command 'frobnicate'"
sk help check --json
expect "help COMMAND --json is still its help" 0 "usage: samtycke check"
sk --json consent give erik@example.com newsletter --method form --source f --at "2020-05-01 10:00"
expect "--json: a give already run out says status expired" 0 '"status":"expired"'

sk --json frobnicate
ok "--json: an unknown command is a JSON error on stderr" isjson usage
sk --json consent
ok "--json: a group alone is a JSON error" isjson usage
sk check anna@example.com newsletter --bogus --json
ok "--json: an unknown option is a JSON error" isjson usage
has "--json: the usage error names the option" "--bogus"
sk --json check anna@example.com
ok "--json: a missing argument is a JSON error" isjson usage
sk --json consent give a@example.com newsletter --method form --source f --at yesterday
ok "--json: a bad --at is a JSON error" isjson usage
sk --json contact show nobody@example.com
ok "--json: not found is a JSON error on stderr" isjson not_found
sk --json --db "$none" contact show nobody@example.com
ok "--json: no database is a JSON error on stderr" isjson not_initialised
sk --json --db "$none" check anna@example.com newsletter
ok "--json: check fails closed with a JSON error on stderr" \
	test "$status" = 1 -a "$(printf '%s' "$err" | cut -c1-10)" = '{"error":{'
sk consent give dora@example.com newsletter --method form --source f --at "2020-05-01 10:00"
expect "a give whose validity already ran out says so" 0 \
	"newsletter already expired at 2022-05-01T10:00:00Z"
hasnt "... and not that it is given now" "is now given"
sk check dora@example.com newsletter
expect "... and the gate agrees" 1 "denied expired"
sk consent give dora@example.com offers --method form --source f --at "2026-01-15 09:30"
expect "a spreadsheet time (UTC) is read" 0 "offers is now given"
sk consent proof dora@example.com offers
expect "... as UTC" 0 "2026-01-15T09:30:00Z"
sk consent give dora@example.com offers --method form --source f --at "15/01/2026 09:30"
expect "a time in another form names the forms expected" 2 "2025-05-01 10:00"
dora=$(printf '%s\n' "$out" | sed -n 's/.*(\(e_[a-z0-9]*\)).*/\1/p')
run "$bin" contact show dora@example.com
dora=$(printf '%s\n' "$out" | sed -n 's/^id: *//p')
ok "dora has a contact id" test -n "$dora"
sk contact show "$dora"
expect "contact show takes an id" 0 "dora@example.com"
sk consent withdraw "$dora" offers --method cli --source support
expect "consent withdraw takes an id" 0 "offers is now withdrawn"
sk check "$dora" offers
expect "check takes an id" 1 "denied withdrawn"
sk consent show "$dora"
expect "consent show takes an id" 0 "withdrawn"
sk consent proof "$dora" offers
expect "consent proof takes an id" 0 "offers"
sk contact edit "$dora" --field first_name=Dora
expect "contact edit takes an id" 0 "updated 1 field"
sk --json export "$dora"
expect "export takes an id" 0 "$dora"
sk check c_nosuchcontact offers
expect "check of an unknown id: denied, and says so" 1 "denied no_consent"
has "... naming the id" "no contact has the id c_nosuchcontact"
sk export c_nosuchcontact
expect "export of an unknown id: not found" 1 "no contact has the id c_nosuchcontact"
sk suppress "$dora"
expect "suppress takes an id" 0 "suppressed"
sk check dora@example.com offers
expect "... the address is suppressed" 1 "denied suppressed"
sk unsuppress "$dora"
expect "unsuppress takes an id" 0 "no longer suppressed"
sk forget "$dora"
expect "forget takes an id" 0 "erased contact $dora"
sk contact show dora@example.com
expect "... the contact is gone" 1 "no contact"

# ---- the command entries (docs/internals/cli.md) ----
# The commands `samtycke --help` lists are exactly the entries the cmd_*.c files define
# (.name = "..."), each once; every one answers --help with exit 0 and its own usage, and
# names itself in a usage error (run gets its own entry, also where entries share a run).
sk --help
listed=$(printf '%s\n' "$out" | sed -n '/^commands:$/,/^$/p' | sed -n 's/^  \(.\{17\}\) .*/\1/p' |
	sed 's/ *$//')
defined=$(sed -n 's/^[[:space:]]*\.name = "\([^"]*\)",$/\1/p' "$root"/src/cli/cmd_*.c)
ok "--help lists commands" test "$(printf '%s\n' "$listed" | grep -c .)" -ge 30
ok "every entry is listed once, every listed command is an entry" \
	test "$(printf '%s\n' "$listed" | sort)" = "$(printf '%s\n' "$defined" | sort)"
ok "no command is listed twice" \
	test "$(printf '%s\n' "$listed" | sort -u | grep -c .)" = "$(printf '%s\n' "$listed" | grep -c .)"
printf '%s\n' "$listed" >"$d/commands"
while read -r c; do
	# shellcheck disable=SC2086
	sk $c --help
	ok "$c --help exits 0 with its own usage" test "$status" = 0 -a -z "$err" \
		-a "$(printf '%s\n' "$out" | head -n 1 | cut -d ' ' -f 1-$(($(echo "$c" | wc -w) + 2)))" = \
		"usage: samtycke $c"
	# shellcheck disable=SC2086
	sk $c --no-such-option
	expect "$c usage error names $c" 2 "usage: samtycke $c "
done <"$d/commands"

done_testing
