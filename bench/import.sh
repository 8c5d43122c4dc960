#!/bin/sh
# import.sh: rows per second through `samtycke import` beside plain SQLite inserting the
# same rows (bench/bench_import_plain.c: one table, one prepared statement, one transaction),
# their ratio from one run (wall clock, and CPU time, which a shared machine disturbs less),
# the peak memory of each (/usr/bin/time) and the load average around the run. Prints
# figures and never fails on speed. Usage: bench/import.sh [BUILD_DIR] [N]; see docs/BENCHMARKS.md.
set -eu

build=${1:-build}
n=${2:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
case $build in /*) ;; *) build=$root/$build ;; esac
data="$root/tests/data/gen_contacts.py"
csv=/tmp/samtycke-bench-contacts-$n.csv
dir=$(mktemp -d /tmp/samtycke-bench-import.XXXXXX)
trap 'rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM

if [ ! -s "$csv" ]; then
	echo "generating $n rows into $csv" >&2
	python3 "$data" "$n" >"$csv.tmp"
	mv "$csv.tmp" "$csv"
fi
unset SAMTYCKE_NOW SAMTYCKE_KEY_FILE
export SAMTYCKE_DB="$dir/sk.db"
"$build/samtycke" init >/dev/null
"$build/samtycke" policy apply "$root/examples/policy.yaml" >/dev/null

# seconds and peak memory (KiB) of a command, from /usr/bin/time -v
measure() {
	/usr/bin/time -v "$@" >"$dir/out" 2>"$dir/time" || { cat "$dir/out" "$dir/time" >&2; exit 1; }
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$dir/time" |
		awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/time")
	cpu=$(sed -n 's/.*User time (seconds): //p; s/.*System time (seconds): //p' "$dir/time" |
		awk '{ s += $1 } END { print s }')
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
measure "$build/samtycke" --json import "$csv" --map "$root/examples/import-mapping.json"
sk_s=$wall
sk_rss=$rss
sk_cpu=$cpu
report=$(cat "$dir/out")
measure "$build/bench_import_plain" "$csv" "$dir/plain.db"
pl_s=$wall
pl_rss=$rss
pl_cpu=$cpu

echo "rows: $n ($(basename "$csv")), machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "samtycke report: $report"
echo "load average before: $load0, after: $(cut -d' ' -f1-3 /proc/loadavg) (on $(nproc) CPUs)"
awk -v n="$n" -v a="$sk_s" -v b="$pl_s" -v ra="$sk_rss" -v rb="$pl_rss" -v ca="$sk_cpu" \
	-v cb="$pl_cpu" 'BEGIN {
	printf "%-28s %12s %10s %10s %14s\n", "", "rows/s", "seconds", "CPU s", "peak RSS MiB"
	printf "%-28s %12.0f %10.2f %10.2f %14.1f\n", "samtycke import", n / a, a, ca, ra / 1024
	printf "%-28s %12.0f %10.2f %10.2f %14.1f\n", "plain SQLite (one tx)", n / b, b, cb, rb / 1024
	printf "ratio (samtycke / plain)     %.3f x (wall), %.3f x (CPU time)\n", b / a, cb / ca
}'
