#!/bin/sh
# migrate.sh: samtycke migrate --to URI (docs/migrate.md) with the real binary. A store with
# real content (policy, consents given, withdrawn and pending, a form request with its mail, a
# suppression, an erasure, API keys, a webhook whose cursor a server advanced, an import) is
# moved into a new store and back into a third; every row comes back equal, and the copy
# answers as the source did (gate, contact, access export, API keys, webhook cursor). Failure
# paths: an initialised target, a missing source, a wrong key file, a tampered ledger.
# With SK_TEST_PG (tests/pg.sh) the stores newdb makes are PostgreSQL databases.
# Usage: sh tests/integration/migrate.sh path/to/samtycke
set -u
bin=$1
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
. "$(dirname "$0")/tap.inc"
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
d=$tap_dir
py=/usr/bin/python3
unset SAMTYCKE_DB SAMTYCKE_KEY_FILE SAMTYCKE_NOW
cd "$d" || exit 1
key=$d/store.key # one key file for every store: a PostgreSQL URI has no file to sit beside
sk() { run "$bin" --key-file "$key" "$@"; }
# must CMD...: a set-up step; a failure ends the script with one failed case.
must() {
	run "$@"
	if [ "$status" -ne 0 ]; then
		fail "set-up: $*"
		done_testing
		exit 1
	fi
}
pids=""
stop_all() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	pids=""
}
hook_pid=""
trap 'stop_all; [ -z "$hook_pid" ] || kill -TERM "$hook_pid" 2>/dev/null; tap_cleanup' EXIT

free_port() {
	"$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# serve NAME DB ARGS...: a server on a free port; sets url and spid.
serve() {
	name=$1
	sdb=$2
	shift 2
	"$bin" --key-file "$key" --db "$sdb" serve --listen 127.0.0.1:0 "$@" >"$d/$name.out" \
		2>"$d/$name.log" &
	spid=$!
	pids="$pids $spid"
	: >>"$d/$name.out"
	url=""
	i=0
	while [ $i -lt 100 ] && [ -z "$url" ]; do
		url=$(sed -n 's|^listening on \(http://127\.0\.0\.1:[0-9][0-9]*\)$|\1|p' "$d/$name.out")
		[ -n "$url" ] || sleep 0.1
		i=$((i + 1))
	done
	if [ -z "$url" ]; then
		status=1 out=$(cat "$d/$name.out") err=$(cat "$d/$name.log")
		fail "server $name listens within 10 s"
		done_testing
		exit 1
	fi
}

# rows DB: every row of every table migrate copies, each value with its type, sorted per
# table: two SQLite files with equal output hold equal rows.
rows() {
	"$py" - "$1" "$tables" <<'EOF'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
for t in sys.argv[2].split():
    # meta's audit_last is each store's record of its own last verify, which a verify of
    # the target writes anew: not data that is copied
    rs = sorted(repr(tuple((type(v).__name__, v) for v in r))
                for r in con.execute('SELECT * FROM "%s"' % t)
                if not (t == 'meta' and r[0] == 'audit_last'))
    print(t, len(rs))
    for r in rs:
        print(' ', r)
EOF
}

# ---- a store with real content ----
src=$(newdb src)
must "$bin" --key-file "$key" --db "$src" init
sk --db "$src" policy apply "$root/examples/policy.yaml"
expect "set-up: policy applied" 0 "policy version 1 applied"
for a in anna bo cecilia; do
	must "$bin" --key-file "$key" --db "$src" contact add "$a@example.com" --field first_name=Å$a
	must "$bin" --key-file "$key" --db "$src" consent give "$a@example.com" newsletter \
		--method form --source page:/nyhetsbrev --evidence '{"ip":"192.0.2.7","user_agent":"t"}'
done
must "$bin" --key-file "$key" --db "$src" consent give anna@example.com offers --method api --source crm
must "$bin" --key-file "$key" --db "$src" consent withdraw bo@example.com newsletter --method mail_link --source mail:1
must "$bin" --key-file "$key" --db "$src" consent refuse cecilia@example.com lead_scoring --method api --source crm
must "$bin" --key-file "$key" --db "$src" contact edit anna@example.com --field last_name=Andersson
must "$bin" --key-file "$key" --db "$src" suppress bounced@example.com --reason bounced
must "$bin" --key-file "$key" --db "$src" contact add erik@example.com
must "$bin" --key-file "$key" --db "$src" consent give erik@example.com newsletter --method api --source crm
must "$bin" --key-file "$key" --db "$src" forget erik@example.com
"$py" "$root/tests/data/gen_contacts.py" 300 11 >"$d/contacts.csv"
sk --db "$src" import "$d/contacts.csv" --map "$root/tests/fixtures/import-mapping.json" --progress none
ok "set-up: 300 contacts imported" test "$status" -eq 0
imported=$(sed -n 2p "$d/contacts.csv" | cut -d, -f1)
must "$bin" --key-file "$key" --db "$src" keys create --name reader --scope read
reader=$out
must "$bin" --key-file "$key" --db "$src" keys create --name old --scope read,write
old=$out
must "$bin" --key-file "$key" --db "$src" keys revoke old

# A webhook endpoint, and a server that delivers to it (its cursor moves) and takes a double
# opt-in form (a pending request and its mail, which waits: nothing listens on its SMTP port).
hook_port=$(free_port)
must "$bin" --key-file "$key" --db "$src" webhook add "http://127.0.0.1:$hook_port/hook" \
	--events all --name crm --allow-private
hook_secret=$(printf '%s\n' "$out" | sed -n 's/.*\(whsec_[A-Za-z0-9+/=]*\).*/\1/p')
# The receiver answers 204 only to a delivery signed with the endpoint's secret (Standard
# Webhooks), else 400: a delivery from the target proves that its sealed secret opens there.
"$py" -c '
import base64, hashlib, hmac, http.server, sys
key = base64.b64decode(sys.argv[2][len("whsec_"):])
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        signed = "%s.%s." % (self.headers["webhook-id"], self.headers["webhook-timestamp"])
        mac = base64.b64encode(hmac.new(key, signed.encode() + body, hashlib.sha256).digest()).decode()
        good = ("v1," + mac) in (self.headers.get("webhook-signature") or "").split()
        self.send_response(204 if good else 400)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$hook_port" "$hook_secret" &
hook_pid=$!
sk --db "$src" --json webhook list
added_at=$(printf '%s' "$out" | sed -n 's/.*"last_delivered_seq":\([0-9]*\).*/\1/p')
serve src "$src" --allow-private-webhooks --smtp-url "smtp://127.0.0.1:$(free_port)" \
	--mail-from noreply@example.com
run curl -sS -H 'Content-Type: application/json' \
	-d '{"email":"dora@example.com","consent":["newsletter"],"lang":"sv"}' "$url/f/newsletter"
expect "set-up: a double opt-in form submission is pending" 0 '"pending":["newsletter"]'
must "$bin" --key-file "$key" --db "$src" consent give anna@example.com event_invitations --method api --source crm
i=0
while [ $i -lt 100 ]; do
	sk --db "$src" --json webhook list
	now=$(printf '%s' "$out" | sed -n 's/.*"last_delivered_seq":\([0-9]*\).*/\1/p')
	[ "${now:-0}" -gt "${added_at:-0}" ] && printf '%s' "$out" | grep -q '"pending":0' && break
	sleep 0.1
	i=$((i + 1))
done
ok "set-up: the server delivered the changes since the endpoint was added (its cursor moved)" \
	sh -c '[ "${1:-0}" -gt "${2:-0}" ] && printf "%s" "$3" | grep -q "\"pending\":0"' - "$now" "$added_at" "$out"
stop_all
# read again once the server is gone: its clean stop released the endpoint's lease, which a
# migrate does not copy (the status shows delivered_by null on both sides)
sk --db "$src" --json webhook list
src_hooks=$out

# ---- migrate FROM -> TO ----
dst=$(newdb dst)
sk --db "$src" --json audit verify
src_head=$(printf '%s' "$out" | sed -n 's/.*"head":"\([0-9a-f]*\)".*/\1/p')
ok "set-up: the source's chain is whole" test -n "$src_head"
sk --db "$src" migrate --to "$dst"
expect "migrate copies the store and says it verified it" 0 "verified:"
ok "the summary names the ledger head" sh -c 'printf "%s" "$1" | grep -q "ledger head: seq [0-9]*, hash $2"' - "$out" "$src_head"
ok "and the rows of the ledger" sh -c 'printf "%s" "$1" | grep -Eq "^  consent_ledger +[1-9]"' - "$out"
sk --db "$dst" --json audit verify
expect "on the target: audit verify, the chain whole" 0 '"ok":true'
ok "with the source's head" test "$(printf '%s' "$out" | sed -n 's/.*"head":"\([0-9a-f]*\)".*/\1/p')" = "$src_head"
sk --db "$dst" ledger replay --check
expect "on the target: ledger replay --check finds no difference" 0 "stored state equals the ledger"
same=0
for pair in "anna@example.com newsletter" "anna@example.com offers" "bo@example.com newsletter" \
	"cecilia@example.com lead_scoring" "erik@example.com newsletter" "bounced@example.com offers" \
	"dora@example.com newsletter" "anna@example.com event_invitations" \
	"$imported newsletter" "$imported lead_scoring"; do
	# shellcheck disable=SC2086
	sk --db "$src" --json check $pair
	a="$status $out"
	# shellcheck disable=SC2086
	sk --db "$dst" --json check $pair
	b="$status $out"
	if [ "$a" = "$b" ]; then same=$((same + 1)); else echo "# check $pair: $a / $b"; fi
done
ok "check answers on the target as on the source (10 address and purpose pairs)" test "$same" -eq 10
sk --db "$dst" --json check dora@example.com newsletter
expect "the pending double opt-in is still pending" 1 "pending_confirmation"
for who in anna@example.com bo@example.com "$imported"; do
	a=$(SAMTYCKE_NOW=2030-01-01T00:00:00Z "$bin" --key-file "$key" --db "$src" --json contact show "$who")
	b=$(SAMTYCKE_NOW=2030-01-01T00:00:00Z "$bin" --key-file "$key" --db "$dst" --json contact show "$who")
	ok "contact show $who: the same on the target (sealed fields open)" test -n "$a" -a "$a" = "$b"
	a=$(SAMTYCKE_NOW=2030-01-01T00:00:00Z "$bin" --key-file "$key" --db "$src" export "$who")
	b=$(SAMTYCKE_NOW=2030-01-01T00:00:00Z "$bin" --key-file "$key" --db "$dst" export "$who")
	ok "access export of $who: the same on the target" test -n "$a" -a "$a" = "$b"
done
sk --db "$dst" --json webhook list
ok "the webhook endpoint and its cursor are kept" test "$out" = "$src_hooks"
sk --db "$dst" keys list
ok "the API keys are listed as on the source" sh -c 'printf "%s" "$1" | grep -q reader && printf "%s" "$1" | grep -q old' - "$out"
# ---- and back, into a third store: every row as it was ----
back=$d/back.db
sk --db "$dst" --json migrate --to "$back"
expect "migrate TO -> BACK, --json" 0 '"verified":true'
ok "--json names the ledger head" sh -c 'printf "%s" "$1" | grep -q "\"head\":\"$2\""' - "$out" "$src_head"
tables=$(printf '%s' "$out" | "$py" -c 'import json, sys; print(" ".join(json.load(sys.stdin)["tables"]))')
# every table of the store's list (SK__TABLE_LIST in src/store/store.c), counted there so that
# a table added by a later migration is counted too
ntables=$(awk '/^#define SK__TABLE_LIST/ { f = 1; next } f && /^$/ { exit } f && /^\tX\(/ { n++ } END { print n }' \
	"$root/src/store/store.c")
ok "--json lists every table ($ntables, store.c's list)" test "$(echo $tables | wc -w)" -eq "$ntables"
# Compared as SQLite files: the source itself, or (when it is a PostgreSQL database) its own
# migrate into SQLite.
case $src in
postgres*) sk --db "$src" migrate --to "$d/src-copy.db"; ref=$d/src-copy.db ;;
*) ref=$src ;;
esac
rows "$ref" >"$d/rows.src"
rows "$back" >"$d/rows.back"
if cmp -s "$d/rows.src" "$d/rows.back"; then pass "every row of every table came back equal, types included"; else
	status=1 out=$(diff "$d/rows.src" "$d/rows.back" | head -20) err=""
	fail "every row of every table came back equal, types included"
fi
ok "the compared rows hold the ledger, sealed fields, keys, the webhook and the mail" sh -c '
	for t in consent_ledger contact_fields contact_keys api_keys webhooks form_requests mail_outbox suppressions changes meta; do
		grep -Eq "^$t [1-9]" "$1" || exit 1
	done' - "$d/rows.src"

# ---- a server on the target ----
serve dst "$dst" --allow-private-webhooks
run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $reader" \
	"$url/v1/check?email=anna@example.com&purpose=newsletter"
ok "an API key made on the source authenticates against a server on the target" test "$out" = 200
run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $old" \
	"$url/v1/check?email=anna@example.com&purpose=newsletter"
ok "the key revoked on the source stays revoked" test "$out" = 401
before=$(printf '%s' "$src_hooks" | sed -n 's/.*"last_delivered_seq":\([0-9]*\).*/\1/p')
must "$bin" --key-file "$key" --db "$dst" consent withdraw anna@example.com offers --method api --source crm
i=0
while [ $i -lt 100 ]; do
	sk --db "$dst" --json webhook list
	now=$(printf '%s' "$out" | sed -n 's/.*"last_delivered_seq":\([0-9]*\).*/\1/p')
	[ "${now:-0}" -gt "$before" ] && printf '%s' "$out" | grep -q '"pending":0' && break
	sleep 0.1
	i=$((i + 1))
done
ok "a server on the target delivers the next change, signed with the copied secret" \
	test "${now:-0}" -gt "$before"
ok "and only what came after the cursor (one change)" test "${now:-0}" -eq $((before + 1))
stop_all

# ---- the other direction: a SQLite file into newdb's store (PostgreSQL with SK_TEST_PG) ----
again=$(newdb again)
sk --db "$back" migrate --to "$again"
expect "the SQLite copy moves into a new store" 0 "verified:"
sk --db "$again" migrate --to "$d/again2.db"
expect "and out of it into SQLite again" 0 "verified:"
rows "$d/again2.db" >"$d/rows.again"
ok "with every row as it was" cmp -s "$d/rows.back" "$d/rows.again"

# ---- one snapshot while another process writes ----
(
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		"$bin" --key-file "$key" --db "$back" consent give "w$i@example.com" newsletter \
			--method api --source crm >/dev/null 2>&1
		"$bin" --key-file "$key" --db "$back" consent withdraw anna@example.com newsletter \
			--method api --source crm >/dev/null 2>&1
		"$bin" --key-file "$key" --db "$back" consent give anna@example.com newsletter \
			--method api --source crm >/dev/null 2>&1
	done
) &
writer=$!
good=0
for i in 1 2 3 4 5; do
	sk --db "$back" migrate --to "$d/busy$i.db"
	if [ "$status" -eq 0 ]; then good=$((good + 1)); else echo "# migrate $i: $err"; fi
done
wait "$writer"
ok "five migrates while another process writes each copy one verified snapshot" test "$good" -eq 5
sk --db "$d/busy5.db" ledger replay --check
expect "the last of them: its state equals its ledger" 0 "stored state equals the ledger"

# ---- failure paths ----
sk --db "$dst" --json audit verify
dst_audit=$out
sk --db "$src" migrate --to "$dst"
expect "an initialised target is refused" 3 "target: the store is not empty"
sk --json --db "$src" migrate --to "$dst"
expect "--json: the refusal is an error object with code exists" 3 '{"error":{"code":"exists","message":"target: the store is not empty'
sk --db "$dst" --json audit verify
ok "and is left as it was (its chain, its head)" test "$out" = "$dst_audit"
fresh=$(newdb fresh)
must "$bin" --key-file "$key" --db "$fresh" init
sk --db "$src" migrate --to "$fresh"
expect "a target just made by init is refused too (it holds the key check)" 3 "target: the store is not empty (table meta has rows)"

sk --db "$d/missing.db" migrate --to "$d/m1.db"
expect "a missing source is named as the source" 3 "source:"
ok "and no target is made" test ! -e "$d/m1.db"

"$bin" --key-file "$d/other.key" --db "$d/other.db" init >/dev/null 2>&1
run "$bin" --key-file "$d/other.key" --db "$src" migrate --to "$d/m2.db"
expect "a key file that is not the source's is refused" 3 "source: the key file does not belong"
ok "and no target is made" test ! -e "$d/m2.db"

run "$bin" --key-file "$key" --db "$src" migrate --to "$d/no/such/folder/x.db"
expect "an unreachable target is named as the target" 3 "target:"
run "$bin" --key-file "$key" --db "$src" migrate --to "postgresql://samtycke:s3cret@127.0.0.1:1/nowhere"
ok "a server target that cannot be reached fails" test "$status" -ne 0
ok "naming the target and never its password" sh -c 'printf "%s" "$1" | grep -q "target\|postgresql" && ! printf "%s" "$1" | grep -q s3cret' - "$out$err"

sk --db "$back" migrate --to "$d/tampered.db"
expect "set-up: a SQLite copy to tamper with" 0 "verified:"
sqlite3 "$d/tampered.db" "UPDATE consent_ledger SET source = 'forged' WHERE seq = 2"
tdst=$(newdb tdst)
sk --db "$d/tampered.db" migrate --to "$tdst"
expect "a tampered source ledger fails the migrate at verify" 3 "hash chain is broken at sequence number 2"
case $tdst in
postgres*) ok "and leaves nothing of the copy in the target database (its tables empty)" test \
	"$(dbsql "$tdst" "SELECT (SELECT count(*) FROM consent_ledger) + (SELECT count(*) FROM contacts)
		+ (SELECT count(*) FROM contact_fields) + (SELECT count(*) FROM suppressions)
		+ (SELECT count(*) FROM api_keys) + (SELECT count(*) FROM webhooks)
		+ (SELECT count(*) FROM changes)")" = 0 ;;
*) ok "and leaves no target file behind" test ! -e "$tdst" -a ! -e "$tdst-wal" ;;
esac
sk --db "$src" migrate --to "$tdst"
expect "the same target then takes a good store: nothing of the failed copy stayed" 0 "verified:"

sk migrate
expect "--to is required" 2 "usage: samtycke migrate --to URI"

done_testing
