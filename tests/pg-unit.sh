#!/bin/sh
# pg-unit.sh: runs one unit test binary on PostgreSQL: starts a throwaway cluster
# (tests/pg.sh) in a fresh folder under /tmp, runs the binary with SK_TEST_PG set to its base
# URI (testlib.h gives each store a database of its own), stops the cluster and exits with
# the test's status. For the mutants of the PostgreSQL backend and by hand:
#
#   sh tests/pg-unit.sh build/test_store
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/sk-pg-unit.XXXXXX) || exit 1
# the folder itself holds the cluster (pg.sh gives it to the cluster's owner)
base=$(cd /tmp && sh "$root/tests/pg.sh" start "$dir") || {
	rm -rf "$dir"
	exit 1
}
SK_TEST_PG=$base SK_SOURCE_ROOT=${SK_SOURCE_ROOT:-$root} "$@"
rc=$?
sh "$root/tests/pg.sh" stop "$dir"
exit $rc
