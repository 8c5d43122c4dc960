#!/bin/sh
# campaign.sh: the campaign benchmark (bench/bench_campaign.c, issue 16): N recipients (default
# 10,000; the brief's 100,000 takes hours until the outbox's next-mail query has its index,
# docs/BENCHMARKS.md) mailed to a loopback SMTP sink (bench/smtp_sink.c) by samtycke, the gate
# asked for each, beside a bare libcurl loop to the same sink.
# Usage: bench/campaign.sh [BUILD_DIR] [N]; see docs/BENCHMARKS.md. Never fails on speed.
set -eu
build=${1:-build}
n=${2:-10000}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/samtycke-bench-campaign.XXXXXX)
sink_pid=""
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	[ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$build/smtp_sink" >"$dir/sink.out" &
sink_pid=$!
i=0
while ! grep -q '^listening' "$dir/sink.out"; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "bench/campaign: the SMTP sink did not start" >&2; exit 1; }
	sleep 0.05
done
port=$(sed -n 's/^listening //p' "$dir/sink.out")
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
mkdir "$dir/db"
SK_SOURCE_ROOT=$root "$build/bench_campaign" "$dir/db" "$port" "$n"
kill -TERM "$sink_pid"
wait "$sink_pid" 2>/dev/null || true
sink_pid=""
echo "the sink counted: $(sed -n 's/^messages //p' "$dir/sink.out") messages (both sides)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
