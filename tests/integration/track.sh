#!/bin/sh
# track.sh: web tracking and lead scores on the real binary and server (docs/tracking.md,
# docs/scoring.md): POST /t refused from an origin the banner does not list (and without
# one), its body cap, content types, bad fields named, its rate limit, and 204 for every
# event taken whether stored or not (nothing stored for a visitor without consent);
# GET /v1/contacts/{id}/score without and with lead_scoring, 404 for an unknown id;
# `samtycke companies load` refusing a bad file with its line, all or nothing, and
# `companies lookup`. Usage: sh tests/integration/track.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/track.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

require "curl is not installed" command -v curl
require "no samtycke binary at $bin" test -x "$bin"

scratch track
setup "$bin" --db "$db" init
setup "$bin" --db "$db" policy apply "$root/examples/policy.yaml"
newkey KEY admin read,write,dsr,admin

# ---- the company ranges ----
printf 'network,company\n192.0.2.0/24,Example AB\n"2001:db8::/32","Six, AB"\n198.51.100.1,198.51.100.9,Range AB\n' >"$d/ok.csv"
if "$bin" --db "$db" companies load "$d/ok.csv" >"$d/out" 2>"$d/err" &&
	grep -qx 'loaded 3 company ranges' "$d/out"; then
	pass "companies load: a good file is loaded"
else
	fail "companies load: a good file is loaded" "$(cat "$d/out" "$d/err")"
fi
out=$("$bin" --db "$db" companies lookup 2001:db8:1::5 2>&1)
if [ "$out" = "Six, AB" ]; then
	pass "companies lookup: an IPv6 address in a /32 gives its company"
else
	fail "companies lookup: an IPv6 address in a /32 gives its company" "$out"
fi
printf 'network,company\n203.0.113.0/24,New AB\n203.0.113.9,203.0.113.1,Backwards AB\n' >"$d/bad.csv"
"$bin" --db "$db" companies load "$d/bad.csv" >"$d/out" 2>"$d/err"
st=$?
if [ "$st" -eq 3 ] && grep -q 'line 3: last' "$d/err" && ! grep -q 'Backwards' "$d/err"; then
	pass "companies load: a bad row refuses the file (exit 3), naming its line and field, not its value"
else
	fail "companies load: a bad row refuses the file (exit 3), naming its line and field, not its value" \
		"status $st" "$(cat "$d/err")"
fi
"$bin" --db "$db" companies lookup 203.0.113.5 >"$d/out" 2>&1
st=$?
out=$("$bin" --db "$db" companies lookup 192.0.2.200 2>&1)
if [ "$st" -eq 1 ] && [ "$out" = "Example AB" ]; then
	pass "companies load: all or nothing (the good row of the bad file is not there, the old ranges are)"
else
	fail "companies load: all or nothing" "status $st" "$out"
fi
printf 'network,company\n192.0.2.0/33,X\n' >"$d/bad2.csv"
"$bin" --db "$db" companies load "$d/bad2.csv" >"$d/out" 2>"$d/err"
if grep -q 'line 2: network' "$d/err"; then
	pass "companies load: a malformed network is named with its line"
else
	fail "companies load: a malformed network is named with its line" "$(cat "$d/err")"
fi

start_server main --rate-limit 0 --allow-private-webhooks --webhook-backoff 1

# post ORIGIN CTYPE BODY: POST /t; sets code (status) and the response's headers in $d/h
post() {
	if [ -n "$1" ]; then
		code=$(curl -s -o "$d/body" -D "$d/h" -w '%{http_code}' -X POST "$url/t" \
			-H "Origin: $1" -H "Content-Type: $2" --data-binary "$3")
	else
		code=$(curl -s -o "$d/body" -D "$d/h" -w '%{http_code}' -X POST "$url/t" \
			-H "Content-Type: $2" --data-binary "$3")
	fi
}
site=https://www.example.com
ev='{"visitor":"v_aaaaaaaaaaaaaaaaaaaaaaaa","type":"page_view","url":"https://www.example.com/pricing","utm":{"source":"news","campaign":"spring"}}'

post "" application/json "$ev"
if [ "$code" = 403 ]; then pass "POST /t without an Origin: 403"; else fail "POST /t without an Origin: 403" "$code"; fi
post https://evil.example application/json "$ev"
if [ "$code" = 403 ] && ! grep -qi '^access-control-allow-origin' "$d/h"; then
	pass "POST /t from an origin the banner does not list: 403, no CORS header"
else
	fail "POST /t from an origin the banner does not list: 403, no CORS header" "$code" "$(cat "$d/h")"
fi
code=$(curl -s -o /dev/null -D "$d/h" -w '%{http_code}' -X OPTIONS "$url/t" -H "Origin: $site" \
	-H 'Access-Control-Request-Method: POST' -H 'Access-Control-Request-Headers: content-type')
if [ "$code" = 204 ] && grep -qi "^access-control-allow-origin: $site" "$d/h"; then
	pass "OPTIONS /t from a listed origin: 204 with its CORS headers"
else
	fail "OPTIONS /t from a listed origin: 204 with its CORS headers" "$code" "$(cat "$d/h")"
fi
post "$site" application/json "$ev"
if [ "$code" = 204 ] && grep -qi "^access-control-allow-origin: $site" "$d/h" && [ ! -s "$d/body" ]; then
	pass "POST /t of an unknown visitor: 204, empty, as for any event taken"
else
	fail "POST /t of an unknown visitor: 204, empty" "$code" "$(cat "$d/h" "$d/body")"
fi
post "$site" 'text/plain;charset=UTF-8' "$ev"
if [ "$code" = 204 ]; then pass "POST /t as text/plain (navigator.sendBeacon): 204"; else fail "POST /t as text/plain: 204" "$code" "$(cat "$d/body")"; fi
if on_pg; then
	skip_pg "nothing is stored of a visitor without consent" "read with sqlite3"
else
	n=$(sqlite3 "$db" 'SELECT count(*) FROM track_events' 2>&1)
	if [ "$n" = 0 ]; then
		pass "nothing is stored of a visitor without consent"
	else
		fail "nothing is stored of a visitor without consent" "$n"
	fi
fi
post "$site" application/x-www-form-urlencoded "visitor=v_x&type=page_view"
if [ "$code" = 415 ]; then pass "POST /t as a form post: 415"; else fail "POST /t as a form post: 415" "$code"; fi
post "$site" application/json '{"visitor":"v_aaaaaaaaaaaaaaaaaaaaaaaa","type":"mail_open"}'
if [ "$code" = 400 ] && grep -q '"type' "$d/body"; then
	pass "POST /t with a type a web site may not send: 400 naming type"
else
	fail "POST /t with a type a web site may not send: 400 naming type" "$code" "$(cat "$d/body")"
fi
post "$site" application/json '{"type":"page_view"}'
if [ "$code" = 400 ] && grep -q 'visitor' "$d/body"; then
	pass "POST /t without a visitor: 400 naming visitor"
else
	fail "POST /t without a visitor: 400 naming visitor" "$code" "$(cat "$d/body")"
fi
post "$site" application/json '{"visitor":"v_aaaaaaaaaaaaaaaaaaaaaaaa","type":"event"}'
if [ "$code" = 400 ] && grep -q 'name' "$d/body"; then
	pass "POST /t of a custom event without a name: 400 naming name"
else
	fail "POST /t of a custom event without a name: 400 naming name" "$code" "$(cat "$d/body")"
fi
post "$site" application/json '{"visitor":"v_aaaaaaaaaaaaaaaaaaaaaaaa","type":"page_view","utm":{"kampanj":"x"}}'
if [ "$code" = 400 ] && grep -q 'utm' "$d/body"; then
	pass "POST /t with an unknown utm key: 400 naming utm"
else
	fail "POST /t with an unknown utm key: 400 naming utm" "$code" "$(cat "$d/body")"
fi
post "$site" application/json '{"visitor":'
if [ "$code" = 400 ]; then pass "POST /t with malformed JSON: 400"; else fail "POST /t with malformed JSON: 400" "$code"; fi
big=$(head -c 5000 /dev/zero | tr '\0' 'a')
post "$site" application/json "{\"visitor\":\"v_a\",\"type\":\"page_view\",\"url\":\"$big\"}"
if [ "$code" = 413 ]; then pass "POST /t over 4 KiB: 413"; else fail "POST /t over 4 KiB: 413" "$code"; fi

# the rate limit: bursts of 50 per client, then 429 with Retry-After
n429=0
i=0
while [ $i -lt 70 ]; do
	c=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/t" -H "Origin: $site" \
		-H 'Content-Type: application/json' --data-binary "$ev")
	[ "$c" = 429 ] && n429=$((n429 + 1))
	i=$((i + 1))
done
if [ "$n429" -gt 0 ] && [ "$n429" -lt 70 ]; then
	pass "POST /t is rate-limited per client ($n429 of 70 quick posts answered 429)"
else
	fail "POST /t is rate-limited per client" "$n429 of 70 answered 429"
fi

# ---- GET /v1/contacts/{id}/score ----
api() { # METHOD PATH [BODY]: sets code, the body in $d/body
	if [ $# -ge 3 ]; then
		code=$(curl -s -o "$d/body" -w '%{http_code}' -X "$1" "$url$2" -H "Authorization: Bearer $KEY" \
			-H 'Content-Type: application/json' --data-binary "$3")
	else
		code=$(curl -s -o "$d/body" -w '%{http_code}' -X "$1" "$url$2" -H "Authorization: Bearer $KEY")
	fi
}
api POST /v1/consents '{"email":"sara@example.com","purpose":"newsletter","action":"give","source":"test"}'
cid=$(sed -n 's/.*"contact_id":"\(c_[a-z0-9]*\)".*/\1/p' "$d/body")
api GET "/v1/contacts/$cid/score"
if [ "$code" = 200 ] && grep -q '"score":null' "$d/body" && grep -q '"reason":"no_consent"' "$d/body"; then
	pass "GET score without lead_scoring: no number, the gate's reason"
else
	fail "GET score without lead_scoring: no number, the gate's reason" "$code" "$(cat "$d/body")"
fi
api POST /v1/consents '{"email":"sara@example.com","purpose":"lead_scoring","action":"give","source":"test"}'
api GET "/v1/contacts/$cid/score"
if [ "$code" = 200 ] && grep -q '"score":0' "$d/body" && grep -q '"reason":"consent"' "$d/body" &&
	grep -q '"events":0' "$d/body"; then
	pass "GET score with lead_scoring: a number (0 before any event)"
else
	fail "GET score with lead_scoring: a number (0 before any event)" "$code" "$(cat "$d/body")"
fi
api POST /v1/consents '{"email":"sara@example.com","purpose":"lead_scoring","action":"withdraw","source":"test"}'
api GET "/v1/contacts/$cid/score"
if [ "$code" = 200 ] && grep -q '"score":null' "$d/body" && grep -q '"reason":"withdrawn"' "$d/body"; then
	pass "GET score after lead_scoring is withdrawn: no number, reason withdrawn"
else
	fail "GET score after lead_scoring is withdrawn: no number, reason withdrawn" "$code" "$(cat "$d/body")"
fi
api GET /v1/contacts/c_aaaaaaaaaaaaaaaaaaaaaaaa/score
if [ "$code" = 404 ]; then pass "GET score of an unknown contact: 404"; else fail "GET score of an unknown contact: 404" "$code"; fi
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/contacts/$cid/score")
if [ "$code" = 401 ]; then pass "GET score without a key: 401"; else fail "GET score without a key: 401" "$code"; fi

# ---- score.changed reaches a webhook receiver only with sales_followup ----
# A receiver on loopback that writes each delivery's body as one line.
cat >"$d/recv.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(sys.argv[2], "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
PY
: >"$d/recv.log"
python3 "$d/recv.py" "$d/recv.port" "$d/recv.log" 2>"$d/recv.err" &
pids="$pids $!"
i=0
while [ ! -s "$d/recv.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
api POST /v1/webhooks "{\"url\":\"http://127.0.0.1:$(cat "$d/recv.port")/hook\",\"events\":[\"score.changed\"],\"name\":\"crm\"}"
if [ "$code" = 201 ]; then pass "a webhook for score.changed on a loopback receiver"; else fail "a webhook for score.changed on a loopback receiver" "$code" "$(cat "$d/body")"; fi
version=$(curl -s "$url/c.js" | sed -n 's/.*"version":{"sv":"[0-9a-f]*","en":"\([0-9a-f]*\)"}.*/\1/p')
# person EMAIL: a banner answer giving lead_scoring, then the webinar form carrying its visitor
# id (a new address: the answer goes to the new contact); sets vid and pcid
person() {
	curl -s -o "$d/body" -X POST "$url/v/answer" -H "Origin: $site" -H 'Content-Type: text/plain' \
		--data-binary "{\"lang\":\"en\",\"version\":\"$version\",\"signal\":\"click\",\"page\":\"$site/\",\"choices\":{\"ip_tracking\":false,\"lead_scoring\":true}}"
	vid=$(sed -n 's/.*"visitor":"\(v_[a-z2-7]*\)".*/\1/p' "$d/body")
	curl -s -o /dev/null -X POST "$url/f/webinar" -H "Origin: $site" --data-urlencode "email=$1" \
		--data-urlencode first_name=Lea --data-urlencode last_name=Poäng \
		--data-urlencode consent=lead_scoring --data-urlencode "sk_visitor=$vid"
	api GET "/v1/contacts?email=$1"
	pcid=$(sed -n 's/.*"id":"\(c_[a-z0-9]*\)".*/\1/p' "$d/body" | head -1)
}
person lea@example.com
lea=$pcid lea_v=$vid
person max@example.com
max=$pcid max_v=$vid
api POST /v1/consents '{"email":"lea@example.com","purpose":"sales_followup","action":"give","source":"test"}'
api GET "/v1/visitors/$lea_v"
if [ -n "$lea" ] && [ -n "$max" ] && grep -q "\"contact_id\":\"$lea\"" "$d/body"; then
	pass "two people identified through the banner and the webinar form, their visitors tied"
else
	fail "two people identified through the banner and the webinar form, their visitors tied" \
		"lea=$lea max=$max version=$version" "$(cat "$d/body")"
fi
sleep 2 # the rate limit's bucket, emptied above, refills
for v in "$max_v" "$lea_v"; do # max first: lea's delivery comes after max's change
	post "$site" text/plain "{\"visitor\":\"$v\",\"type\":\"page_view\",\"url\":\"$site/pricing\",\"utm\":{\"campaign\":\"spring_launch\"}}"
	[ "$code" = 204 ] || fail "POST /t of an identified visitor: 204" "$code" "$(cat "$d/body")"
done
i=0
while ! grep -q "\"contact_id\":\"$lea\"" "$d/recv.log" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if grep "\"contact_id\":\"$lea\"" "$d/recv.log" | grep -q '"type":"score.changed"' &&
	grep "\"contact_id\":\"$lea\"" "$d/recv.log" | grep -q '"score":15'; then
	pass "score.changed with the score (15: pricing and spring_launch) reaches the receiver for a person with sales_followup"
else
	fail "score.changed with the score reaches the receiver for a person with sales_followup" \
		"$(cat "$d/recv.log")" "$(tail -5 "$d/main.log")"
fi
# max's change came before lea's: the cursor has passed it by now
api GET "/v1/contacts/$max/score"
if grep -q '"score":15' "$d/body" && ! grep -q "\"contact_id\":\"$max\"" "$d/recv.log" &&
	[ "$(wc -l <"$d/recv.log")" -eq 1 ]; then
	pass "no score.changed reaches the receiver for a person without sales_followup (though scored)"
else
	fail "no score.changed reaches the receiver for a person without sales_followup" \
		"$(cat "$d/body")" "$(cat "$d/recv.log")"
fi

stop main "$pid"
plan
[ "$failed" -eq 0 ]
