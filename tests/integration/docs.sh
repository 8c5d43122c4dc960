#!/bin/sh
# docs.sh: runs every ```sh example of README.md and docs/*.md as printed, against a fresh
# database and a real server on a random loopback port (tests/integration/docs.py does the
# work; the rules are in docs/internals/build-and-tests.md, "Docs that run").
# Usage: sh tests/integration/docs.sh path/to/samtycke [PAGE...]
set -u
bin=${1:?usage: sh tests/integration/docs.sh path/to/samtycke [PAGE...]}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
shift
# The pages' examples make their stores as printed (samtycke.db, SQLite): on PostgreSQL
# (tests/run.sh's pass with SK_TEST_PG) they would run the same SQLite commands a second time.
if [ -n "${SK_TEST_PG:-}" ]; then
	echo "1..0 # SKIP sqlite only: the doc examples run on the stores they name (samtycke.db), in the SQLite pass"
	exit 0
fi
for tool in bash jq openssl /usr/sbin/nginx /usr/bin/python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "not ok - $tool is installed (the doc examples need it: scripts/install-deps.sh --test)"
		exit 1
	fi
done
SK_SOURCE_ROOT=$root exec /usr/bin/python3 "$root/tests/integration/docs.py" "$bin" "$@"
