#!/bin/sh
# import_progress.sh: the progress of `samtycke import` on stderr (issue 12): --progress json
# gives one JSON object per line (after each committed batch and once at the end, with rows,
# bytes, rate and time left), the line with rows, rate and time left shows on a terminal
# only, a wrong --progress is refused before anything is stored, and the progress never
# changes what is imported. Usage: sh tests/integration/import_progress.sh path/to/samtycke
set -u
bin=$1
. "$(dirname "$0")/tap.inc"
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
d=$tap_dir
map="$root/tests/fixtures/import-mapping.json"
unset SAMTYCKE_DB SAMTYCKE_KEY_FILE SAMTYCKE_NOW
# The key file is named: a PostgreSQL store has no file next to which it could be implied.
export SAMTYCKE_KEY_FILE="$d/t.key"
# freshdb NAME: a fresh store (newdb, tap.inc) with the example policy; sets SAMTYCKE_DB.
freshdb() {
	SAMTYCKE_DB=$(newdb "$1")
	export SAMTYCKE_DB
	"$bin" init >/dev/null 2>&1 && "$bin" policy apply "$root/examples/policy.yaml" >/dev/null 2>&1
}
sql() { dbsql "$SAMTYCKE_DB" "$1"; }

# 12,000 rows: the first batch commits after 5,000, the second (10,000) only at the end
python3 "$root/tests/data/gen_contacts.py" 12000 5 >"$d/c12k.csv"
size=$(wc -c <"$d/c12k.csv" | tr -d ' ')

# check_json FILE ROWS SIZE BATCHES: every line of FILE is a progress object; rows never go
# down; the lines before the last are the committed batches (BATCHES: their rows, comma
# separated, "" for none) and say done false; the last says done, all rows and bytes.
check_json() {
	python3 - "$@" <<'EOF'
import json, sys
path, rows, size, batches = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
lines = open(path).read().splitlines()
objs = [json.loads(l) for l in lines]  # every line is one JSON object
keys = {"progress", "rows", "bytes", "total_bytes", "elapsed_s", "rows_per_s", "eta_s", "done"}
for o in objs:
    assert set(o) == keys, o
    assert o["progress"] == "import" and o["total_bytes"] == size, o
    assert 0 <= o["bytes"] <= size and o["eta_s"] >= 0 and o["elapsed_s"] >= 0, o
want = [int(b) for b in batches.split(",")] if batches else []
assert [o["rows"] for o in objs[:-1]] == want, [o["rows"] for o in objs]
assert all(not o["done"] for o in objs[:-1]), objs
last = objs[-1]
assert last["done"] is True and last["rows"] == rows and last["bytes"] == size, last
assert last["eta_s"] == 0 and last["rows_per_s"] > 0, last
EOF
}

freshdb json
"$bin" import "$d/c12k.csv" --map "$map" --progress json >"$d/out" 2>"$d/err"
status=$?
out=$(cat "$d/out")
err=$(cat "$d/err")
ok "--progress json: the import succeeds" test "$status" -eq 0
ok "--progress json: one JSON object a line on stderr, per committed batch and at the end" \
	check_json "$d/err" 12000 "$size" 5000
ok "--progress json: the report on stdout is unchanged" sh -c "grep -q '^rows: *12000\$' '$d/out'"
json_contacts=$(sql 'select count(*) from contacts')
json_ledger=$(sql 'select count(*) from consent_ledger')

freshdb plain
"$bin" import "$d/c12k.csv" --map "$map" >"$d/out2" 2>"$d/err2"
status=$?
out=$(cat "$d/out2")
err=$(cat "$d/err2")
ok "without --progress and without a terminal: nothing on stderr" test "$status" -eq 0 -a ! -s "$d/err2"
ok "the progress changes nothing stored (contacts, events)" \
	test "$(sql 'select count(*) from contacts')/$(sql 'select count(*) from consent_ledger')" = "$json_contacts/$json_ledger"

freshdb none
"$bin" import "$d/c12k.csv" --map "$map" --progress none >/dev/null 2>"$d/err3"
status=$?
ok "--progress none: nothing on stderr" test "$status" -eq 0 -a ! -s "$d/err3"

freshdb dry
"$bin" import "$d/c12k.csv" --map "$map" --dry-run --progress json >/dev/null 2>"$d/err4"
status=$?
ok "--dry-run --progress json: the import succeeds" test "$status" -eq 0
ok "--dry-run --progress json: no batch commits, one line at the end with every row" \
	check_json "$d/err4" 12000 "$size" ""
ok "--dry-run stored nothing" test "$(sql 'select count(*) from contacts')" = 0

freshdb bad
run "$bin" import "$d/c12k.csv" --map "$map" --progress yes
expect "a wrong --progress is a usage error that names the option" 2 "--progress"
ok "a wrong --progress stores nothing" test "$(sql 'select count(*) from contacts')" = 0
run "$bin" import "$d/c12k.csv" --map "$map" --progress
ok "--progress without a value is a usage error" test "$status" -eq 2

# on a terminal (script(1) gives the command a pseudo-terminal): the line redrawn in place
freshdb tty
if command -v script >/dev/null 2>&1; then
	SK_BIN=$bin SK_CSV="$d/c12k.csv" SK_MAP=$map script -qec \
		'"$SK_BIN" import "$SK_CSV" --map "$SK_MAP" >/dev/null' "$d/typescript" >/dev/null 2>&1
	status=$?
	ok "on a terminal: the import succeeds" test "$status" -eq 0
	ok "on a terminal: a progress line with rows, rate and time left" \
		sh -c "tr '\r' '\n' <'$d/typescript' | grep -Eq 'importing \[#+ *\] 100% 12000 rows, [0-9]+ rows/s, 0:00 left'"
	freshdb tty2
	SK_BIN=$bin SK_CSV="$d/c12k.csv" SK_MAP=$map script -qec \
		'"$SK_BIN" --json import "$SK_CSV" --map "$SK_MAP" >/dev/null' "$d/ts2" >/dev/null 2>&1
	ok "on a terminal, under --json: no progress line" \
		sh -c "! grep -q 'importing' '$d/ts2' && test $(sql 'select count(*) from contacts') -gt 0"
else
	pass "# SKIP script(1) is not installed: the terminal line is not tested"
fi

done_testing
