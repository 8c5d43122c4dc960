#!/bin/sh
# http.sh: the HTTP benchmark. Loads N contacts (default 100,000) with a newsletter consent,
# starts `samtycke serve` and an nginx (own config, loopback, free port) serving a static JSON
# file of the same size as the check answer, drives both with wrk using the same settings and
# the same request script (bench/http-check.lua), and prints both rates and their ratio.
# Issue 13: the same N contacts also in a PostgreSQL 15 (bench/pg.inc, fsync on), and
# GET /v1/check measured in the same run on one server on it (directly and through nginx)
# and on two servers on it behind nginx (an upstream with keep-alive, as docs/deployment.md),
# beside two servers on the one SQLite file behind the same nginx.
# It prints figures and never fails on speed; see docs/BENCHMARKS.md.
#
# Usage: bench/http.sh [BUILD_DIR]
# Environment (all optional): SK_BENCH_N (contacts, 100000), SK_BENCH_WRK_THREADS (1, as
#   issue 12 measures: wrk takes one core's share at most),
#   SK_BENCH_CONNECTIONS (64), SK_BENCH_DURATION (10s), SK_BENCH_WARMUP (3s, 0 for none),
#   SK_BENCH_SERVER_THREADS (2), SK_BENCH_NGINX_WORKERS (auto), SK_BENCH_NGINX_ACCESS_LOG (0;
#   1 writes nginx's access log into the temporary directory, as samtycke always logs each
#   request, to /dev/null here), SK_BENCH_VERBOSE (1: wrk output), SK_BENCH_PG (0: no
#   PostgreSQL runs; default: on when postgresql-15 is installed).
set -eu

build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/serve.inc"
. "$root/bench/pg.inc"
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
sk2_pid=""
pg1_pid=""
pg2_pid=""
stop() { # PID: SIGTERM, then wait for it
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	stop "$sk_pid"
	stop "$sk2_pid"
	stop "$pg1_pid"
	stop "$pg2_pid"
	stop "$ng_pid"
	bench_pg_stop
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
# --trusted-proxy 127.0.0.1: the proxied runs' nginx is exempt from --max-client-connections
# (64 a client address), as docs/deployment.md has it; without it, nginx's kept-alive
# connections beyond 64 are closed unanswered and nginx answers 502.

# Started directly (not through sk()), so that $! is the server's own PID.
"$build/samtycke" --db "$db" --key-file "$keyfile" serve --listen 127.0.0.1:0 --threads "$st" \
	--rate-limit 0 --trusted-proxy 127.0.0.1 >"$dir/serve.out" 2>/dev/null &
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

# ---- 2b. a second server on the same SQLite file, and PostgreSQL with two servers ----

serve_bg() { # OUT DB KEYFILE: `samtycke serve` in the background; sets serve_pid
	"$build/samtycke" --db "$2" --key-file "$3" serve --listen 127.0.0.1:0 --threads "$st" \
		--rate-limit 0 --trusted-proxy 127.0.0.1 >"$1" 2>/dev/null &
	serve_pid=$!
}
serve_bg "$dir/serve2.out" "$db" "$keyfile"
sk2_pid=$serve_pid
sk2_url=$(listening_url "$dir/serve2.out" "$sk2_pid") ||
	die "a second samtycke serve on the SQLite file did not start"

pg_on=0
if bench_pg_wanted; then
	pg_on=1
	bench_pg_fill samtycke_bench
	pg_size=$(/usr/lib/postgresql/15/bin/psql -X -At -d "$bench_pg_uri" \
		-c 'SELECT pg_database_size(current_database())') || pg_size=0
	pg_key=$("$build/samtycke" --db "$bench_pg_uri" --key-file "$pg_keyfile" keys create \
		--name bench --scope read) || die "samtycke keys create on PostgreSQL failed"
	serve_bg "$dir/pg1.out" "$bench_pg_uri" "$pg_keyfile"
	pg1_pid=$serve_pid
	pg1_url=$(listening_url "$dir/pg1.out" "$pg1_pid") ||
		die "samtycke serve on PostgreSQL did not start"
	serve_bg "$dir/pg2.out" "$bench_pg_uri" "$pg_keyfile"
	pg2_pid=$serve_pid
	pg2_url=$(listening_url "$dir/pg2.out" "$pg2_pid") ||
		die "a second samtycke serve on PostgreSQL did not start"
	for u in "$pg1_url" "$pg2_url"; do
		for a in 0 $((n - 1)); do
			b=$(curl -sS -H "Authorization: Bearer $pg_key" \
				"$u/v1/check?email=user$a%40bench.example&purpose=newsletter") ||
				die "GET /v1/check on PostgreSQL failed"
			case $b in
			*'"allowed":true'*) ;;
			*) die "GET /v1/check on PostgreSQL for user$a@bench.example answered: $b" ;;
			esac
		done
	done
fi

# ---- 3. nginx: its own config, the check answer as a static file, and proxies ----

mkdir -p "$dir/nginx/www" "$dir/nginx/tmp"
printf '%s' "$body" >"$dir/nginx/www/check.json"
chmod 755 "$dir/nginx" "$dir/nginx/www"
chmod 644 "$dir/nginx/www/check.json"

if [ "$ng_log_on" = 1 ]; then
	ng_log="$dir/nginx/access.log"
else
	ng_log=off
fi
# proxy_block PORT UPSTREAM SERVER...: an upstream of the servers (HOST:PORT) with keep-alive and
# a server on 127.0.0.1:PORT passing everything to it, as docs/deployment.md does (no TLS here).
proxy_block() {
	_p=$1
	_u=$2
	shift 2
	printf '\tupstream %s {\n' "$_u"
	for _s in "$@"; do printf '\t\tserver %s;\n' "$_s"; done
	printf '\t\tkeepalive 64;\n\t}\n'
	printf '\tserver {\n\t\tlisten 127.0.0.1:%s;\n' "$_p"
	printf '\t\tlocation / {\n\t\t\tproxy_pass http://%s;\n' "$_u"
	printf '\t\t\tproxy_http_version 1.1;\n\t\t\tproxy_set_header Connection "";\n'
	printf '\t\t\tproxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n'
	printf '\t\t}\n\t}\n'
}
proxies() { # the proxy blocks of this run, on ports $2.. ($1 is the static one)
	proxy_block "$2" sqlite_two "${sk_url#http://}" "${sk2_url#http://}"
	if [ "$pg_on" = 1 ]; then
		proxy_block "$3" pg_one "${pg1_url#http://}"
		proxy_block "$4" pg_two "${pg1_url#http://}" "${pg2_url#http://}"
	fi
}
write_nginx_conf() { # PORT PROXY_PORT...
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
$(proxies "$@")
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
	pp1=$(free_port)
	pp2=$(free_port)
	pp3=$(free_port)
	write_nginx_conf "$port" "$pp1" "$pp2" "$pp3"
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
sq2_url=http://127.0.0.1:$pp1
pgn1_url=http://127.0.0.1:$pp2
pgn2_url=http://127.0.0.1:$pp3

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

# ---- 5. wrk: a warm-up (not counted), then the measured run, one target at a time ----

run_wrk() { # NAME URL PATH DURATION SEED (of the random addresses) KEY
	wrk -t"$wt" -c"$wc" -d"$4" -s "$lua" "$2" -- "$3" "$6" "$n" "$5" >"$dir/wrk-$1.out" 2>&1 ||
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
with_children() { # PID...: those and their children
	for p in "$@"; do
		[ -n "$p" ] || continue
		echo "$p"
		ps -o pid= --ppid "$p" || true
	done | tr -s ' \n' '  '
}
ng_pids=$(with_children "$ng_pid")
sk_pids="$sk_pid $sk2_pid $pg1_pid $pg2_pid"
pg_pids=""
pg_master=""
if [ "$pg_on" = 1 ]; then
	pg_master=$(head -n 1 "$bench_pg_dir/data/postmaster.pid")
fi

# How busy the machine was, with all servers idle, over the second before the runs: other
# work on these cores skews every figure.
cpu_sample() { awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat; }
s0=$(cpu_sample)
sleep 1
s1=$(cpu_sample)
busy=$(printf '%s %s\n' "$s0" "$s1" |
	awk '{ t = $4 - $2; printf "%.0f", (t > 0 ? 100 * ($3 - $1) / t : 0) }')

# The targets: NAME URL PATH KEY LABEL, one a line.
targets="samtycke $sk_url /v1/check $key samtycke GET /v1/check (SQLite)
nginx $ng_url /check.json $key nginx static JSON
sqlite-two $sq2_url /v1/check $key 2 servers, one SQLite file, via nginx"
if [ "$pg_on" = 1 ]; then
	targets="$targets
pg-one $pg1_url /v1/check $pg_key 1 server on PostgreSQL
pg-one-nginx $pgn1_url /v1/check $pg_key 1 server on PostgreSQL, via nginx
pg-two-nginx $pgn2_url /v1/check $pg_key 2 servers on PostgreSQL, via nginx"
fi

# measure NAME URL PATH KEY: warm-up, then the run; CPU of each group of processes in
# $dir/cpu-NAME ("samtycke nginx postgres" ticks)
measure() {
	[ "$warm" = 0 ] || run_wrk "warm-$1" "$2" "$3" "$warm" 2 "$4"
	# PostgreSQL's backends are the connections of this run's servers: listed after the warm-up
	pg_pids=""
	[ -z "$pg_master" ] || pg_pids=$(with_children "$pg_master")
	# shellcheck disable=SC2086 # lists of PIDs
	a0=$(ticks $sk_pids) b0=$(ticks $ng_pids) c0=$(ticks $pg_pids)
	run_wrk "$1" "$2" "$3" "$wd" 1 "$4"
	# shellcheck disable=SC2086
	a1=$(ticks $sk_pids) b1=$(ticks $ng_pids) c1=$(ticks $pg_pids)
	echo "$((a1 - a0)) $((b1 - b0)) $((c1 - c0))" >"$dir/cpu-$1"
}
printf '%s\n' "$targets" >"$dir/targets"
while read -r name url path tkey label; do
	measure "$name" "$url" "$path" "$tkey" </dev/null
done <"$dir/targets"
sk_alive=yes
for p in $sk_pids; do kill -0 "$p" 2>/dev/null || sk_alive=NO; done

# ---- 6. the table ----

ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
sk_rps=$(field samtycke rps)
ng_rps=$(field nginx rps)
if [ -z "$sk_rps" ] || [ -z "$ng_rps" ]; then
	die "no figures in the wrk output (see SK_BENCH_VERBOSE=1)"
fi
us_per_req() { # TICKS NAME: microseconds of CPU per request of the run NAME
	awk -v t="$1" -v hz="$hz" -v r="$(field "$2" requests)" \
		'BEGIN { printf "%.1f", (r > 0 ? t / hz * 1e6 / r : 0) }'
}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)

printf 'bench/http: wrk -t%s -c%s -d%s, %s contacts, keep-alive\n' "$wt" "$wc" "$wd" "$n"
printf '%-40s%-12s%-9s%-9s%s\n' "" "requests/s" "p50 ms" "p99 ms" \
	"CPU us per request: samtycke, nginx, PostgreSQL"
while read -r name url path tkey label; do
	# shellcheck disable=SC2046 # three numbers
	set -- $(cat "$dir/cpu-$name")
	printf '%-40s%-12.0f%-9s%-9s%s, %s, %s\n' "$label" "$(field "$name" rps)" \
		"$(ms "$(field "$name" p50_us)")" "$(ms "$(field "$name" p99_us)")" \
		"$(us_per_req "$1" "$name")" "$(us_per_req "$2" "$name")" "$(us_per_req "$3" "$name")"
done <"$dir/targets"
printf '%-40s%s x\n' "ratio (samtycke SQLite / nginx static)" \
	"$(awk -v a="$sk_rps" -v b="$ng_rps" 'BEGIN { printf "%.2f", a / b }')"
printf '\n'
printf 'samtycke: serve --threads %s --rate-limit 0 --trusted-proxy 127.0.0.1 (each server); answer %s bytes (header+body); keep-alive %s\n' \
	"$st" "$sk_size" "$sk_ka"
printf 'nginx:    %s, worker_processes %s, access_log %s; answer %s bytes; keep-alive %s;\n' \
	"$("$nginx" -v 2>&1 | sed 's/^nginx version: //')" "$nw" \
	"$([ "$ng_log" = off ] && echo off || echo 'to a file')" "$ng_size" "$ng_ka"
printf '          proxies: upstream keepalive 64, HTTP/1.1, round robin, plain HTTP\n'
printf 'store:    SQLite file %.1f MiB' "$(du -ck "$db"* | tail -n 1 | awk '{ print $1 / 1024 }')"
if [ "$pg_on" = 1 ]; then
	printf ', PostgreSQL database %.1f MiB (pg_database_size), both after loading %s contacts\n' \
		"$(awk -v b="$pg_size" 'BEGIN { print b / 1048576 }')" "$n"
	printf 'PostgreSQL: %s, fsync on (tests/pg.sh --durable), shared_buffers 64MB, on this machine\n' \
		"$(/usr/lib/postgresql/15/bin/postgres --version | sed 's/^postgres (PostgreSQL) //')"
else
	printf ' after loading %s contacts\n' "$n"
	printf 'PostgreSQL: not measured (SK_BENCH_PG=0, or postgresql-15 not installed)\n'
fi
printf 'machine:  %s cores, %s; wrk, nginx, every server and PostgreSQL share these cores\n' \
	"$(nproc)" "$cpu"
printf 'quiet:    CPUs %s%% busy in the second before the runs (servers idle); other work skews\n' \
	"$busy"

# ---- 7. validity: never fails on speed, but says when a figure means nothing ----

warn=0
while read -r name url path tkey label; do
	bad=$(field "$name" non2xx)
	err=$(field "$name" errors)
	if [ "${bad:-0}" != 0 ]; then
		printf 'WARNING: %s: %s requests answered with a non-2xx status; its figure is NOT valid\n' \
			"$label" "$bad"
		warn=1
	fi
	if [ "${err:-0}" != 0 ]; then
		printf 'WARNING: %s: %s socket errors (connect/read/write/timeout) during the run\n' \
			"$label" "$err"
		warn=1
	fi
done <"$dir/targets"
for pair in "samtycke:$sk_ka" "nginx:$ng_ka"; do
	if [ "${pair#*:}" != yes ]; then
		printf 'WARNING: %s did not keep the connection alive; the figures are not comparable\n' \
			"${pair%%:*}"
		warn=1
	fi
done
if [ "$sk_alive" != yes ]; then
	printf 'WARNING: a samtycke server died during the runs; its figure is NOT valid\n'
	warn=1
fi
[ $warn = 0 ] && printf 'checks:   no non-2xx answers, no socket errors, keep-alive on both\n'
exit 0
