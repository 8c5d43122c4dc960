#!/bin/sh
# restore.sh: the restore drill (docs/operations.md, section 4) against the real binary and a
# real server: four writers post contacts and consents while `samtycke backup` runs; a person
# in the backup is erased after it (through the API), another erased and then unsuppressed
# (through the command line); server and writers stop; `samtycke restore` is refused without
# --force (the database unchanged), and with it every write acknowledged (2xx) before the
# backup began is there, the chain is whole, replay shows no difference, the erased person is
# still erased (not found, suppressed, the gate says erased) and the one who came back is not
# suppressed. Failure paths: a tampered (ledger row, suppressions deleted, a trigger added,
# its MAC removed) and a truncated backup, a backup made with another
# key file, a missing FILE, a backup onto an existing FILE. On PostgreSQL only the refusals of
# backup and restore (exit 2, pointing at pg_dump) are checked; the rest is reported skipped.
# Usage: sh tests/integration/restore.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/restore.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

require "curl is not installed" command -v curl
require "no samtycke binary at $bin" test -x "$bin"
on_pg || require "the sqlite3 shell is not installed (this test tampers with a backup with it)" \
	command -v sqlite3

scratch restore

# ok NAME TEST...: one case, passed when the test succeeds.
ok() {
	name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# expect_run NAME STATUS TEXT CMD...: one case: CMD exits STATUS and says TEXT (stdout or
# stderr).
expect_run() {
	name=$1 want=$2 text=$3
	shift 3
	"$@" >"$d/run.out" 2>"$d/run.err"
	st=$?
	if [ "$st" -eq "$want" ] && cat "$d/run.out" "$d/run.err" | grep -qF -- "$text"; then
		pass "$name"
	else
		fail "$name (wanted status $want and '$text')" "status $st" "$(cat "$d/run.out" "$d/run.err" | head -10)"
	fi
}

setup "$bin" --db "$db" init
setup "$bin" --db "$db" policy apply "$root/examples/policy.yaml"

if on_pg; then
	expect_run "backup on PostgreSQL is refused with exit 2, pointing at pg_dump" 2 \
		"pg_dump" "$bin" --db "$db" backup "$d/b.db"
	ok "backup on PostgreSQL writes no file" test ! -e "$d/b.db"
	expect_run "restore on PostgreSQL is refused with exit 2, pointing at pg_restore" 2 \
		"pg_restore" "$bin" --db "$db" restore "$d/b.db" --force
	for c in "the drill (writers, backup, erasure after it, restore)" "failure paths"; do
		skip_pg "$c" "samtycke backup and restore copy SQLite files; PostgreSQL uses pg_dump"
	done
	plan
	[ "$failed" -eq 0 ]
	exit
fi

newkey KEY writer read,write
newkey DSR privacy dsr
log="$db.erasures" # the default erasure log, beside the database

# Two people in the backup: one erased after it, one erased and then back.
setup "$bin" --db "$db" consent give erased@example.com newsletter --method api --source drill
setup "$bin" --db "$db" consent give comeback@example.com newsletter --method api --source drill
erased_id=$("$bin" --db "$db" contact show erased@example.com --json | sed -n 's/.*"id":"\(c_[a-z0-9]*\)".*/\1/p')
[ -n "$erased_id" ] || { echo "not ok - setup: the id of erased@example.com"; exit 1; }

start_server drill --rate-limit 0

# writer N: a loop of POST /v1/contacts and POST /v1/consents until $d/stop exists; each
# answer is one line in $d/wN.log: START_MS END_MS STATUS KIND ADDRESS.
writer() {
	i=0
	while [ ! -e "$d/stop" ]; do
		i=$((i + 1))
		addr="w$1-$i@example.com"
		for kind in contact consent; do
			if [ $kind = contact ]; then
				path=/v1/contacts body="{\"email\":\"$addr\"}"
			else
				path=/v1/consents
				body="{\"email\":\"$addr\",\"purpose\":\"newsletter\",\"action\":\"give\",\"method\":\"api\",\"source\":\"drill\"}"
			fi
			t0=$(date +%s%3N)
			code=$(curl -s --max-time 30 -o /dev/null -w '%{http_code}' \
				-H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
				-d "$body" "$url$path")
			t1=$(date +%s%3N)
			echo "$t0 $t1 $code $kind $addr" >>"$d/w$1.log"
		done
	done
}
for w in 1 2 3 4; do
	: >"$d/w$w.log"
	writer $w &
	pids="$pids $!"
	wpids="${wpids:-} $!"
done
sleep 1.5

# The backup, while the writers run.
began=$(date +%s%3N)
expect_run "backup while 4 writers run: exit 0, names the file" 0 "backup: $d/b.db" \
	"$bin" --db "$db" backup "$d/b.db"
ended=$(date +%s%3N)
ok "backup prints its ledger head, time and size" grep -q '^ledger head: seq [0-9]' "$d/run.out"
ok "backup prints where the key file it needs is (it is not in the backup)" \
	grep -qF "key file: $SAMTYCKE_KEY_FILE (not in the backup" "$d/run.out"
ok "the backup file is private (0600)" test "$(stat -c %a "$d/b.db")" = 600
sleep 1

# After the backup: erase one person through the API; erase another and let them come back.
code=$(curl -s -o "$d/erase.json" -w '%{http_code}' -X DELETE -H "Authorization: Bearer $DSR" \
	"$url/v1/contacts/$erased_id")
ok "DELETE /v1/contacts/{id} after the backup answers 200" test "$code" = 200
setup "$bin" --db "$db" forget comeback@example.com
setup "$bin" --db "$db" unsuppress comeback@example.com
ok "the erasure log has the API's erasure" grep -q " erase $erased_id " "$log"
ok "the erasure log holds no address" sh -c "! grep -q 'example' '$log'"
sleep 0.5
touch "$d/stop"
for p in $wpids; do wait "$p"; done
stop drill "$pid"

acked=$(cat "$d"/w?.log | awk '$3 ~ /^2/' | wc -l)
before=$(cat "$d"/w?.log | awk -v b="$began" '$3 ~ /^2/ && $2 < b' | wc -l)
after=$(cat "$d"/w?.log | awk -v e="$ended" '$3 ~ /^2/ && $1 > e && $4 == "contact"' | wc -l)
ok "the writers had writes acknowledged before the backup ($before of $acked) and after it ($after contacts)" \
	test "$before" -gt 0 -a "$after" -gt 0

# Refused without --force, and the database is unchanged.
sum() { sqlite3 "$db" 'SELECT count(*) FROM consent_ledger; SELECT count(*) FROM contacts; SELECT count(*) FROM suppressions'; }
was=$(sum)
expect_run "restore onto an existing database without --force: exit 3, says it exists" 3 \
	"exists: restore replaces it only with --force" "$bin" --db "$db" restore "$d/b.db"
ok "the refused restore left the database unchanged" test "$(sum)" = "$was"

expect_run "restore --force: exit 0, audit verify whole" 0 "audit verify: ledger whole" \
	"$bin" --db "$db" restore "$d/b.db" --force
ok "restore --force: ledger replay --check shows no difference" \
	grep -qF "ledger replay --check: no difference" "$d/run.out"
ok "restore --force: the erasure log was replayed" grep -q "^erasure log .*replayed" "$d/run.out"
cp "$d/run.out" "$d/restore.out"

# Every write acknowledged before the backup began is there.
missing=0
cat "$d"/w?.log | awk -v b="$began" '$3 ~ /^2/ && $2 < b {print $4, $5}' >"$d/acked-before"
while read -r kind addr; do
	if [ "$kind" = contact ]; then
		"$bin" --db "$db" contact show "$addr" >/dev/null 2>&1 || { missing=$((missing + 1)); echo "$kind $addr" >>"$d/missing"; }
	else
		[ "$("$bin" --db "$db" check "$addr" newsletter 2>&1)" = "allowed consent" ] ||
			{ missing=$((missing + 1)); echo "$kind $addr" >>"$d/missing"; }
	fi
done <"$d/acked-before"
ok "every write acknowledged before the backup began is in the restored database ($before checked)" \
	test "$missing" -eq 0
# positive control: the restore replaced the database (a contact made after the backup is gone)
late=$(cat "$d"/w?.log | awk -v e="$ended" '$3 ~ /^2/ && $1 > e && $4 == "contact" {print $5; exit}')
expect_run "a contact created after the backup is not in the restored database" 1 \
	"no contact" "$bin" --db "$db" contact show "$late"
expect_run "audit verify on the restored database: whole" 0 "ledger whole" \
	"$bin" --db "$db" audit verify
expect_run "ledger replay --check on the restored database: no difference" 0 "" \
	"$bin" --db "$db" ledger replay --check

# The erasure after the backup holds; the unsuppression after it too.
expect_run "the person erased after the backup is not found after the restore" 1 \
	"no contact" "$bin" --db "$db" contact show erased@example.com
expect_run "the gate answers erased (suppressed) for them" 1 "denied erased" \
	"$bin" --db "$db" check erased@example.com newsletter
expect_run "the person erased after the backup is not found after the restore (by id)" 1 "" \
	"$bin" --db "$db" contact show "$erased_id"
"$bin" --db "$db" check comeback@example.com newsletter >"$d/run.out" 2>&1
ok "the person erased then unsuppressed after the backup is not suppressed" \
	sh -c "! grep -q erased '$d/run.out'"
expect_run "they are not found either (the erasure held)" 1 "no contact" \
	"$bin" --db "$db" contact show comeback@example.com
start_server after --rate-limit 0
s=$(curl -s -H "Authorization: Bearer $KEY" "$url/v1/suppressions/check?email=erased@example.com")
ok "GET /v1/suppressions/check after the restore: the erased address is suppressed" \
	test "$s" = '{"suppressed":true}'
s=$(curl -s -H "Authorization: Bearer $KEY" "$url/v1/suppressions/check?email=comeback@example.com")
ok "GET /v1/suppressions/check after the restore: the one who came back is not" \
	test "$s" = '{"suppressed":false}'
g=$(curl -s -H "Authorization: Bearer $KEY" "$url/v1/check?email=erased@example.com&purpose=newsletter")
ok "GET /v1/check after the restore: denied, erased" sh -c "echo '$g' | grep -q '\"reason\":\"erased\"'"
stop after "$pid"

# ---- failure paths ----
# untouched: the database as the good restore left it (a second good restore would say so)
was=$(sum)

cp "$d/b.db" "$d/tampered.db"
sqlite3 "$d/tampered.db" "UPDATE consent_ledger SET source = 'forged' WHERE seq = 1"
expect_run "a tampered backup is refused (exit 3), naming the broken chain" 3 \
	"hash chain is broken" "$bin" --db "$db" restore "$d/tampered.db" --force
ok "the tampered backup left the database unchanged" test "$(sum)" = "$was"

# a backup made later, holding the erased person's suppression, changed three ways (H1)
setup "$bin" --db "$db" backup "$d/b2.db"
ok "the second backup holds a suppression (what the next case deletes)" \
	test "$(sqlite3 "$d/b2.db" 'SELECT count(*) FROM suppressions')" -gt 0
cp "$d/b2.db" "$d/nosupp.db"
sqlite3 "$d/nosupp.db" "DELETE FROM suppressions"
expect_run "a backup with its suppressions deleted is refused (exit 3): its MAC does not verify" 3 \
	"the backup was changed after it was made" "$bin" --db "$db" restore "$d/nosupp.db" --force
ok "the backup without suppressions left the database unchanged" test "$(sum)" = "$was"
cp "$d/b2.db" "$d/trigger.db"
sqlite3 "$d/trigger.db" "CREATE TABLE keep(k BLOB); CREATE TRIGGER t_keep BEFORE DELETE ON contacts BEGIN INSERT INTO keep SELECT wrapped FROM contact_keys WHERE contact_id = old.id; END;" 2>/dev/null ||
	sqlite3 "$d/trigger.db" "CREATE TABLE keep(k BLOB); CREATE TRIGGER t_keep BEFORE DELETE ON contacts BEGIN INSERT INTO keep VALUES (old.id); END;"
expect_run "a backup with a trigger added is refused (exit 3), naming its schema" 3 \
	"its schema differs from the one this samtycke makes" \
	"$bin" --db "$db" restore "$d/trigger.db" --force
ok "the backup with a trigger left the database unchanged (no trigger in it)" sh -c \
	"test \"\$(sqlite3 '$db' \"SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' OR name = 'keep'\")\" = 0"
cp "$d/b2.db" "$d/nomac.db"
sqlite3 "$d/nomac.db" "DELETE FROM meta WHERE key = 'backup_mac'"
expect_run "a copy without the backup's MAC is refused (exit 3)" 3 "it holds no MAC" \
	"$bin" --db "$db" restore "$d/nomac.db" --force
ok "the backup is one file in rollback-journal mode" \
	test "$(sqlite3 "$d/b2.db" 'PRAGMA journal_mode')" = delete

head -c 8192 "$d/b.db" >"$d/truncated.db"
expect_run "a truncated backup is refused (exit 3)" 3 "the backup is refused" \
	"$bin" --db "$db" restore "$d/truncated.db" --force
ok "the truncated backup left the database unchanged" test "$(sum)" = "$was"

mkdir "$d/other"
setup "$bin" --db "$d/other/o.db" --key-file "$d/other/o.key" init
setup "$bin" --db "$d/other/o.db" --key-file "$d/other/o.key" backup "$d/other.db"
expect_run "a backup made with another key file is refused (exit 3)" 3 \
	"key file does not belong" "$bin" --db "$db" restore "$d/other.db" --force
ok "the other key's backup left the database unchanged" test "$(sum)" = "$was"

expect_run "a missing backup file is refused (exit 3)" 3 "cannot read $d/none.db" \
	"$bin" --db "$db" restore "$d/none.db" --force

# a database that no longer opens: restore --force moves it aside (never deletes it)
# the erasure log missing (H2): refused before anything is touched, unless --no-erasure-log
expect_run "restore with the erasure log missing is refused (exit 3), naming it" 3 \
	"the erasure log $d/none.erasures does not exist" \
	"$bin" --db "$db" --erasure-log "$d/none.erasures" restore "$d/b.db" --force
ok "the refused restore (no erasure log) left the database unchanged" test "$(sum)" = "$was"
ok "the refused restore made no erasure log" test ! -e "$d/none.erasures"
head -c 100000 /dev/urandom >"$d/broken.db"
expect_run "restore --force onto a database that does not open moves it aside and restores" 0 \
	"moved aside" "$bin" --db "$d/broken.db" --erasure-log "$log" restore "$d/b.db" --force
ok "the unreadable database is kept aside" sh -c "ls '$d' | grep -q '^broken.db.unreadable-'"
expect_run "the restored database answers" 0 "allowed consent" \
	"$bin" --db "$d/broken.db" check "$(awk '$1 == "consent" {print $2; exit}' "$d/acked-before")" newsletter
expect_run "restore without --force onto a database that does not open is refused" 3 \
	"exists" "$bin" --db "$d/broken.db.unreadable-"* --erasure-log "$log" restore "$d/b.db"
expect_run "restore --no-erasure-log into a new file: exit 0, says the erasures are not done again" 0 \
	"not replayed (--no-erasure-log)" "$bin" --db "$d/nolog.db" --erasure-log "$d/none.erasures" \
	restore "$d/b.db" --no-erasure-log
expect_run "without the log replayed, the person erased after the backup is back (what the flag means)" 0 \
	"$erased_id" "$bin" --db "$d/nolog.db" contact show "$erased_id"

# a line written without the key (M5): not done, counted, exit 3
victim=$(awk '$1 == "contact" {print $2; exit}' "$d/acked-before")
victim_id=$("$bin" --db "$d/nolog.db" contact show "$victim" --json | sed -n 's/.*"id":"\(c_[a-z0-9]*\)".*/\1/p')
install -m 600 "$log" "$d/forged.erasures"
echo "2 $(date +%s%3N) erase $victim_id - erased $(printf '%064d' 0)" >>"$d/forged.erasures"
expect_run "erasures replay: a line whose MAC does not verify is not done (exit 3)" 3 \
	"1 entry of the erasure log does not verify" \
	"$bin" --db "$d/nolog.db" erasures replay "$d/forged.erasures"
expect_run "... and the contact it names is still there" 0 "$victim_id" \
	"$bin" --db "$d/nolog.db" contact show "$victim_id"
chmod 620 "$d/forged.erasures"
expect_run "erasures replay refuses a log that group may write (exit 3)" 3 "cannot read the erasure log" \
	"$bin" --db "$d/nolog.db" erasures replay "$d/forged.erasures"

# a leftover of a restore that was killed is named by the next one
touch "$d/nolog.db.restore-1"
expect_run "restore names a leftover DATABASE.restore-PID of an earlier run" 0 \
	"$d/nolog.db.restore-1 is left over from an earlier run" \
	"$bin" --db "$d/nolog.db" --erasure-log "$log" restore "$d/b.db" --force
rm -f "$d/nolog.db.restore-1"

# the erasure log named in the configuration file (global --config) is the one restore reads
printf 'db = %s\nerasure-log = %s\n' "$d/conf.db" "$log" >"$d/c.conf"
expect_run "restore with --config: the file's db and erasure-log are used" 0 \
	"erasure log $log:" "$bin" --config "$d/c.conf" restore "$d/b.db"
expect_run "the person erased after the backup stays erased there" 1 "no contact" \
	"$bin" --config "$d/c.conf" contact show erased@example.com

before_sum=$(sha256sum <"$d/b.db")
expect_run "backup onto an existing FILE is refused without --force (exit 3)" 3 \
	"already exists" "$bin" --db "$db" backup "$d/b.db"
ok "the existing FILE is unchanged" test "$(sha256sum <"$d/b.db")" = "$before_sum"
expect_run "backup onto an existing FILE with --force replaces it" 0 "backup: $d/b.db" \
	"$bin" --db "$db" backup "$d/b.db" --force
expect_run "backup onto the database itself is refused" 2 "is the database itself" \
	"$bin" --db "$db" backup "$db" --force
ok "no temporary file is left beside the backups" sh -c "! ls '$d' | grep -q -e '\\.tmp-' -e '\\.restore-'"

plan
[ "$failed" -eq 0 ]
