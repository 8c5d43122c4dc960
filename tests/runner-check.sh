#!/bin/sh
# runner-check.sh: tests/run.sh itself. Fixture scripts with a missing plan, a plan larger or
# smaller than the cases run, or two plans must each count as a failure even though they exit
# 0; a right plan passes, and `# SKIP` cases and a skipped script are counted apart. TAP.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
d=$(mktemp -d /tmp/samtycke-runner.XXXXXX)
trap 'rm -rf "$d"' EXIT
n=0
failed=0

# fixture NAME: writes $d/NAME.sh, printing the lines of stdin, exiting 0
fixture() {
	{
		echo 'cat <<"TAP"'
		cat
		echo 'TAP'
	} >"$d/$1.sh"
}
printf 'ok 1 - a\nok 2 - b\n1..2\n' | fixture right
printf 'ok 1 - a\nok 2 - b\n' | fixture noplan
printf '1..3\nok 1 - a\nok 2 - b\n' | fixture short
printf 'ok 1 - a\nok 2 - b\n1..1\n' | fixture long
printf '1..1\nok 1 - a\n1..1\n' | fixture twoplans
printf 'ok 1 - a\nok 2 - b # SKIP no sqlite3 shell\n    ok 1 - a subtest\n1..2\n' | fixture skipone
printf '1..0 # SKIP the sqlite3 shell is not installed\n' | fixture skipall
printf '1..3\nok 1 - a\nnot ok 2 # SKIP test_pg_only\nnot ok 3 - b\n' | fixture skipnotok

# case NAME WANT: tests/run.sh --scripts on fixture NAME prints the summary line WANT
# ("N passed, N failed, N skipped") and exits 0 exactly when nothing failed.
case_() {
	n=$((n + 1))
	out=$(sh "$root/tests/run.sh" --scripts "$d/$1.sh" 2>&1)
	st=$?
	line=$(printf '%s\n' "$out" | grep "^$1 " | sed 's/^[^ ]* *//')
	case $2 in *", 0 failed,"*) want_st=0 ;; *) want_st=1 ;; esac
	if [ "$line" = "$2" ] && [ "$st" -eq "$want_st" ]; then
		echo "ok $n - $3"
	else
		failed=$((failed + 1))
		echo "not ok $n - $3"
		echo "#   wanted '$2' and exit status $want_st, got '$line' and $st"
		printf '%s\n' "$out" | sed 's/^/#   /' | head -20
	fi
}
case_ right "2 passed, 0 failed, 0 skipped" "a plan that matches the cases passes"
case_ noplan "2 passed, 1 failed, 0 skipped" "a script without a plan fails, though it exits 0"
case_ short "2 passed, 1 failed, 0 skipped" "a plan of 3 with 2 cases run fails (a case vanished)"
case_ long "2 passed, 1 failed, 0 skipped" "a plan of 1 with 2 cases run fails"
case_ twoplans "1 passed, 1 failed, 0 skipped" "two plans fail"
case_ skipone "1 passed, 0 failed, 1 skipped" "a case marked SKIP counts as skipped, not passed; subtests are not counted"
case_ skipall "0 passed, 0 failed, 1 skipped" "a plan of 1..0 marked SKIP: the whole script counts as skipped"
case_ skipnotok "1 passed, 1 failed, 1 skipped" "cmocka's skipped case (not ok N # SKIP) counts as skipped, a plain not ok still fails"
echo "1..$n"
[ "$failed" -eq 0 ]
