#!/bin/sh
# http.sh: the HTTP benchmark. Loads N contacts (default 100,000) with a newsletter consent,
# starts `samtycke serve` and an nginx (own config, loopback, free port) serving a static JSON
# file of the same size as the check answer, drives both with wrk using the same settings and
# the same request script (bench/http-check.lua), and prints both rates and their ratio.
# It prints figures and never fails on speed; see docs/BENCHMARKS.md.
#
# Usage: bench/http.sh [BUILD_DIR]
# Environment (all optional): SK_BENCH_N (contacts, 100000), SK_BENCH_WRK_THREADS (1, as
#   issue 12 measures: wrk takes one core's share at most),
#   SK_BENCH_CONNECTIONS (64), SK_BENCH_DURATION (10s), SK_BENCH_WARMUP (3s, 0 for none),
#   SK_BENCH_SERVER_THREADS (2), SK_BENCH_NGINX_WORKERS (auto), SK_BENCH_NGINX_ACCESS_LOG (0;
#   1 writes nginx's access log into the temporary directory, as samtycke always logs each
#   request, to /dev/null here), SK_BENCH_VERBOSE (1: wrk output).
set -eu

build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/serve.inc"
n=${SK_BENCH_N:-100000}
wt=${SK_BENCH_WRK_THREADS:-1}
wc=${SK_BENCH_CONNECTIONS:-64}
wd=${SK_BENCH_DURATION:-10s}
warm=${SK_BENCH_WARMUP:-3s}
st=${SK_BENCH_SERVER_THREADS:-2}
nw=${SK_BENCH_NGINX_WORKERS:-auto}
ng_log_on=${SK_BENCH_NGINX_ACCESS_LOG:-0}
verbose=${SK_BENCH_VERBOSE:-0}
lua=$root/bench/http-check.lua

say() { printf '%s\n' "$*" >&2; }
die() { say "bench/http: $*"; exit 1; }

# ---- tools: wrk and nginx-light (Debian packages) ----

find_nginx() {
	command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true
}
"$root/scripts/install-deps.sh" --bench || die "could not install wrk and nginx-light"
nginx=$(find_nginx)
for f in "$build/samtycke" "$build/bench_core"; do
	[ -x "$f" ] || die "$f is missing; run 'make build' first"
done

# ---- temporary directory, cleanup ----

dir=$(mktemp -d /tmp/samtycke-http.XXXXXX)
sk_pid=""
ng_pid=""
stop() { # PID: SIGTERM, then wait for it
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	stop "$sk_pid"
	stop "$ng_pid"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# nginx's workers run as nobody when the master runs as root: they may pass through the
# directory (the database and key files inside stay 0600) and read www/.
chmod 711 "$dir"

# ---- 1. the database: N contacts with a verified newsletter consent ----
# bench_core loads user0..user{N-1}@bench.example through sk_consent_record in batches of 10k
# (as `init` + `policy apply examples/policy.yaml` + imports would) and leaves its database
# behind; -m 1 keeps its own timing run to one check.

mkdir "$dir/db"
db=$dir/db/samtycke.db
keyfile=$dir/db/master.key
t0=$(date +%s)
SK_SOURCE_ROOT=$root "$build/bench_core" -m 1 "$dir/db" "$n" >"$dir/fill.log" 2>&1 ||
	{ cat "$dir/fill.log" >&2; die "loading $n contacts failed"; }
rm -f "$dir/db/plain.db" "$dir/db/plain.db-wal" "$dir/db/plain.db-shm"
say "bench/http: loaded $n contacts in $(($(date +%s) - t0)) s"

sk() { "$build/samtycke" --db "$db" --key-file "$keyfile" "$@"; }
key=$(sk keys create --name bench --scope read) || die "samtycke keys create failed"
[ -n "$key" ] || die "samtycke keys create printed no key"

# ---- 2. samtycke serve ----

# Started directly (not through sk()), so that $! is the server's own PID.
"$build/samtycke" --db "$db" --key-file "$keyfile" serve --listen 127.0.0.1:0 --threads "$st" \
	--rate-limit 0 >"$dir/serve.out" 2>/dev/null &
sk_pid=$!
sk_url=$(listening_url "$dir/serve.out" "$sk_pid") ||
	die "samtycke serve exited or did not say 'listening on' within 60 s"

# The answer must really be an allowed check, for the first, the last and a middle address.
for a in 0 $((n / 2)) $((n - 1)); do
	body=$(curl -sS -H "Authorization: Bearer $key" \
		"$sk_url/v1/check?email=user$a%40bench.example&purpose=newsletter") ||
		die "GET /v1/check failed"
	case $body in
	*'"allowed":true'*) ;;
	*) die "GET /v1/check for user$a@bench.example answered: $body" ;;
	esac
done

# ---- 3. nginx: its own config, the check answer as a static file ----

mkdir -p "$dir/nginx/www" "$dir/nginx/tmp"
printf '%s' "$body" >"$dir/nginx/www/check.json"
chmod 755 "$dir/nginx" "$dir/nginx/www"
chmod 644 "$dir/nginx/www/check.json"

if [ "$ng_log_on" = 1 ]; then
	ng_log="$dir/nginx/access.log"
else
	ng_log=off
fi
write_nginx_conf() { # PORT
	cat >"$dir/nginx/nginx.conf" <<EOF
# bench/http.sh: nginx for the comparison (samtycke serve --threads $st beside it). The
# default, worker_processes auto, is one worker per core: the same parallelism on 2 cores.
daemon off;
master_process on;
worker_processes $nw;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 1024; }
http {
	access_log $ng_log;
	types { application/json json; }
	default_type application/json;
	sendfile on;
	tcp_nopush on;
	keepalive_timeout 65;
	keepalive_requests 100000000;
	client_body_temp_path $dir/nginx/tmp/body;
	proxy_temp_path $dir/nginx/tmp/proxy;
	fastcgi_temp_path $dir/nginx/tmp/fastcgi;
	uwsgi_temp_path $dir/nginx/tmp/uwsgi;
	scgi_temp_path $dir/nginx/tmp/scgi;
	server {
		listen 127.0.0.1:$1;
		root $dir/nginx/www;
	}
}
EOF
}

free_port() {
	while :; do
		p=$(shuf -i 20000-60999 -n 1)
		[ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return; }
	done
}

ng_url=""
tries=0
while [ -z "$ng_url" ] && [ $tries -lt 5 ]; do
	tries=$((tries + 1))
	port=$(free_port)
	write_nginx_conf "$port"
	"$nginx" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -e "$dir/nginx/error.log" \
		>/dev/null 2>&1 &
	ng_pid=$!
	i=0
	while [ $i -lt 50 ]; do
		if curl -sf -o /dev/null "http://127.0.0.1:$port/check.json"; then
			ng_url=http://127.0.0.1:$port
			break
		fi
		kill -0 "$ng_pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	if [ -z "$ng_url" ]; then
		stop "$ng_pid"
		ng_pid=""
	fi
done
[ -n "$ng_url" ] || { cat "$dir/nginx/error.log" >&2 2>/dev/null; die "nginx did not start"; }

# ---- 4. the same requests to both: sizes and keep-alive ----

sizes() { # URL PATH: "header+body bytes" of one answer
	curl -sS -o /dev/null -H "Authorization: Bearer $key" -w '%{size_header}+%{size_download}' \
		"$1$2?email=user1%40bench.example&purpose=newsletter"
}
keepalive() { # URL PATH: "yes" when two requests shared one connection
	u="$1$2?email=user1%40bench.example&purpose=newsletter"
	if curl -sv -o /dev/null -o /dev/null -H "Authorization: Bearer $key" "$u" "$u" 2>&1 |
		grep -qi 're-using existing connection'; then echo yes; else echo NO; fi
}
sk_size=$(sizes "$sk_url" /v1/check)
ng_size=$(sizes "$ng_url" /check.json)
sk_ka=$(keepalive "$sk_url" /v1/check)
ng_ka=$(keepalive "$ng_url" /check.json)

# ---- 5. wrk: a warm-up (not counted), then the measured run, one server at a time ----

run_wrk() { # NAME URL PATH DURATION SEED (of the random addresses)
	wrk -t"$wt" -c"$wc" -d"$4" -s "$lua" "$2" -- "$3" "$key" "$n" "$5" >"$dir/wrk-$1.out" 2>&1 ||
		{ cat "$dir/wrk-$1.out" >&2; die "wrk against $1 failed"; }
	if [ "$verbose" = 1 ]; then
		say "---- wrk $1 ($4) ----"
		cat "$dir/wrk-$1.out" >&2
	fi
}
field() { # NAME KEY: a value of the SKBENCH line
	sed -n "s/^SKBENCH.* $2=\([^ ]*\).*/\1/p" "$dir/wrk-$1.out" | head -n 1
}

# CPU time (user + system, clock ticks) that these processes and all their threads used.
ticks() {
	for p in "$@"; do sed 's/.*) //' "/proc/$p/stat" 2>/dev/null || true; done |
		awk '{ t += $12 + $13 } END { print t + 0 }'
}
hz=$(getconf CLK_TCK)

# How busy the machine was, with both servers idle, over the second before the runs: other
# work on these cores skews every figure.
cpu_sample() { awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat; }
s0=$(cpu_sample)
sleep 1
s1=$(cpu_sample)
busy=$(printf '%s %s\n' "$s0" "$s1" |
	awk '{ t = $4 - $2; printf "%.0f", (t > 0 ? 100 * ($3 - $1) / t : 0) }')
if [ "$warm" != 0 ]; then
	run_wrk warm-samtycke "$sk_url" /v1/check "$warm" 2
	run_wrk warm-nginx "$ng_url" /check.json "$warm" 2
fi
c0=$(ticks "$sk_pid")
run_wrk samtycke "$sk_url" /v1/check "$wd" 1
c1=$(ticks "$sk_pid")
ng_pids="$ng_pid $(ps -o pid= --ppid "$ng_pid" | tr '\n' ' ')"
# shellcheck disable=SC2086 # a list of PIDs
c2=$(ticks $ng_pids)
run_wrk nginx "$ng_url" /check.json "$wd" 1
# shellcheck disable=SC2086
c3=$(ticks $ng_pids)
sk_alive=yes
kill -0 "$sk_pid" 2>/dev/null || sk_alive=NO

# ---- 6. the table ----

ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }
sk_rps=$(field samtycke rps)
ng_rps=$(field nginx rps)
if [ -z "$sk_rps" ] || [ -z "$ng_rps" ]; then
	die "no figures in the wrk output (see SK_BENCH_VERBOSE=1)"
fi
us_per_req() { # TICKS_BEFORE TICKS_AFTER NAME
	awk -v a="$1" -v b="$2" -v hz="$hz" -v r="$(field "$3" requests)" \
		'BEGIN { printf "%.1f", (r > 0 ? (b - a) / hz * 1e6 / r : 0) }'
}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)

printf 'bench/http: wrk -t%s -c%s -d%s, %s contacts, keep-alive\n' "$wt" "$wc" "$wd" "$n"
printf '%-26s%-13s%-14s%s\n' "" "requests/s" "p50 latency" "p99 latency"
printf '%-26s%-13.0f%-14s%s\n' "samtycke GET /v1/check" "$sk_rps" \
	"$(ms "$(field samtycke p50_us)")" "$(ms "$(field samtycke p99_us)")"
printf '%-26s%-13.0f%-14s%s\n' "nginx static JSON" "$ng_rps" \
	"$(ms "$(field nginx p50_us)")" "$(ms "$(field nginx p99_us)")"
printf '%-26s%s x\n' "ratio (samtycke / nginx)" \
	"$(awk -v a="$sk_rps" -v b="$ng_rps" 'BEGIN { printf "%.2f", a / b }')"
printf '\n'
printf 'samtycke: serve --threads %s --rate-limit 0; answer %s bytes (header+body); %s %s\n' \
	"$st" "$sk_size" keep-alive "$sk_ka"
printf 'nginx:    %s, worker_processes %s, access_log %s; answer %s bytes; keep-alive %s\n' \
	"$("$nginx" -v 2>&1 | sed 's/^nginx version: //')" "$nw" \
	"$([ "$ng_log" = off ] && echo off || echo 'to a file')" "$ng_size" "$ng_ka"
printf 'server CPU per request (user+system): samtycke %s us, nginx %s us\n' \
	"$(us_per_req "$c0" "$c1" samtycke)" "$(us_per_req "$c2" "$c3" nginx)"
printf 'machine:  %s cores, %s; wrk and both servers share these cores\n' "$(nproc)" "$cpu"
printf 'quiet:    CPUs %s%% busy in the second before the runs (servers idle); other work skews\n' \
	"$busy"

# ---- 7. validity: never fails on speed, but says when a figure means nothing ----

warn=0
for s in samtycke nginx; do
	bad=$(field $s non2xx)
	err=$(field $s errors)
	if [ "${bad:-0}" != 0 ]; then
		printf 'WARNING: %s answered %s requests with a non-2xx status; its figure is NOT valid\n' \
			"$s" "$bad"
		warn=1
	fi
	if [ "${err:-0}" != 0 ]; then
		printf 'WARNING: %s had %s socket errors (connect/read/write/timeout) during the run\n' \
			"$s" "$err"
		warn=1
	fi
done
for pair in "samtycke:$sk_ka" "nginx:$ng_ka"; do
	if [ "${pair#*:}" != yes ]; then
		printf 'WARNING: %s did not keep the connection alive; the figures are not comparable\n' \
			"${pair%%:*}"
		warn=1
	fi
done
if [ "$sk_alive" != yes ]; then
	printf 'WARNING: samtycke serve died during the run; its figure is NOT valid\n'
	warn=1
fi
[ $warn = 0 ] && printf 'checks:   no non-2xx answers, no socket errors, keep-alive on both\n'
exit 0
