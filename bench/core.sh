#!/bin/sh
# core.sh: runs the core benchmark (bench/bench_core.c) in a fresh temporary directory and
# removes it afterwards. Usage: bench/core.sh [BUILD_DIR] [N]; see docs/BENCHMARKS.md.
set -eu

build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/samtycke-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM

SK_SOURCE_ROOT=$root "$build/bench_core" "$dir" ${2:+"$2"}
