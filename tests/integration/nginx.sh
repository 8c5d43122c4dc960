#!/bin/sh
# nginx.sh: the nginx configuration of docs/deployment.md, taken from the page itself (the
# block after `<!-- file: samtycke-cluster.conf -->`, so the page cannot drift from what is
# tested), in front of two `samtycke serve` on one store (SQLite, or PostgreSQL with
# SK_TEST_PG): requests through nginx reach both servers, a consent posted through nginx is
# seen by checks through nginx whichever server answers, 40 requests at once are all
# answered though nginx then holds more connections than the servers' --max-client-connections
# (a --trusted-proxy is exempt), form posts are limited per client across both servers, and
# with one server killed (SIGKILL) the other answers everything;
# with both gone nginx answers 502. Usage: sh tests/integration/nginx.sh path/to/samtycke
set -u
bin=${1:?usage: sh tests/integration/nginx.sh path/to/samtycke}
. "$(dirname "$0")/tap.inc"
. "$(dirname "$0")/server.inc"
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
nginx=/usr/sbin/nginx

d=$tap_dir
trap 'cleanup_all' EXIT
trap 'exit 1' INT TERM HUP
# shellcheck disable=SC2317 # called by the trap
cleanup_all() {
	for p in $pids; do kill -KILL "$p" 2>/dev/null; done
	tap_cleanup
}
unset SAMTYCKE_DB SAMTYCKE_KEY_FILE SAMTYCKE_NOW
# One key file for both servers, as the guide says (a PostgreSQL store has no file beside it).
export SAMTYCKE_KEY_FILE="$d/master.key"

require "curl is not installed" command -v curl
require "openssl is not installed (scripts/install-deps.sh --test)" command -v openssl
require "nginx is not installed at $nginx (nginx-light: scripts/install-deps.sh --test)" test -x "$nginx"
require "no samtycke binary at $bin" test -x "$bin"

db=$(newdb cluster)
[ -n "$db" ] || { echo "not ok - setup: newdb made a store"; exit 1; }
setup "$bin" --db "$db" init
setup "$bin" --db "$db" policy apply "$root/examples/policy.yaml"
newkey KEY crm read,write

# ---- the configuration, from the page ----
page="$root/docs/deployment.md"
awk '/<!-- file: samtycke-cluster.conf -->/ { f = 1; next }
	f == 1 && /^```nginx$/ { f = 2; next }
	f == 2 && /^```$/ { exit }
	f == 2 { print }' "$page" >"$d/cluster.conf"
if [ -s "$d/cluster.conf" ]; then
	pass "docs/deployment.md holds the nginx block samtycke-cluster.conf"
else
	echo "not ok - docs/deployment.md holds the nginx block samtycke-cluster.conf"
	exit 1
fi

# Forms need a mail server to queue their confirmation mails for; none listens on this port,
# and none is needed: the test posts forms and reads no mail.
mail_port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mail="--smtp-url smtp://127.0.0.1:$mail_port --mail-from noreply@example.com"
# --max-client-connections 4: nginx, named by --trusted-proxy as the guide says, must be
# exempt from it (the case "40 checks at once").
# (server.inc's start_server may read NAME.out before the shell has made it: made here first)
: >"$d/a.out"
: >"$d/b.out"
# shellcheck disable=SC2086 # $mail is a list of arguments
start_server a --rate-limit 0 --trusted-proxy 127.0.0.1 --max-client-connections 4 $mail
pid_a=$pid
url_a=$url
# shellcheck disable=SC2086
start_server b --rate-limit 0 --trusted-proxy 127.0.0.1 --max-client-connections 4 $mail
pid_b=$pid
url_b=$url
hp_a=${url_a#http://}
hp_b=${url_b#http://}

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$d/nginx/tmp"
setup openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=consent.example.com \
	-keyout "$d/nginx/key.pem" -out "$d/nginx/cert.pem"
# Only what must differ on a test machine: the listening address, the certificate, the log
# and the two servers' addresses. Each replaced line must be in the page as printed.
sed -e "s|^    listen 443 ssl http2;$|    listen 127.0.0.1:$port ssl http2;|" \
	-e "s|/etc/ssl/consent.example.com/fullchain.pem;|$d/nginx/cert.pem;|" \
	-e "s|/etc/ssl/consent.example.com/privkey.pem;|$d/nginx/key.pem;|" \
	-e "s|/var/log/nginx/samtycke.log |$d/nginx/access.log |" \
	-e "s|/var/log/nginx/samtycke-error.log |$d/nginx/site-error.log |" \
	-e "s|server 10.0.0.11:8080 |server $hp_a |" \
	-e "s|server 10.0.0.12:8080 |server $hp_b |" \
	"$d/cluster.conf" >"$d/nginx/site.conf"
missing=""
for want in "listen 127.0.0.1:$port ssl" "$d/nginx/cert.pem;" "$d/nginx/key.pem;" \
	"access_log $d/nginx/access.log samtycke;" "error_log $d/nginx/site-error.log crit;" \
	"server $hp_a " "server $hp_b " "limit_conn samtycke_conn 64;" \
	"keepalive " "proxy_http_version 1.1;" 'proxy_set_header Connection "";' \
	'X-Forwarded-For $proxy_add_x_forwarded_for;' "location = /healthz"; do
	grep -qF -- "$want" "$d/nginx/site.conf" || missing="$missing [$want]"
done
if [ -z "$missing" ]; then
	pass "the page's configuration has the lines the test replaces and the keep-alive, X-Forwarded-For and health check it documents"
else
	fail "the page's configuration has the lines the test replaces and the keep-alive, X-Forwarded-For and health check it documents" \
		"missing:$missing"
fi
cat >"$d/nginx/nginx.conf" <<EOF
daemon off;
pid $d/nginx/nginx.pid;
error_log $d/nginx/error.log;
events { worker_connections 256; }
http {
	client_body_temp_path $d/nginx/tmp/body;
	proxy_temp_path $d/nginx/tmp/proxy;
	fastcgi_temp_path $d/nginx/tmp/fastcgi;
	uwsgi_temp_path $d/nginx/tmp/uwsgi;
	scgi_temp_path $d/nginx/tmp/scgi;
	include $d/nginx/site.conf;
}
EOF
# nginx's workers run as nobody when the master runs as root.
chmod 755 "$d" "$d/nginx"
chmod 777 "$d/nginx/tmp"
if "$nginx" -t -q -p "$d/nginx" -c "$d/nginx/nginx.conf" -e "$d/nginx/error.log" >"$d/nginx-t.out" 2>&1; then
	pass "nginx -t accepts the page's configuration"
else
	fail "nginx -t accepts the page's configuration" "$(cat "$d/nginx-t.out")"
	plan
	exit 1
fi
"$nginx" -p "$d/nginx" -c "$d/nginx/nginx.conf" -e "$d/nginx/error.log" >/dev/null 2>&1 &
ng_pid=$!
pids="$pids $ng_pid"

proxy="https://consent.example.com:$port"
# through URL_PATH [CURL ARGS...]: one request through nginx over TLS; prints the status
# line's code, the body to $d/body.
through() {
	p=$1
	shift
	curl -sS --max-time 20 --cacert "$d/nginx/cert.pem" \
		--resolve "consent.example.com:$port:127.0.0.1" -o "$d/body" -w '%{http_code}' \
		"$@" "$proxy$p" 2>>"$d/curl.err"
}
i=0
until [ "$(through /healthz)" = 200 ] || [ $i -ge 100 ]; do
	alive "$ng_pid" || break
	sleep 0.1
	i=$((i + 1))
done
if [ "$(through /healthz)" = 200 ]; then
	pass "GET /healthz through nginx (TLS) answers 200"
else
	fail "GET /healthz through nginx (TLS) answers 200" "$(cat "$d/nginx/error.log" 2>/dev/null)"
	plan
	exit 1
fi

check() { # EMAIL: GET /v1/check for newsletter through nginx; prints "STATUS BODY"
	code=$(through "/v1/check?email=$1&purpose=newsletter" -H "Authorization: Bearer $KEY")
	printf '%s %s' "$code" "$(tr -d '\n' <"$d/body" | cut -c 1-120)"
}
# served CODE PATTERN: how many access-log lines of nginx for an upstream show CODE and PATTERN
served() {
	grep -F -- "$2" "$d/nginx/access.log" 2>/dev/null | grep -F -- "\" $1 upstream=" | wc -l
}
log_has() { # HOSTPORT: lines of nginx's access log answered by that server (the last one
	# tried: after a failed attempt nginx logs "upstream=A, B")
	grep -c -- "upstream=\([^ ]*, \)*$1 " "$d/nginx/access.log" 2>/dev/null || true
}

# ---- requests reach both servers ----
bad=""
for _ in 1 2 3 4 5 6; do
	r=$(check eva@example.com)
	case $r in '200 {"allowed":false,"reason":"no_consent"'*) ;; *) bad="$bad [$r]" ;; esac
done
na=$(log_has "$hp_a")
nb=$(log_has "$hp_b")
if [ -z "$bad" ] && [ "$na" -ge 2 ] && [ "$nb" -ge 2 ]; then
	pass "six checks through nginx are answered by both servers ($na and $nb), each denied no_consent"
else
	fail "six checks through nginx are answered by both servers, each denied no_consent" \
		"server a: $na, server b: $nb; answers:$bad" "$(cat "$d/nginx/access.log" 2>/dev/null)"
fi
# path parameters: a confirmation token and a preference link (working links) and a contact id
through /f/confirm/TOKENtoken0123456789 >/dev/null
through /p/TOKENtoken0123456789/export.json >/dev/null
through /v1/contacts/c_ContactId0123 -H "Authorization: Bearer $KEY" >/dev/null
if grep -q 'eva\|example\.com\|email=\|TOKENtoken\|ContactId' "$d/nginx/access.log"; then
	fail "nginx's access log (the page's log_format) holds no address, query string, token or contact id" \
		"$(grep 'eva\|example\.com\|email=\|TOKENtoken\|ContactId' "$d/nginx/access.log" | head -3)"
elif ! grep -q '"GET /f/confirm" ' "$d/nginx/access.log" ||
	! grep -q '"GET /p/TOKEN" ' "$d/nginx/access.log" ||
	! grep -q '"GET /v1/contacts" ' "$d/nginx/access.log"; then
	fail "nginx's access log names the routes" "$(tail -n 3 "$d/nginx/access.log")"
else
	pass "nginx's access log (the page's log_format) holds no address, query string, token or contact id, and names the routes"
fi
# keep-alive to the servers: fewer connections were opened than requests were passed on
# (without `keepalive` and HTTP/1.1 upstream each request opens one)
for _ in 1 2 3 4 5 6 7 8 9 10; do through /healthz >/dev/null; done
conns=$(ss -Htn state established "( dport = :${hp_a##*:} or dport = :${hp_b##*:} )" 2>/dev/null | wc -l)
if [ "$conns" -ge 1 ] && [ "$conns" -le 4 ]; then
	pass "nginx keeps connections to the servers open between requests ($conns open)"
else
	fail "nginx keeps connections to the servers open between requests" "$conns connections open"
fi

# ---- a consent posted through nginx is seen by every check through nginx ----
code=$(through /v1/consents -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
	-H 'Idempotency-Key: nginx-test-1' \
	-d '{"email":"eva@example.com","purpose":"newsletter","action":"give","method":"api","source":"crm"}')
if [ "$code" = 201 ]; then
	pass "POST /v1/consents through nginx answers 201"
else
	fail "POST /v1/consents through nginx answers 201" "status $code: $(cat "$d/body")"
fi
before_a=$(log_has "$hp_a")
before_b=$(log_has "$hp_b")
bad=""
for _ in 1 2 3 4 5 6; do
	r=$(check eva@example.com)
	case $r in '200 {"allowed":true,"reason":"consent"'*) ;; *) bad="$bad [$r]" ;; esac
done
da=$(($(log_has "$hp_a") - before_a))
db_=$(($(log_has "$hp_b") - before_b))
if [ -z "$bad" ] && [ "$da" -ge 1 ] && [ "$db_" -ge 1 ]; then
	pass "after it, six checks through nginx, $da on server a and $db_ on server b, all say allowed"
else
	fail "after it, six checks through nginx, on both servers, all say allowed" \
		"server a: $da, server b: $db_; answers:$bad"
fi

# ---- many requests at once: nginx opens more connections to a server than a client may ----
# 40 batch checks at once (curl --parallel; each of 10,000 addresses on SQLite, 1,000 on
# PostgreSQL, where each address is a round trip: long enough that they overlap at the
# servers) make nginx open many connections to the servers, beyond their
# --max-client-connections 4: as a --trusted-proxy it is exempt, so every one is answered (a
# server would otherwise close the extra connections unanswered, and nginx answer 502).
batch=10000
[ -n "${SK_TEST_PG:-}" ] && batch=1000
/usr/bin/python3 -c 'import json, sys; print(json.dumps({"purpose": "newsletter", "emails": ["batch%d@example.com" % i for i in range(int(sys.argv[1]))]}))' \
	"$batch" >"$d/batch.json"
i=0
set --
while [ $i -lt 40 ]; do
	i=$((i + 1))
	set -- "$@" -o /dev/null "$proxy/v1/check"
done
codes=$(curl -sS --max-time 60 --parallel --parallel-max 40 --http1.1 --cacert "$d/nginx/cert.pem" \
	--resolve "consent.example.com:$port:127.0.0.1" -H "Authorization: Bearer $KEY" \
	-H 'Content-Type: application/json' --data-binary "@$d/batch.json" \
	-w '%{http_code}\n' "$@" 2>>"$d/curl.err" | sort | uniq -c | tr -s ' \n' '  ')
if [ "$codes" = " 40 200 " ]; then
	pass "40 batch checks at once through nginx are all answered 200 (nginx is exempt from the servers' --max-client-connections 4)"
else
	fail "40 batch checks at once through nginx are all answered 200 (nginx is exempt from the servers' --max-client-connections 4)" \
		"status counts:$codes" "$(grep -i 'upstream' "$d/nginx/error.log" | tail -3)"
fi

# ---- form posts are limited per client across both servers ----
# 10 a minute with a burst of 10 in the page: of 16 posts from one client, 11 pass (12 when
# the posts took over 6 s, one token's time) and the rest are refused by nginx, though each
# server alone (--form-rate-limit 10) would have taken 8.
ok_n=0
lim_n=0
other=""
i=0
while [ $i -lt 16 ]; do
	i=$((i + 1))
	c=$(through /f/newsletter -H 'Content-Type: application/json' \
		-d "{\"email\":\"form$i@example.com\",\"consent\":[\"newsletter\"]}")
	case $c in
	200) ok_n=$((ok_n + 1)) ;;
	429) lim_n=$((lim_n + 1)) ;;
	*) other="$other $c" ;;
	esac
done
if [ "$ok_n" -ge 11 ] && [ "$ok_n" -le 12 ] && [ "$lim_n" -eq $((16 - ok_n)) ] && [ -z "$other" ]; then
	pass "16 form posts from one client through nginx: $ok_n accepted, $lim_n refused 429 (the limit holds across both servers)"
else
	fail "16 form posts from one client through nginx: 11 accepted, 5 refused 429" \
		"accepted $ok_n, refused $lim_n, other:$other"
fi
if [ "$lim_n" -ge 1 ] && [ "$(served 200 '"POST /f/newsletter"')" -ge 1 ] &&
	[ "$(grep -F '"POST /f/newsletter" 429 upstream=- ' "$d/nginx/access.log" | wc -l)" -eq "$lim_n" ]; then
	pass "the $lim_n refused form posts never reached a server"
else
	fail "the refused form posts never reached a server" "$(grep -F '/f/newsletter' "$d/nginx/access.log")"
fi

# ---- one server killed: the other answers everything ----
kill -KILL "$pid_a"
wait "$pid_a" 2>/dev/null
before_b=$(log_has "$hp_b")
bad=""
for i in 1 2 3 4 5 6; do
	r=$(check eva@example.com)
	case $r in '200 {"allowed":true,"reason":"consent"'*) ;; *) bad="$bad [$i: $r]" ;; esac
done
code=$(through /v1/consents -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
	-d '{"email":"frida@example.com","purpose":"newsletter","action":"give","method":"api","source":"crm"}')
[ "$code" = 201 ] || bad="$bad [POST: $code $(cat "$d/body")]"
r=$(check frida@example.com)
case $r in '200 {"allowed":true,"reason":"consent"'*) ;; *) bad="$bad [frida: $r]" ;; esac
db_=$(($(log_has "$hp_b") - before_b))
if [ -z "$bad" ] && [ "$db_" -ge 8 ]; then
	pass "with server a killed (SIGKILL), six checks, a post and a check of it through nginx are all answered by server b"
else
	fail "with server a killed (SIGKILL), checks and a post through nginx are all answered by server b" \
		"by b: $db_; failures:$bad"
fi

# ---- both gone: nginx says so (502), so the answers above came from the servers ----
kill -KILL "$pid_b"
wait "$pid_b" 2>/dev/null
code=$(through /healthz)
if [ "$code" = 502 ]; then
	pass "with both servers killed, nginx answers 502"
else
	fail "with both servers killed, nginx answers 502" "status $code"
fi

kill -TERM "$ng_pid"
wait "$ng_pid" 2>/dev/null
if grep -q '\[emerg\]\|\[alert\]\|\[crit\]' "$d/nginx/error.log"; then
	fail "nginx's error log holds no emerg, alert or crit line" "$(grep '\[emerg\]\|\[alert\]\|\[crit\]' "$d/nginx/error.log" | head -5)"
else
	pass "nginx's error log holds no emerg, alert or crit line"
fi
plan
[ "$failed" -eq 0 ]
