#!/bin/sh
# metrics.sh: GET /metrics and serve --log-format json against a real server
# (docs/operations.md, "Metrics and logs"). The answer is read by Prometheus's own text
# parser (Debian's python3-prometheus-client, tests/integration/metrics.py); after known
# requests and gate checks with known reasons the counters and histogram counts are exact,
# buckets are cumulative and +Inf is _count; the mail outbox's depth is the mails a campaign
# queued (the server has no SMTP server, so nothing is sent), a webhook endpoint that cannot
# be reached has its one change pending, the ledger head is audit verify's; the scope rules
# (401, 403 for read and admin keys, 200 for metrics) and the second listener (200 without a
# key, 404 for anything else); no address, contact id, key name or query string of the
# requests appears; the store's figures are read at most every 5 s (a scrape within that
# reuses them); with --log-format json every stderr line is one JSON object, the access
# lines with their fields (a method of raw bytes logged as "other"); text stays the default, and one request's line is written while
# the server runs (not at its stop); a --metrics-listen address that is not loopback is
# served with a warning on stderr. Runs on PostgreSQL too (SK_TEST_PG).
# Usage: sh tests/integration/metrics.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/metrics.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

require "curl is not installed" command -v curl
require "no samtycke binary at $bin" test -x "$bin"
require "$py has no prometheus_client (scripts/install-deps.sh --test)" \
	"$py" -c 'import prometheus_client.parser'

scratch metrics

setup "$bin" --db "$db" init
setup "$bin" --db "$db" policy apply "$root/examples/policy.yaml"
newkey KEY_M mon-metrics metrics
newkey KEY_R crm-reader read
newkey KEY_A ops-admin read,write,dsr,admin
for who in a1 a2 wd rf sp no; do
	setup "$bin" --db "$db" contact add "$who@example.com" --field first_name="Name-$who"
done
for who in a1 a2 wd sp; do
	setup "$bin" --db "$db" consent give "$who@example.com" newsletter --method cli --source test
done
setup "$bin" --db "$db" consent withdraw wd@example.com newsletter --method cli --source test
setup "$bin" --db "$db" consent refuse rf@example.com newsletter --method cli --source test
setup "$bin" --db "$db" suppress sp@example.com --reason bounced
# an endpoint nobody answers at (port 1): the change made after it stays pending
setup "$bin" --db "$db" webhook add http://127.0.0.1:1/hook --events all --allow-private
hook=$(sed -n 1p "$d/setup.out")
setup "$bin" --db "$db" consent give a2@example.com offers --method cli --source test
# a campaign queued from the command line: a1 and a2 (wd withdrew, rf refused, sp is
# suppressed, no has no consent); the server below has no --smtp-url, so both stay queued
printf '%s\n' '{"name":"m","purpose":"newsletter","subject":{"en":"s"},"text":{"en":"t"}}' \
	>"$d/campaign.json"
setup "$bin" --db "$db" campaign create "$d/campaign.json"
setup "$bin" --db "$db" campaign send "$(sed -n 1p "$d/setup.out")"

start_server main --rate-limit 0 --metrics-listen 127.0.0.1:0 --log-format json
i=0
murl=""
while [ $i -lt 50 ] && [ -z "$murl" ]; do
	murl=$(sed -n 's|.*metrics on \(http://127\.0\.0\.1:[0-9][0-9]*\)/metrics.*|\1|p' "$d/main.log")
	[ -z "$murl" ] && sleep 0.1
	i=$((i + 1))
done
if [ -n "$murl" ]; then
	pass "the server says where the metrics listener listens"
else
	fail "the server says where the metrics listener listens" "$(head -5 "$d/main.log")"
	exit 1
fi

# get URL [KEY]: sets $code, $ctype and the body in $d/body
get() {
	if [ -n "${2:-}" ]; then
		set -- "$1" -H "Authorization: Bearer $2"
	fi
	out=$(curl -s -o "$d/body" -w '%{http_code} %{content_type}' "$@")
	code=${out%% *}
	ctype=${out#* }
}
# expect_code WHAT CODE
expect_code() {
	if [ "$code" = "$2" ]; then pass "$1: $2"; else fail "$1: $2" "got $code: $(head -c 300 "$d/body")"; fi
}

# ---- known requests: gate checks with known reasons ----
check() { get "$url/v1/check?email=$1&purpose=$2" "$KEY_R"; }
check a1@example.com newsletter  # allowed, consent
check a2@example.com newsletter  # allowed, consent
check wd@example.com newsletter  # withdrawn
check rf@example.com newsletter  # refused
check sp@example.com newsletter  # suppressed
check no@example.com newsletter  # no_consent
check nobody@example.com newsletter # no_consent
check a1@example.com no_such_purpose # unknown_purpose
check not-an-address newsletter  # invalid_email
nchecks=9
# a route with an id in its path, and a path of no route (with a query string)
get "$url/v1/contacts/c_aaaaaaaaaaaaaaaaaaaaaaaa" "$KEY_R"
expect_code "GET /v1/contacts/{id} of an unknown id" 404
get "$url/no/such/route?token=sekrit-query-value"
expect_code "a path of no route" 404

# ---- the scope rules on the main listener ----
get "$url/metrics"
expect_code "GET /metrics without a key" 401
get "$url/metrics" "$KEY_R"
expect_code "GET /metrics with a read key" 403
get "$url/metrics" "$KEY_A"
expect_code "GET /metrics with an admin key (read,write,dsr,admin: no scope implies metrics)" 403
get "$url/metrics" "$KEY_M"
expect_code "GET /metrics with a metrics key" 200
if [ "$ctype" = "text/plain; version=0.0.4; charset=utf-8" ]; then
	pass "the answer's Content-Type is the text format 0.0.4's"
else
	fail "the answer's Content-Type is the text format 0.0.4's" "got '$ctype'"
fi
get "$url/v1/check?email=a1@example.com&purpose=newsletter" "$KEY_M"
expect_code "the metrics key reads nothing else" 403

# ---- the second listener ----
get "$murl/v1/check?email=a1@example.com&purpose=newsletter" "$KEY_R"
expect_code "the metrics listener: /v1/check is not there, even with a key" 404
get "$murl/healthz"
expect_code "the metrics listener: /healthz is not there" 404
get "$murl/metrics"
expect_code "the metrics listener: GET /metrics without a key" 200
cp "$d/body" "$d/first.txt"
# the scrape that is checked (on the second listener, so that the counts above are settled)
get "$murl/metrics"
expect_code "the metrics listener: a second scrape" 200
cp "$d/body" "$d/metrics.txt"

if "$py" "$root/tests/integration/metrics.py" "$d/metrics.txt" >"$d/samples" 2>"$d/parse.err"; then
	pass "Prometheus's text parser reads the answer: every family has HELP and TYPE, histograms are cumulative and +Inf is _count"
else
	fail "Prometheus's text parser reads the answer" "$(cat "$d/samples" "$d/parse.err" | head -10)"
fi

# sample LINE-PREFIX: the value of the sample whose line starts with it ("" when none)
sample() { awk -v p="$1" 'index($0, p " ") == 1 { print $NF }' "$d/samples"; }
# is WHAT SAMPLE WANT
is() {
	got=$(sample "$2")
	if [ "$got" = "$3" ]; then pass "$1 ($3)"; else fail "$1" "$2: wanted $3, got '${got:-none}'"; fi
}

# the checks: all answered 200 (the reason is in the body)
is "requests by route pattern, method and status: GET /v1/check 200" \
	'samtycke_http_requests_total{code="200",method="GET",route="/v1/check"}' "$nchecks"
# the histogram counts every answer of the route: the checks and the metrics key's 403 below
is "the histogram of /v1/check counts every answer of the route" \
	'samtycke_http_request_duration_seconds_count{route="/v1/check"}' $((nchecks + 1))
is "its +Inf bucket too" \
	'samtycke_http_request_duration_seconds_bucket{le="+Inf",route="/v1/check"}' $((nchecks + 1))
is "the path with an id counts under its pattern" \
	'samtycke_http_requests_total{code="404",method="GET",route="/v1/contacts/{id}"}' 1
is "requests of no route (the main listener's and the metrics listener's two) are 'unmatched'" \
	'samtycke_http_requests_total{code="404",method="GET",route="unmatched"}' 3
is "GET /metrics 401" 'samtycke_http_requests_total{code="401",method="GET",route="/metrics"}' 1
is "GET /metrics 403 (read and admin keys)" \
	'samtycke_http_requests_total{code="403",method="GET",route="/metrics"}' 2
is "GET /metrics 200 (one on each listener before this scrape)" \
	'samtycke_http_requests_total{code="200",method="GET",route="/metrics"}' 2
is "the metrics key's refused check" \
	'samtycke_http_requests_total{code="403",method="GET",route="/v1/check"}' 1
is "gate answers: allowed by consent" 'samtycke_gate_answers_total{allowed="true",reason="consent"}' 2
is "gate answers: no_consent" 'samtycke_gate_answers_total{allowed="false",reason="no_consent"}' 2
is "gate answers: withdrawn" 'samtycke_gate_answers_total{allowed="false",reason="withdrawn"}' 1
is "gate answers: refused" 'samtycke_gate_answers_total{allowed="false",reason="refused"}' 1
is "gate answers: suppressed" 'samtycke_gate_answers_total{allowed="false",reason="suppressed"}' 1
is "gate answers: unknown_purpose" \
	'samtycke_gate_answers_total{allowed="false",reason="unknown_purpose"}' 1
is "gate answers: invalid_email" 'samtycke_gate_answers_total{allowed="false",reason="invalid_email"}' 1
is "gate answers: no other (expired)" 'samtycke_gate_answers_total{allowed="false",reason="expired"}' 0
is "the mail outbox holds the campaign's two mails" 'samtycke_mail_outbox_queued' 2
age=$(sample samtycke_mail_outbox_oldest_age_seconds)
if [ -n "$age" ] && [ "$age" -ge 0 ] && [ "$age" -lt 600 ]; then
	pass "the oldest queued mail's age is seconds ($age)"
else
	fail "the oldest queued mail's age is seconds" "got '$age'"
fi
is "the unreachable endpoint has its one change pending" \
	"samtycke_webhook_pending_changes{endpoint=\"$hook\"}" 1
wage=$(sample "samtycke_webhook_oldest_pending_age_seconds{endpoint=\"$hook\"}")
if [ -n "$wage" ] && [ "$wage" -ge 0 ] && [ "$wage" -lt 600 ]; then
	pass "the endpoint's oldest pending change has an age ($wage)"
else
	fail "the endpoint's oldest pending change has an age" "got '$wage'"
fi
events=$("$bin" --db "$db" audit verify --json | sed -n 's/.*"events":\([0-9]*\).*/\1/p')
is "the ledger head is audit verify's" samtycke_ledger_head_sequence "$events"
is "the last audit (the server's at start) found the chain whole" samtycke_audit_last_ok 1
at=$(sample samtycke_audit_last_timestamp_seconds)
now=$(date +%s)
if [ -n "$at" ] && [ "$at" -gt $((now - 600)) ] && [ "$at" -le $((now + 5)) ]; then
	pass "the last audit's time is the server's start"
else
	fail "the last audit's time is the server's start" "got '$at', now $now"
fi
size=$(sample samtycke_database_size_bytes)
if [ -n "$size" ] && [ "$size" -gt 4096 ]; then
	pass "the database's size is given ($size bytes)"
else
	fail "the database's size is given" "got '$size'"
fi
version=$("$bin" --version | sed -n '1s/^samtycke \([^ ]*\).*/\1/p')
is "build info names the version" "samtycke_build_info{version=\"$version\"}" 1
start=$(sample samtycke_process_start_time_seconds)
if [ -n "$start" ] && [ "$start" -le "$now" ] && [ "$start" -gt $((now - 600)) ]; then
	pass "the process's start time is given"
else
	fail "the process's start time is given" "got '$start'"
fi

# no personal data, key or query string of the requests above, in either scrape
leak=""
for s in example.com @ a1 nobody not-an-address c_aaaa sekrit token= email= mon-metrics crm-reader \
	ops-admin "$KEY_M" "$KEY_R" "$KEY_A"; do
	grep -qF -- "$s" "$d/metrics.txt" "$d/first.txt" && leak="$leak '$s'"
done
if [ -z "$leak" ]; then
	pass "the metrics hold no address, contact id, key name or query string"
else
	fail "the metrics hold no address, contact id, key name or query string" "found:$leak"
fi

# raw_method URL: one request whose method is bytes no method has (a control byte, 0xFF, a
# quote, a backslash); the access log names it "other", and the JSON line stays JSON
raw_method() {
	"$py" - "$1" <<'PYEOF'
import socket, sys
host, port = sys.argv[1].split("//")[1].split(":")
s = socket.create_connection((host, int(port)), timeout=5)
s.sendall(b'G\x01\xff"\\T / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
try:
    while s.recv(4096):
        pass
except OSError:
    pass
PYEOF
}
raw_method "$url"

# ---- the store's figures are read at most every 5 s, whoever scrapes ----
ledger_head() { sed -n 's/^samtycke_ledger_head_sequence //p' "$d/body"; }
sleep 5.2 # what the scrapes above read has run out
t0=$(date +%s%N)
get "$murl/metrics"
h1=$(ledger_head)
setup "$bin" --db "$db" consent give a1@example.com offers --method cli --source test
get "$murl/metrics"
h2=$(ledger_head)
t1=$(date +%s%N)
if [ $((t1 - t0)) -ge 4500000000 ]; then
	pass "a scrape within 5 s reuses the store's figures # SKIP the machine took $(((t1 - t0) / 1000000)) ms"
elif [ -n "$h1" ] && [ "$h2" = "$h1" ]; then
	pass "a scrape within 5 s reuses the store's figures (the ledger head stays $h1)"
else
	fail "a scrape within 5 s reuses the store's figures" "head $h1, then $h2 after a consent"
fi
sleep 5.2
get "$murl/metrics"
h3=$(ledger_head)
if [ -n "$h1" ] && [ -n "$h3" ] && [ "$h3" -gt "$h1" ]; then
	pass "5 s later a scrape reads the store again (the ledger head $h1 -> $h3)"
else
	fail "5 s later a scrape reads the store again" "head $h1, then $h3"
fi

# a metrics listener that cannot listen stops the start, naming the address
mport=${murl##*:}
"$bin" --db "$db" serve --listen 127.0.0.1:0 --metrics-listen "127.0.0.1:$mport" \
	>"$d/busy.out" 2>"$d/busy.err"
st=$?
if [ "$st" -ne 0 ] && grep -q "cannot listen on 127.0.0.1:$mport" "$d/busy.err"; then
	pass "a --metrics-listen address in use: the server does not start, and says which (exit $st)"
else
	fail "a --metrics-listen address in use: the server does not start, and says which" \
		"exit $st" "$(head -3 "$d/busy.err")"
fi

stop main "$pid"

# a malformed --metrics-listen is a usage error, before anything is opened
for bad in nonsense localhost:9464 127.0.0.1:99999; do
	"$bin" --db "$db" serve --listen 127.0.0.1:0 --metrics-listen "$bad" >"$d/bad.out" 2>"$d/bad.err"
	st=$?
	if [ "$st" -eq 2 ] && grep -q -- "--metrics-listen" "$d/bad.err"; then
		pass "--metrics-listen $bad: usage error (exit 2) naming the option"
	else
		fail "--metrics-listen $bad: usage error (exit 2) naming the option" "exit $st" \
			"$(head -3 "$d/bad.err")"
	fi
done

# ---- --log-format json: every stderr line of the run is one JSON object ----
"$py" - "$d/main.log" >"$d/log.check" <<'PYEOF'
import json, sys
bad, access = [], 0
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    try:
        o = json.loads(line)
    except ValueError:
        bad.append("line %d is not JSON: %r" % (n, line[:120]))
        continue
    if not isinstance(o, dict) or "time" not in o:
        bad.append("line %d is no object with a time: %r" % (n, line[:120]))
    elif "route" in o:
        access += 1
        want = {"time", "method", "route", "status", "duration_ms", "key", "ended_early"}
        if set(o) != want or not isinstance(o["status"], int) or \
                not isinstance(o["duration_ms"], (int, float)):
            bad.append("access line %d has the fields %s: %r" % (n, sorted(want), line[:200]))
    elif set(o) != {"time", "level", "msg"}:
        bad.append("line %d is a server line (time, level, msg): %r" % (n, line[:200]))
print("access %d" % access)
for b in bad:
    print(b)
PYEOF
nacc=$(sed -n 's/^access //p' "$d/log.check")
# every request above: the checks, the two 404s, four to /metrics and the refused check on the
# main listener, the one of a method of raw bytes, seven on the metrics listener
if [ "$(grep -vc '^access ' "$d/log.check")" -eq 0 ] && [ "${nacc:-0}" -eq $((nchecks + 15)) ]; then
	pass "--log-format json: every stderr line is one JSON object; $nacc access lines with their fields"
else
	fail "--log-format json: every stderr line is one JSON object, access lines with their fields" \
		"$(head -5 "$d/log.check")"
fi
if grep -q '"route":"/v1/contacts/{id}","status":404' "$d/main.log" &&
	grep -q '"key":"crm-reader"' "$d/main.log"; then
	pass "an access line names the route pattern and the key's name, as the text line does"
else
	fail "an access line names the route pattern and the key's name" "$(grep route "$d/main.log" | head -3)"
fi
if grep -q '"method":"other","route":null' "$d/main.log" && ! LC_ALL=C grep -q "$(printf '\377')" "$d/main.log"; then
	pass "a method of raw bytes is logged as \"other\", none of its bytes"
else
	fail "a method of raw bytes is logged as \"other\", none of its bytes" \
		"$(grep -a '"route":null' "$d/main.log" | head -3)"
fi
leak=""
for s in example.com @ c_aaaa sekrit token= email= 127.0.0.1:1/; do
	grep -qF -- "$s" "$d/main.log" && leak="$leak '$s'"
done
if [ -z "$leak" ]; then
	pass "the JSON log holds no address, contact id or query string"
else
	fail "the JSON log holds no address, contact id or query string" "found:$leak"
fi

# ---- text stays the default ----
start_server text --rate-limit 0
curl -s -o /dev/null "$url/healthz"
raw_method "$url"
# the access line is written soon (promised: 0.1 s), not when 32 KiB has built up or the
# server stops: polled for up to 5 s while it runs
i=0
while [ $i -lt 50 ] && ! grep -q 'GET /healthz 200' "$d/text.log"; do
	sleep 0.1
	i=$((i + 1))
done
if grep -q 'GET /healthz 200' "$d/text.log" && kill -0 "$pid" 2>/dev/null; then
	pass "one request's access line is on stderr while the server runs"
else
	fail "one request's access line is on stderr while the server runs" "$(head -5 "$d/text.log")"
fi
stop text "$pid"
if grep -Eq '^[0-9T:-]+Z GET /healthz 200 [0-9]+\.[0-9]{3}ms key=-$' "$d/text.log" &&
	! grep -q '^{' "$d/text.log"; then
	pass "without --log-format the access log is the text line"
else
	fail "without --log-format the access log is the text line" "$(head -5 "$d/text.log")"
fi
if grep -Eq '^[0-9T:-]+Z other - [0-9]+ ' "$d/text.log" &&
	! LC_ALL=C grep -q "$(printf '[\001\377]')" "$d/text.log"; then
	pass "in the text line too, a method of raw bytes is \"other\", none of its bytes"
else
	fail "in the text line too, a method of raw bytes is \"other\", none of its bytes" \
		"$(grep -av GET "$d/text.log" | head -3)"
fi

# ---- a --metrics-listen address that is not loopback: served, and said on stderr ----
if grep -q "not a loopback address" "$d/main.log"; then
	fail "--metrics-listen 127.0.0.1: no warning" "$(grep "not a loopback" "$d/main.log")"
else
	pass "--metrics-listen 127.0.0.1: no warning"
fi
start_server open --metrics-listen 0.0.0.0:0
stop open "$pid"
if grep -q '^samtycke: --metrics-listen 0\.0\.0\.0:0 is not a loopback address: whoever reaches it reads the metrics, without a key$' "$d/open.log" &&
	grep -q 'metrics on http://0\.0\.0\.0:[0-9]' "$d/open.log"; then
	pass "--metrics-listen 0.0.0.0: served, with a warning that whoever reaches it reads the metrics"
else
	fail "--metrics-listen 0.0.0.0: served, with a warning that whoever reaches it reads the metrics" \
		"$(head -5 "$d/open.log")"
fi

plan
[ "$failed" -eq 0 ]
