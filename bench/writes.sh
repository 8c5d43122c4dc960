#!/bin/sh
# writes.sh: the API write benchmark (issue 12, item 2: group commit). Loads N contacts
# (default 100,000) with bench_core, starts `samtycke serve`, and drives POST /v1/consents
# with wrk (bench/writes-post.lua: each request a new address at bench.example, newsletter
# consent) at 1, 8 and 64 connections; issue 13: the same against a server on a PostgreSQL 15
# loaded with the same N contacts (bench/pg.inc, fsync on); beside each, the plain-SQLite reference
# (bench/bench_writes_plain.c: as many threads, one row per transaction, WAL, synchronous=FULL,
# the same busy timeout) on a table prefilled with N rows. Prints rate, p50 and p99 of both
# and the ratio of the rates, all from one run. It never fails on speed; see
# docs/BENCHMARKS.md.
#
# Usage: bench/writes.sh [BUILD_DIR]
# Environment (all optional): SK_BENCH_N (contacts and plain rows, 100000),
#   SK_BENCH_CLIENTS ("1 8 64"), SK_BENCH_DURATION (seconds per run, 10), SK_BENCH_WRK_THREADS
#   (1), SK_BENCH_SERVER_THREADS (2, the default of serve), SK_BENCH_VERBOSE (1: wrk output),
#   SK_BENCH_SAMTYCKE (the samtycke binary to measure, BUILD_DIR/samtycke: another build's,
#   to compare a version before a change within one session), SK_BENCH_PG (0: no PostgreSQL
#   runs; default: on when postgresql-15 is installed).
set -eu

build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/serve.inc"
. "$root/bench/pg.inc"
n=${SK_BENCH_N:-100000}
clients=${SK_BENCH_CLIENTS:-1 8 64}
secs=${SK_BENCH_DURATION:-10}
wt=${SK_BENCH_WRK_THREADS:-1}
st=${SK_BENCH_SERVER_THREADS:-2}
verbose=${SK_BENCH_VERBOSE:-0}
lua=$root/bench/writes-post.lua
sk_bin=${SK_BENCH_SAMTYCKE:-$build/samtycke}

say() { printf '%s\n' "$*" >&2; }
die() { say "bench/writes: $*"; exit 1; }

"$root/scripts/install-deps.sh" --bench || die "could not install wrk"
for f in "$sk_bin" "$build/bench_core" "$build/bench_writes_plain"; do
	[ -x "$f" ] || die "$f is missing; run 'make build' first"
done

dir=$(mktemp -d /tmp/samtycke-writes.XXXXXX)
sk_pid=""
pg_pid=""
stop() { # PID: SIGTERM, then wait for it
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	stop "$sk_pid"
	stop "$pg_pid"
	bench_pg_stop
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- 1. the database: N contacts with a newsletter consent ----
mkdir "$dir/db"
db=$dir/db/samtycke.db
keyfile=$dir/db/master.key
t0=$(date +%s)
SK_SOURCE_ROOT=$root "$build/bench_core" -m 1 "$dir/db" "$n" >"$dir/fill.log" 2>&1 ||
	{ cat "$dir/fill.log" >&2; die "loading $n contacts failed"; }
rm -f "$dir/db/plain.db" "$dir/db/plain.db-wal" "$dir/db/plain.db-shm"
say "bench/writes: loaded $n contacts in $(($(date +%s) - t0)) s"
key=$("$sk_bin" --db "$db" --key-file "$keyfile" keys create --name bench \
	--scope write) || die "samtycke keys create failed"

# ---- 2. samtycke serve ----
"$sk_bin" --db "$db" --key-file "$keyfile" serve --listen 127.0.0.1:0 --threads "$st" \
	--rate-limit 0 --max-client-connections 1000 >"$dir/serve.out" 2>/dev/null &
sk_pid=$!
sk_url=$(listening_url "$dir/serve.out" "$sk_pid") ||
	die "samtycke serve exited or did not say 'listening on' within 60 s"
code=$(curl -sS -o "$dir/first.json" -w '%{http_code}' -H "Authorization: Bearer $key" \
	-H 'Content-Type: application/json' \
	-d '{"email":"first@bench.example","purpose":"newsletter","action":"give"}' \
	"$sk_url/v1/consents") || die "POST /v1/consents failed"
[ "$code" = 201 ] || die "POST /v1/consents answered $code: $(cat "$dir/first.json")"

# ---- 2b. the same on PostgreSQL ----
pg_on=0
if bench_pg_wanted; then
	pg_on=1
	bench_pg_fill samtycke_writes
	pg_key=$("$sk_bin" --db "$bench_pg_uri" --key-file "$pg_keyfile" keys create --name bench \
		--scope write) || die "samtycke keys create on PostgreSQL failed"
	"$sk_bin" --db "$bench_pg_uri" --key-file "$pg_keyfile" serve --listen 127.0.0.1:0 \
		--threads "$st" --rate-limit 0 --max-client-connections 1000 >"$dir/pg.out" 2>/dev/null &
	pg_pid=$!
	pg_url=$(listening_url "$dir/pg.out" "$pg_pid") ||
		die "samtycke serve on PostgreSQL exited or did not say 'listening on' within 60 s"
	code=$(curl -sS -o "$dir/first-pg.json" -w '%{http_code}' -H "Authorization: Bearer $pg_key" \
		-H 'Content-Type: application/json' \
		-d '{"email":"first@bench.example","purpose":"newsletter","action":"give"}' \
		"$pg_url/v1/consents") || die "POST /v1/consents on PostgreSQL failed"
	[ "$code" = 201 ] ||
		die "POST /v1/consents on PostgreSQL answered $code: $(cat "$dir/first-pg.json")"
fi

field() { # LINE NAME
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }

printf '\nbench/writes: %s: POST /v1/consents, N = %s contacts before, %s s per run, serve --threads %s, wrk -t%s\n' \
	"$sk_bin" "$n" "$secs" "$st" "$wt"
printf '%-8s | %-28s | %-28s | %-28s | %s\n' clients "samtycke req/s  p50 / p99 ms" \
	"on PostgreSQL req/s  p50 / p99" "plain SQLite tx/s  p50 / p99" "ratio"
# post URL KEY CLIENTS RUN: one wrk run; sets rps, p50, p99 and bad (answers not 2xx or failed)
post() {
	out=$(wrk -t"$wt" -c"$3" -d"${secs}s" --latency -s "$lua" "$1" -- "$2" "$4" 2>&1) ||
		die "wrk failed: $out"
	[ "$verbose" = 1 ] && say "$out"
	line=$(printf '%s\n' "$out" | grep '^SKBENCH' | tail -n 1)
	[ -n "$line" ] || die "wrk printed no SKBENCH line: $out"
	rps=$(field "$line" rps)
	p50=$(field "$line" p50_us)
	p99=$(field "$line" p99_us)
	bad=$(($(field "$line" non2xx) + $(field "$line" errors)))
}
run=0
for c in $clients; do
	run=$((run + 1))
	post "$sk_url" "$key" "$c" "$run$c"
	pgcol="-"
	if [ "$pg_on" = 1 ]; then
		sq_rps=$rps sq_p50=$p50 sq_p99=$p99 sq_bad=$bad
		post "$pg_url" "$pg_key" "$c" "$run$c"
		pgcol=$(printf '%8.0f  %6s / %-8s' "$rps" "$(ms "$p50")" "$(ms "$p99")")
		[ "$bad" -gt 0 ] && pgcol="$pgcol ($bad not 2xx or failed)"
		rps=$sq_rps p50=$sq_p50 p99=$sq_p99 bad=$sq_bad
	fi
	rm -f "$dir/plain.db" "$dir/plain.db-wal" "$dir/plain.db-shm"
	pl=$("$build/bench_writes_plain" "$dir/plain.db" "$c" "$secs" "$n") ||
		die "bench_writes_plain failed"
	prps=$(field "$pl" rps)
	pp50=$(field "$pl" p50_us)
	pp99=$(field "$pl" p99_us)
	ratio=$(awk -v a="$rps" -v b="$prps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	printf '%-8s | %8.0f  %6s / %-8s | %-28s | %8.0f  %6s / %-8s | %s%s\n' "$c" "$rps" \
		"$(ms "$p50")" "$(ms "$p99")" "$pgcol" "$prps" "$(ms "$pp50")" "$(ms "$pp99")" "$ratio" \
		"$([ "$bad" -gt 0 ] && echo " ($bad answers not 2xx or failed)" || true)"
done
printf '(ratio: samtycke on SQLite req/s over plain SQLite commits/s; each commit durable, synchronous=FULL)\n'
if [ "$pg_on" = 1 ]; then
	printf '(PostgreSQL: %s on this machine, fsync on, synchronous_commit on, shared_buffers 64MB)\n' \
		"$(/usr/lib/postgresql/15/bin/postgres --version | sed 's/^postgres (PostgreSQL) //')"
fi
stop "$sk_pid"
sk_pid=""
"$sk_bin" --db "$db" --key-file "$keyfile" audit verify >/dev/null ||
	die "audit verify failed after the run"
if [ "$pg_on" = 1 ]; then
	stop "$pg_pid"
	pg_pid=""
	"$sk_bin" --db "$bench_pg_uri" --key-file "$pg_keyfile" audit verify >/dev/null ||
		die "audit verify on PostgreSQL failed after the run"
fi
