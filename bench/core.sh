#!/bin/sh
# core.sh: runs the core benchmark (bench/bench_core.c) in a fresh temporary directory and
# removes it afterwards; issue 13: then once more with samtycke's store on a throwaway
# PostgreSQL 15 (bench/pg.inc, fsync on; SK_BENCH_PG=0 skips it), the plain SQLite side
# unchanged. Usage: bench/core.sh [BUILD_DIR] [N] [-t]; see docs/BENCHMARKS.md.
set -eu

build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/pg.inc"
dir=$(mktemp -d /tmp/samtycke-bench.XXXXXX)
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	bench_pg_stop
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

n=${2:-}
shift $(($# > 2 ? 2 : $#))
# Remaining arguments (such as -t) go to bench_core before the directory.
mkdir "$dir/sqlite"
SK_SOURCE_ROOT=$root "$build/bench_core" "$@" "$dir/sqlite" ${n:+"$n"}
rm -rf "$dir/sqlite"
if bench_pg_wanted; then
	bench_pg_start samtycke_core || { echo "bench/core: could not start PostgreSQL" >&2; exit 1; }
	mkdir "$dir/pg"
	echo
	SK_SOURCE_ROOT=$root "$build/bench_core" "$@" -s "$bench_pg_uri" "$dir/pg" ${n:+"$n"}
	printf 'PostgreSQL: %s on this machine, fsync on, synchronous_commit on, shared_buffers 64MB\n' \
		"$(/usr/lib/postgresql/15/bin/postgres --version | sed 's/^postgres (PostgreSQL) //')"
fi
