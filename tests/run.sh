#!/bin/sh
# Runs every test and counts the cases. Each unit test binary prints TAP (cmocka's TAP
# output); each integration script prints TAP too. A binary that dies without reporting
# counts as one failed case. Usage: tests/run.sh BUILD_DIR [BUILD_DIR...]
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
export SK_SOURCE_ROOT="$root"
export CMOCKA_MESSAGE_OUTPUT=TAP
log=$(mktemp -d /tmp/samtycke-tests.XXXXXX)
pass=0
fail=0

# run NAME COMMAND...: runs one test program, echoes its failures, adds up its cases.
run() {
	name=$1
	shift
	out="$log/$(echo "$name" | tr '/ ' '__').out"
	"$@" >"$out" 2>&1
	status=$?
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $status"
	fi
	grep '^not ok ' "$out" | sed "s|^|$name: |"
	if [ "$f" -gt 0 ]; then
		echo "--- $name output (last 30 lines):"
		tail -n 30 "$out"
	fi
	printf '%-40s %4d passed, %d failed\n' "$name" "$p" "$f"
	pass=$((pass + p))
	fail=$((fail + f))
}

run lint sh "$root/tests/lint.sh"
run openapi-lint sh "$root/tests/openapi-lint.sh"
for build in "$@"; do
	tag=$(basename "$build")
	for t in "$build"/test_*; do
		{ [ -f "$t" ] && [ -x "$t" ]; } || continue
		run "$tag/$(basename "$t")" "$t"
	done
	for s in "$root"/tests/integration/*.sh; do
		run "$tag/$(basename "$s" .sh)" sh "$s" "$build/samtycke"
	done
done

rm -rf "$log"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
