#!/bin/sh
# multiserver.sh: three `samtycke serve` on one store behave as one service
# (docs/internals/serve.md, "Several servers on one store"): concurrent writers through all
# three, a poller on one seeing seq 1..N once each; a webhook endpoint served by one server
# (its lease holder, shown in the status) gets every change while that server is killed with
# SIGKILL mid-delivery, and while another is stalled (SIGSTOP) beyond its lease, with
# duplicates only of the change in flight; a policy applied with the CLI reaches every
# server; a key created or revoked elsewhere; Idempotency-Key retries over two servers; a
# form served by one, posted to another, confirmed on the third, its mail sent by the one
# mail lease holder and, after a clean stop, by another at once; `audit verify` and
# `ledger replay --check` pass. Runs on SQLite, or PostgreSQL with SK_TEST_PG (tap.inc).
# Usage: sh tests/integration/multiserver.sh path/to/samtycke
set -u
. "$(dirname "$0")/tap.inc"
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/multiserver.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
helper="$root/tests/integration/multiserver.py"

require "curl is not installed" command -v curl
require "no samtycke binary at $bin" test -x "$bin"
require "$py has no aiosmtpd" "$py" -c 'import aiosmtpd'

d=$tap_dir
trap 'cleanup; tap_cleanup' EXIT
trap 'exit 1' INT TERM HUP
db=$(newdb m)
key_file="$d/vault.key"
unset SAMTYCKE_DB SAMTYCKE_KEY_FILE SAMTYCKE_NOW SAMTYCKE_SMTP_PASSWORD
sk() { "$bin" --db "$db" --key-file "$key_file" "$@"; }

setup sk init
setup sk policy apply "$root/examples/policy.yaml"
setup sk keys create --name admin --scope read,write,admin
KEY=$(cat "$d/setup.out")

# a free loopback port for the mail server
port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_smtp "$port"

# start NAME: one server of the three (short leases, mail, loopback webhooks); sets
# NAME_url and NAME_pid.
start() {
	start_server "$1" --rate-limit 0 --lease-seconds 2 --allow-private-webhooks \
		--smtp-url "smtp://127.0.0.1:$port" --mail-from noreply@example.com --pending-days 0
	eval "$1_url=\$url $1_pid=\$pid"
}
start a
start b
start c

# api NAME METHOD PATH [BODY]: one request with the admin key; status in $code, body in $body.
api() {
	eval "u=\$$1_url"
	code=$(curl -s --max-time 30 -o "$d/api.out" -w '%{http_code}' -X "$2" \
		-H "Authorization: Bearer ${apikey:-$KEY}" -H 'Content-Type: application/json' \
		${4:+-d "$4"} "$u$3")
	body=$(cat "$d/api.out")
}

# helper_cases CMD...: runs the Python helper, each PASS/FAIL line one case.
helper_cases() {
	"$py" "$helper" "$@" >"$d/helper.out" 2>"$d/helper.err"
	while IFS= read -r line; do
		case $line in
		PASS\ *) pass "${line#PASS }" ;;
		FAIL\ *) fail "${line#FAIL }" ;;
		esac
	done <"$d/helper.out"
	if ! grep -q '^[PF]A[SI][SL] ' "$d/helper.out"; then
		fail "multiserver.py $1 reported" "$(tail -5 "$d/helper.err")"
	fi
}

# ---- a webhook receiver that records every delivery; slow while $d/slow exists ----

"$py" "$helper" recv "$d/recv.port" "$d/recv.log" "$d/slow" 2>"$d/recv.err" &
pids="$pids $!"
i=0
while [ ! -s "$d/recv.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
: >>"$d/recv.log"
api a POST /v1/webhooks "{\"url\":\"http://127.0.0.1:$(cat "$d/recv.port")/hook\",\"events\":[\"all\"],\"name\":\"multi\"}"
hook=$(printf '%s' "$body" | sed -n 's/.*"id":"\(w_[a-z0-9]*\)".*/\1/p')
if [ "$code" = 201 ] && [ -n "$hook" ]; then
	pass "a webhook endpoint added through server a"
else
	fail "a webhook endpoint added through server a" "$code $body"
fi

# ---- concurrent writers through all three; a poller on a ----

helper_cases writers "$KEY" 200 "$a_url" "$b_url" "$c_url"
max=$(sed -n 's/^MAXSEQ //p' "$d/helper.out")

# received SEQ TIMEOUT: waits until the receiver has every seq 1..SEQ (at most TIMEOUT s).
received() {
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		[ "$(cut -d' ' -f1 "$d/recv.log" | sort -un | awk -v m="$1" '$1 >= 1 && $1 <= m' | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
if [ "${max:-0}" -gt 0 ] && received "$max" 60; then
	pass "the webhook receiver got every change 1..$max written through the three servers"
else
	fail "the webhook receiver got every change 1..${max:-?} written through the three servers" \
		"$(cut -d' ' -f1 "$d/recv.log" | sort -un | wc -l) distinct seqs received"
fi
dups=$(cut -d' ' -f1 "$d/recv.log" | sort -n | uniq -d | tr '\n' ' ')
if [ -z "$dups" ]; then
	pass "no change reached the receiver twice while no server failed"
else
	fail "no change reached the receiver twice while no server failed" "duplicates: $dups"
fi

# holder [VIA]: the server named in the endpoint's delivered_by (a, b or c), or "", as
# server VIA (default a) shows it.
holder() {
	api "${1:-a}" GET "/v1/webhooks/$hook"
	h=$(printf '%s' "$body" | sed -n 's/.*"delivered_by":{"server":"[^":]*:\([0-9]*\):[0-9a-f]*".*/\1/p')
	for s in a b c; do
		eval "p=\$${s}_pid"
		if [ -n "$h" ] && [ "$h" = "$p" ]; then echo "$s"; return; fi
	done
}

# fault KIND: makes the receiver slow, writes 8 consents, and once a delivery of them is in
# flight stops (STOP) or kills (KILL) the holder of the endpoint's lease; then checks that
# every change arrives, in order, and that the only change that arrived twice is the one in
# flight. Sets $victim.
fault() {
	base=$(wc -l <"$d/recv.log")
	touch "$d/slow"
	for k in 1 2 3 4 5 6 7 8; do
		apikey=$KEY api a POST /v1/consents "{\"email\":\"f$1$k@example.com\",\"purpose\":\"newsletter\",\"action\":\"give\"}"
	done
	api a GET "/v1/changes?after=$max&limit=1000"
	top=$(printf '%s' "$body" | sed -n 's/.*"next":\([0-9]*\).*/\1/p')
	i=0
	while [ "$(wc -l <"$d/recv.log")" -lt $((base + 2)) ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	victim=$(holder)
	if [ -n "$victim" ]; then
		pass "the endpoint's status names its delivering server (delivered_by), one of the three ($1)"
	else
		fail "the endpoint's status names its delivering server (delivered_by), one of the three ($1)" "$body"
		return
	fi
	sleep 0.3 # into the receiver's 1 s answer
	eval "vp=\$${victim}_pid"
	for s in a b c; do [ "$s" != "$victim" ] && via=$s; done
	kill -"$1" "$vp"
	sleep 0.2 # the victim's last request is recorded by now; no other server has the lease
	in_flight=$(tail -1 "$d/recv.log" | cut -d' ' -f1)
	if [ "$1" = STOP ]; then
		sleep 4 # twice the lease: another server takes over, from the endpoint's cursor
		rm -f "$d/slow"
		received "$top" 20
		kill -CONT "$vp"
		sleep 1.5 # the stalled one gets its answer, finds its lease gone, writes nothing
	else
		wait "$vp" 2>/dev/null
		rm -f "$d/slow"
	fi
	if received "$top" 30; then
		pass "every change 1..$top reached the receiver with the holder ${victim} ${1}ed mid-delivery"
	else
		fail "every change 1..$top reached the receiver with the holder ${victim} ${1}ed mid-delivery" \
			"$(cut -d' ' -f1 "$d/recv.log" | sort -un | tail -3 | tr '\n' ' ')"
	fi
	sleep 1
	dups=$(tail -n +$((base + 1)) "$d/recv.log" | cut -d' ' -f1 | sort -n | uniq -d | tr '\n' ' ')
	if [ -z "$dups" ] || [ "$dups" = "$in_flight " ]; then
		pass "only the change in flight at the $1 (seq $in_flight) may arrive twice (duplicates: ${dups:-none})"
	else
		fail "only the change in flight at the $1 (seq $in_flight) may arrive twice" "duplicates: $dups" \
			"$(tail -n +$((base + 1)) "$d/recv.log" | cut -d' ' -f1 | tr '\n' ' ')"
	fi
	if tail -n +$((base + 1)) "$d/recv.log" | cut -d' ' -f1 | sort -c -n 2>/dev/null; then
		pass "deliveries stayed in seq order across the takeover ($1)"
	else
		fail "deliveries stayed in seq order across the takeover ($1)" \
			"$(tail -n +$((base + 1)) "$d/recv.log" | cut -d' ' -f1 | tr '\n' ' ')"
	fi
	max=$top
	now=$(holder "$via")
	if [ -n "$now" ] && [ "$now" != "$victim" ]; then
		pass "after the takeover the status names another server ($now)"
	else
		fail "after the takeover the status names another server" "victim $victim, now '${now}': $body"
	fi
}

fault STOP
if grep -q "lease lost to another server" "$d/$victim.log"; then
	pass "the stalled server found its lease lost and wrote no cursor"
else
	fail "the stalled server found its lease lost and wrote no cursor" "$(tail -5 "$d/$victim.log")"
fi
fault KILL
start "$victim" # three again

# ---- a policy applied with the CLI reaches every server ----

sed '/^purposes:$/r /dev/stdin' "$root/examples/policy.yaml" >"$d/policy2.yaml" <<'EOF'
  multi_check:
    kind: communication
    legal_basis: consent
    validity: 12 months
    retention: 30 days
    double_opt_in: false
    fields: [email]
    title:
      sv: Flera servrar
      en: Several servers
    description:
      sv: Ett prov.
      en: A check.
    notice:
      sv: Ett prov av flera servrar.
      en: A check of several servers.
EOF
setup sk policy apply "$d/policy2.yaml"
t0=$(date +%s%N)
for s in a b c; do
	i=0
	while [ $i -lt 40 ]; do
		api "$s" GET /v1/purposes
		printf '%s' "$body" | grep -q '"multi_check"' && break
		sleep 0.1
		i=$((i + 1))
	done
done
took=$((($(date +%s%N) - t0) / 1000000))
ok=1
for s in a b c; do
	api "$s" POST /v1/consents '{"email":"policy@example.com","purpose":"multi_check","action":"give"}'
	[ "$code" = 201 ] || ok=0
done
if [ $ok = 1 ] && [ $took -le 4000 ]; then
	pass "a policy applied with the CLI is in force on all three servers within ${took} ms, no restart"
else
	fail "a policy applied with the CLI is in force on all three servers within 4 s" "took $took ms; last: $code $body"
fi

# ---- keys: created elsewhere works at once; a revocation holds everywhere within 1 s ----

setup sk keys create --name fresh --scope read
FRESH=$(cat "$d/setup.out")
ok=1
for s in a b c; do
	apikey=$FRESH api "$s" GET /v1/purposes
	[ "$code" = 200 ] || ok=0
done
if [ $ok = 1 ]; then
	pass "a key created with the CLI authenticates at once on all three servers"
else
	fail "a key created with the CLI authenticates at once on all three servers" "$code $body"
fi
api a DELETE /v1/keys/fresh
apikey=$FRESH api a GET /v1/purposes
if [ "$code" = 401 ]; then
	pass "revoked through server a: refused by a at once"
else
	fail "revoked through server a: refused by a at once" "$code"
fi
sleep 1.1
ok=1
for s in b c; do
	apikey=$FRESH api "$s" GET /v1/purposes
	[ "$code" = 401 ] || ok=0
done
if [ $ok = 1 ]; then
	pass "and by b and c within the key cache's 1 second"
else
	fail "and by b and c within the key cache's 1 second" "$code"
fi

# ---- idempotency over two servers ----

helper_cases idem "$KEY" idem@example.com "$a_url" "$b_url"

# ---- a form served by a, posted to b, confirmed on c; one server sends the mail ----

code=$(curl -s -o "$d/form.html" -w '%{http_code}' "$a_url/f/newsletter")
if [ "$code" = 200 ] && grep -q '<form' "$d/form.html"; then
	pass "server a serves the form"
else
	fail "server a serves the form" "$code"
fi
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Origin: https://www.example.com' \
	-H 'Content-Type: application/x-www-form-urlencoded' --data 'email=form%40example.com&consent=newsletter' \
	"$b_url/f/newsletter")
# mail: "the mail arrived" TIMEOUT: waits for N files in the maildir
mails() {
	i=0
	while [ "$(ls "$maildir/new" 2>/dev/null | wc -l)" -lt "$1" ] && [ $i -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(ls "$maildir/new" 2>/dev/null | wc -l)" -ge "$1" ]
}
if [ "$code" = "303 https://www.example.com/tack" ] && mails 1 15; then
	pass "the form posted to server b: 303 to its success_url, and its confirmation mail is sent"
else
	fail "the form posted to server b: 303 to its success_url, and its confirmation mail is sent" "$code"
fi
token=$("$py" -c '
import email, re, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
text = "".join(p.get_payload(decode=True).decode() for p in m.walk() if p.get_content_type() == "text/plain")
print(re.findall(r"/f/confirm/([A-Za-z0-9_.-]+)", text)[0])' "$(ls "$maildir"/new/* | head -1)" 2>/dev/null)
code=$(curl -s -o /dev/null -w '%{http_code}' "$c_url/f/confirm/$token")
code2=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
	--data '' "$c_url/f/confirm/$token")
api a GET "/v1/check?email=form%40example.com&purpose=newsletter"
if [ -n "$token" ] && [ "$code" = 200 ] && [ "$code2" = 200 ] && printf '%s' "$body" | grep -q '"allowed":true'; then
	pass "its confirmation link opened and confirmed on server c; server a answers allowed"
else
	fail "its confirmation link opened and confirmed on server c; server a answers allowed" \
		"token '${token}', GET $code, POST $code2, check: $body"
fi
# the servers whose last word on the mail lease is that they hold it
senders=$(for s in a b c; do
	grep -h 'sends the mail' "$d/$s.log" | tail -1 | grep -q 'this server sends' && echo "$s"
done)
if [ "$(printf '%s\n' "$senders" | grep -c .)" = 1 ]; then
	pass "exactly one server holds the mail lease and sends"
else
	fail "exactly one server holds the mail lease and sends" "senders: $senders"
fi
mailer=$(printf '%s\n' "$senders" | head -1)
eval "mp=\$${mailer}_pid"
stop "$mailer" "$mp"
for s in a b c; do [ "$s" != "$mailer" ] && other=$s; done
eval "ou=\$${other}_url"
t0=$(date +%s)
curl -s -o /dev/null -H 'Origin: https://www.example.com' -H 'Content-Type: application/x-www-form-urlencoded' \
	--data 'email=form2%40example.com&consent=newsletter' "$ou/f/newsletter"
if mails 2 10; then
	pass "after the mail server's holder stopped cleanly, another sent the next mail within $(($(date +%s) - t0)) s"
else
	fail "after the mail server's holder stopped cleanly, another sent the next mail" \
		"$(grep -h 'mail' "$d/a.log" "$d/b.log" "$d/c.log" | tail -5)"
fi

# ---- the store is whole ----

for s in a b c; do
	[ "$s" = "$mailer" ] && continue
	eval "sp=\$${s}_pid"
	stop "$s" "$sp"
done
run sk audit verify
if [ "$status" -eq 0 ]; then pass "audit verify passes"; else fail "audit verify passes" "$out" "$err"; fi
run sk ledger replay --check
if [ "$status" -eq 0 ]; then pass "ledger replay --check passes"; else fail "ledger replay --check passes" "$out" "$err"; fi

plan
[ "$failed" -eq 0 ]
