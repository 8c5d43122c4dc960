#!/bin/sh
# audience.sh: the audience benchmark (bench/bench_audience.c, issue 16): N contacts with a
# mix of newsletter consents in samtycke and in a plain SQLite pair of tables, the allowed
# audience of the purpose timed on both. The loaded databases are kept in
# /tmp/samtycke-bench-audience-N for the next run (the load of 1M takes minutes); remove the
# folder to load afresh. Usage: bench/audience.sh [BUILD_DIR] [N]; see docs/BENCHMARKS.md.
set -eu
build=${1:-build}
n=${2:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=/tmp/samtycke-bench-audience-$n
mkdir -p "$dir"
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
SK_SOURCE_ROOT=$root "$build/bench_audience" "$dir" "$n"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
