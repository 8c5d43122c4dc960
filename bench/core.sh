#!/bin/sh
# core.sh: runs the core benchmark (bench/bench_core.c) in a fresh temporary directory and
# removes it afterwards. Usage: bench/core.sh [BUILD_DIR] [N] [-t]; see docs/BENCHMARKS.md.
set -eu

build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/samtycke-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM

n=${2:-}
shift $(($# > 2 ? 2 : $#))
# Remaining arguments (such as -t) go to bench_core before the directory.
SK_SOURCE_ROOT=$root "$build/bench_core" "$@" "$dir" ${n:+"$n"}
