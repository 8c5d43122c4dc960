#!/bin/sh
# mutants-check.sh: tests/mutants.list parses and names real lines (five fields, unique
# well-formed names, a file under src/ holding its pattern exactly once, a test command that
# exists), and a list with each kind of mistake is refused (the positive control). TAP.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	printf '%s\n' "$2" | sed 's/^/#   /' | head -40
}

out=$(/usr/bin/python3 scripts/mutants.py check tests/mutants.list 2>&1)
if [ $? -eq 0 ]; then ok "tests/mutants.list names real lines ($out)"; else notok "tests/mutants.list names real lines" "$out"; fi

# The positive control: one line per mistake; each must be refused with its own message.
d=$(mktemp -d /tmp/samtycke-mutcheck.XXXXXX)
trap 'rm -rf "$d"' EXIT
cat >"$d/bad.list" <<'LIST'
# a comment and a blank line are not mutants

good-one | src/core/idempotency.c | if (!idem_key) | if (0) | build/test_core
four-fields | src/core/idempotency.c | if (!idem_key) | build/test_core
Bad_Name | src/core/idempotency.c | if (!idem_key) | if (0) | build/test_core
good-one | src/core/idempotency.c | if (!idem_key) | if (0) | build/test_core
outside-src | tests/run.sh | set -u | set +u | build/test_core
no-such-file | src/core/nothere.c | x | y | build/test_core
pattern-absent | src/core/idempotency.c | no such text in the file | y | build/test_core
pattern-twice | src/core/idempotency.c | return rc; | return 0; | build/test_core
no-such-test | src/core/idempotency.c | if (!idem_key) | if (0) | build/test_nothere
no-such-script | src/core/idempotency.c | if (!idem_key) | if (0) | SK_SOURCE_ROOT=$PWD sh tests/integration/nothere.sh build/samtycke
LIST
out=$(/usr/bin/python3 scripts/mutants.py check "$d/bad.list" 2>&1)
st=$?
if [ $st -ne 0 ]; then ok "a list with mistakes is refused (exit $st)"; else notok "a list with mistakes is refused" "$out"; fi
# want LINE PATTERN WHAT: the check refused line LINE of the bad list with a message matching PATTERN
want() {
	if printf '%s\n' "$out" | grep -q "$2"; then ok "refused: $3"; else notok "refused: $3" "$out"; fi
}
want 4 ':4: 4 fields, wanted 5' "a line with four fields"
want 5 ":5: name 'Bad_Name' is not" "a name with capitals"
want 6 ":6: name 'good-one' already used on line 3" "a name used twice"
want 7 'line 7: outside-src: file tests/run.sh is not under src/' "a file outside src/"
want 8 'line 8: no-such-file: file src/core/nothere.c does not exist' "a file that does not exist"
want 9 'line 9: pattern-absent: pattern occurs 0 times' "a pattern that does not occur"
want 10 'line 10: pattern-twice: pattern occurs [2-9][0-9]* times' "a pattern that occurs more than once"
want 11 'line 11: no-such-test: build/test_nothere is not a unit test' "a unit test meson.build does not build"
want 12 'line 12: no-such-script: tests/integration/nothere.sh does not exist' "a script that does not exist"
if printf '%s\n' "$out" | grep -q 'good-one: '; then
	notok "the well-formed line of the bad list is not refused" "$out"
else
	ok "the well-formed line of the bad list is not refused"
fi
echo "1..$n"
[ "$failed" -eq 0 ]
