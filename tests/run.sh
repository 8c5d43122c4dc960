#!/bin/sh
# Runs every test and counts the cases. Each unit test binary prints TAP (cmocka's TAP
# output); each integration script prints TAP too. A binary that dies without reporting
# counts as one failed case; so does a program whose TAP plan (`1..N`) is missing or does not
# match the cases it ran, so that no case can vanish silently. `ok ... # SKIP` cases (and
# cmocka's `not ok N # SKIP name`: a SKIP directive makes any case a skip in TAP) and a whole
# program skipped (`1..0 # SKIP why`) are counted apart, as skipped.
# After every build has run on SQLite, the first build runs again on PostgreSQL: a throwaway
# cluster (tests/pg.sh) under /tmp, its base URI in SK_TEST_PG, its unit binaries and
# integration scripts tagged pg/NAME; the store's unit test of a second build (the ASan one)
# runs there too, tagged pg-asan/test_store. The cluster is stopped by its PID at the end,
# also when the run is interrupted. No PostgreSQL 15 is a failure, never a silent skip.
# The browser tests (tests/e2e/*.sh, tagged e2e-NAME) run in every pass like the integration
# scripts.
# Usage: tests/run.sh BUILD_DIR [BUILD_DIR...]
#        tests/run.sh --scripts SCRIPT...   (only these sh scripts: tests/runner-check.sh)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
export SK_SOURCE_ROOT="$root"
export CMOCKA_MESSAGE_OUTPUT=TAP
log=$(mktemp -d /tmp/samtycke-tests.XXXXXX)
# A machine with samtycke installed has /etc/samtycke/samtycke.conf, which every command reads
# when $SAMTYCKE_CONFIG names no file: the tests name an empty one, so they run as on a clean
# machine.
: >"$log/empty.conf"
chmod 600 "$log/empty.conf"
export SAMTYCKE_CONFIG="$log/empty.conf"
pass=0
fail=0
skip=0

# tap_count FILE: "PASSED FAILED SKIPPED PLANS PLAN" of a TAP output, top level only (node's
# subtests are indented); PLAN is the last plan's N, or - without one.
tap_count() {
	awk '
	/^(not )?ok( |$)/ && toupper($0) ~ /# *SKIP/ { s++; next }
	/^ok( |$)/ { p++; next }
	/^not ok( |$)/ { f++; next }
	/^1\.\.[0-9]+/ {
		plans++
		plan = substr($0, 4); sub(/[^0-9].*/, "", plan)
		if (plan == 0 && toupper($0) ~ /# *SKIP/) s++
	}
	END { printf "%d %d %d %d %s\n", p, f, s, plans, plans ? plan : "-" }' "$1"
}

# first_errors NAME FILE: each failed case of FILE with the first error line of its report
# (node's "error:", cmocka's message), so that the end of a long run still says why.
first_errors() {
	awk -v name="$1" '
	function flush() { if (nok != "") print name ": " nok (err != "" ? "\n    " err : ""); nok = ""; err = "" }
	/^(not )?ok( |$)/ { flush() }
	/^not ok( |$)/ && toupper($0) !~ /# *SKIP/ { nok = $0; n = 0; next }
	more { err = err " " substr($0, 1, 300); more = 0; next }
	nok != "" && err == "" && n++ < 40 && /^[ \t#]*(error|message|[^ ]+\.c:[0-9]+)/ {
		err = substr($0, 1, 300)
		more = /: *[|>]-?$/ # a YAML block: the text is on the next line
	}
	END { flush() }' "$2"
}

# run NAME COMMAND...: runs one test program, echoes its failures, adds up its cases.
run() {
	name=$1
	shift
	out="$log/$(echo "$name" | tr '/ ' '__').out"
	"$@" >"$out" 2>&1
	status=$?
	set -- $(tap_count "$out")
	p=$1 f=$2 sk=$3 plans=$4 plan=$5
	grep '^not ok ' "$out" | grep -iv '# *skip' | sed "s|^|$name: |"
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $status"
	fi
	cases=$((p + f + sk))
	[ "$plan" = 0 ] && cases=0 # a whole program skipped
	if [ "$plans" -ne 1 ]; then
		f=$((f + 1))
		echo "not ok - $name printed $plans TAP plans (1..N), wanted one"
	elif [ "$plan" -ne "$cases" ]; then
		f=$((f + 1))
		echo "not ok - $name planned $plan cases (1..$plan) and ran $cases"
	fi
	if [ "$f" -gt 0 ]; then
		echo "--- $name output (last 30 lines):"
		tail -n 30 "$out"
		first_errors "$name" "$out" >>"$log/failures"
	fi
	printf '%-40s %4d passed, %d failed, %d skipped\n' "$name" "$p" "$f" "$sk"
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + sk))
}

# The PostgreSQL cluster of the third pass, stopped at exit whatever ends the run.
pg_dir=""
stop_pg() {
	if [ -n "$pg_dir" ]; then
		"$root/tests/pg.sh" stop "$pg_dir"
		pg_dir=""
	fi
}
trap stop_pg EXIT
trap 'exit 130' INT TERM HUP

finish() {
	stop_pg
	if [ -s "$log/failures" ]; then
		echo "--- every failed case, with its first error line:"
		cat "$log/failures"
	fi
	rm -rf "$log"
	echo "$skip skipped"
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

if [ "${1:-}" = --scripts ]; then
	shift
	for s in "$@"; do
		run "$(basename "$s" .sh)" sh "$s"
	done
	finish
	exit
fi

run lint sh "$root/tests/lint.sh"
run openapi-lint sh "$root/tests/openapi-lint.sh"
run mutants-check sh "$root/tests/mutants-check.sh"
run runner-check sh "$root/tests/runner-check.sh"
# each_test TAG BUILD: every unit binary and integration script of BUILD, tagged TAG/NAME.
each_test() {
	for t in "$2"/test_*; do
		{ [ -f "$t" ] && [ -x "$t" ]; } || continue
		run "$1/$(basename "$t")" "$t"
	done
	for s in "$root"/tests/integration/*.sh; do
		run "$1/$(basename "$s" .sh)" sh "$s" "$2/samtycke"
	done
	# the browser tests (Debian's chromium; no chromium is a failure naming the fix)
	for s in "$root"/tests/e2e/*.sh; do
		run "$1/e2e-$(basename "$s" .sh)" sh "$s" "$2/samtycke"
	done
}

for build in "$@"; do
	each_test "$(basename "$build")" "$build"
done

# The PostgreSQL pass: the first build again, every test on a real PostgreSQL 15.
if [ "$#" -gt 0 ]; then
	pg_dir=$(mktemp -d /tmp/samtycke-pg.XXXXXX)
	if base=$("$root/tests/pg.sh" start "$pg_dir" 2>"$log/pg-start.err"); then
		export SK_TEST_PG="$base"
		each_test pg "$1"
		if [ "$#" -gt 1 ] && [ -x "$2/test_store" ]; then
			run "pg-$(basename "$2")/test_store" "$2/test_store"
		fi
		unset SK_TEST_PG
		# a crash or a full disk of the cluster itself, which the tests would only see as
		# refused connections
		grep -E 'PANIC|terminated by signal|in recovery mode|out of memory|No space left' \
			"$pg_dir/server.log" | head -n 20 | sed 's/^/# the PostgreSQL log: /'
	else
		fail=$((fail + 1))
		echo "not ok - pg: tests/pg.sh could not start PostgreSQL 15, so nothing ran on it" \
			"(scripts/install-deps.sh --test installs postgresql-15):"
		sed 's/^/#   /' "$log/pg-start.err"
	fi
	stop_pg
fi

finish
