#!/bin/sh
# audit.sh: the audit benchmark (bench/bench_audit.c: export --allowed-only, audit verify,
# ledger replay --check) at N contacts, the time of one CLI command (check, consent give),
# then a server on that database: CPU spent starting and
# memory when idle and under check load (wrk), the latency from a withdrawal to a loopback
# webhook receiver, and the latency of erasures (DELETE /v1/contacts/{id}).
# Usage: bench/audit.sh [BUILD_DIR] [N] [SAMTYCKE_BINARY]; the binary defaults to the build's
# (give another one, such as an older build, to compare the server figures on the same data).
# Removes its temporary directory and stops its server on exit. See docs/BENCHMARKS.md.
set -eu

build=${1:-build}
n=${2:-100000}
bin=${3:-$build/samtycke}
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/serve.inc"
dir=$(mktemp -d /tmp/samtycke-bench.XXXXXX)
srv=""
trap 'if [ -n "$srv" ]; then kill -TERM "$srv" 2>/dev/null; wait "$srv" 2>/dev/null; fi; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM

"$root/scripts/install-deps.sh" --bench >/dev/null || { echo "audit.sh: could not install wrk" >&2; exit 1; }
SK_SOURCE_ROOT=$root "$build/bench_audit" "$dir" "$n"

sk() { "$bin" --db "$dir/samtycke.db" --key-file "$dir/master.key" "$@"; }

# One CLI command at a time, before any server holds the database: a gate check (it needs no
# network, so it must not load libcurl) and a consent given to a new address each run.
cli="/usr/bin/python3 $root/bench/cli_time.py 30"
$cli "samtycke check (allowed), N = $n" "$bin" --db "$dir/samtycke.db" \
	--key-file "$dir/master.key" check user0@bench.example newsletter
$cli "samtycke consent give (new contact), N = $n" "$bin" --db "$dir/samtycke.db" \
	--key-file "$dir/master.key" consent give "cli{i}@bench.example" newsletter \
	--method api --source bench
key=$(sk keys create --name bench --scope read,write,dsr,admin)
rport=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sk webhook add "http://127.0.0.1:$rport/hook" --events consent.withdrawn --allow-private >/dev/null

t0=$(date +%s.%N)
"$bin" --db "$dir/samtycke.db" --key-file "$dir/master.key" serve --listen 127.0.0.1:0 --allow-private-webhooks --rate-limit 0 >"$dir/serve.out" 2>"$dir/serve.err" &
srv=$!
url=$(listening_url "$dir/serve.out" "$srv") ||
	{ echo "audit.sh: the server did not start" >&2; cat "$dir/serve.err" >&2; exit 1; }
ready=$(date +%s.%N)
sleep 3 # idle: the maintenance thread's first pass (pending expiry) is over
tck=$(getconf CLK_TCK)
cpu=$(awk -v t="$tck" '{ print ($14 + $15) / t }' "/proc/$srv/stat")
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$srv/status")
anon=$(awk '/^RssAnon:/ { print $2 }' "/proc/$srv/status")
echo "server ($bin) at N = $n: ready in $(echo "$ready - $t0" | bc) s;" \
	"CPU used by start-up and 3 s idle $cpu s; idle VmRSS $rss KiB (RssAnon $anon KiB)"

# Under load: one wrk thread, 32 connections, 10 s of checks of random addresses (as
# bench/http.sh), VmRSS and RssAnon sampled every 50 ms; the peak of each.
"$root/bench/rss_peak.sh" "$srv" >"$dir/rss.out" &
sampler=$!
wrk -t1 -c32 -d10s -s "$root/bench/http-check.lua" "$url" -- /v1/check "$key" "$n" 1 >"$dir/wrk.out" 2>&1 ||
	{ cat "$dir/wrk.out" >&2; echo "audit.sh: wrk failed" >&2; exit 1; }
kill -TERM "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
rate=$(sed -n 's/.*SKBENCH .*rps=\([0-9.]*\).*/\1/p' "$dir/wrk.out")
echo "server under check load (wrk -t1 -c32 -d10s, $rate req/s): peak $(cat "$dir/rss.out")"
/usr/bin/python3 "$root/bench/server_latency.py" "$url" "$key" "$rport" 100
