#!/bin/sh
# banner.sh: the visitor banner's public routes on a real server, against docs/banner.md and
# the security checklist: /c.js (type, cache, both versions, Consent Mode defaults, no
# third-party asset), POST /v/answer and /v/identify only from the policy's banner origins
# (exact), a stale version refused, a body over the cap refused unread, the per-client rate
# limit, an error that stores nothing, a forged token that ties nothing, and a visitor read
# back through GET /v1/visitors/{id}.
# Usage: sh tests/integration/banner.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/banner.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

require "curl is not installed" command -v curl
require "no samtycke binary at $bin" test -x "$bin"

scratch banner

setup "$bin" --db "$db" init
setup "$bin" --db "$db" policy apply "$root/examples/policy.yaml"
newkey READ banner-reader read
start_server main --rate-limit 0 --form-rate-limit 1000
main=$pid
main_url=$url
start_server limited --rate-limit 0 --form-rate-limit 3
limited=$pid
limited_url=$url
SITE=https://www.example.com

# req NAME METHOD URL [CURL ARGS...]: headers in $d/NAME.h (names lowercased), body in
# $d/NAME.b, status in $code.
req() {
	name=$1
	m=$2
	u=$3
	shift 3
	code=$(curl -sS -X "$m" -o "$d/$name.b" -D "$d/$name.raw" -w '%{http_code}' "$@" "$u")
	tr -d '\r' <"$d/$name.raw" | sed 's/^\([^:]*\):/\L\1:/' >"$d/$name.h"
}
header() { sed -n "s/^$2: //p" "$d/$1.h" | head -1; }
check() {
	c=$1
	shift
	if "$@"; then pass "$c"; else fail "$c" "$(cat "$d/$name.h" 2>/dev/null)" "$(head -c 600 "$d/$name.b" 2>/dev/null)"; fi
}
# jget FILE EXPR: a value of the JSON in FILE (python's j[...] expression)
jget() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null; }
# post NAME PATH BODY [CURL ARGS...]: a banner post from the site
post() {
	n=$1
	p=$2
	b=$3
	shift 3
	req "$n" POST "$main_url$p" -H "Origin: $SITE" -H 'Content-Type: text/plain' --data-binary "$b" "$@"
}
answers() { dbsql "$db" "SELECT count(*) FROM visitor_answers"; }

# ---- /c.js ----
req js GET "$main_url/c.js"
check "/c.js answers 200 text/javascript, public for 5 minutes, varying by Sec-GPC" \
	test "$code $(header js content-type) $(header js cache-control) $(header js vary)" = \
	"200 text/javascript; charset=utf-8 public, max-age=300 Sec-GPC"
check "it sets the Consent Mode defaults, all four denied" \
	grep -q "w.gtag('consent', 'default', {ad_storage: 'denied', ad_user_data: 'denied'," "$d/js.b"
VSV=$(sed -n 's/.*"version":{"sv":"\([0-9a-f]*\)","en":"\([0-9a-f]*\)"}.*/\1/p' "$d/js.b")
VEN=$(sed -n 's/.*"version":{"sv":"\([0-9a-f]*\)","en":"\([0-9a-f]*\)"}.*/\2/p' "$d/js.b")
check "it holds the banner version of each language (SHA-256, hex), and they differ" \
	sh -c "[ \${#1} -eq 64 ] && [ \${#2} -eq 64 ] && [ \"\$1\" != \"\$2\" ]" - "$VSV" "$VEN"
check "it is small (under 24 KiB) and loads nothing from another site" \
	sh -c "[ \$(wc -c <'$d/js.b') -lt 24576 ] && ! grep -Eq 'googletagmanager|<script|import\\(|src=' '$d/js.b'"
req jsgpc GET "$main_url/c.js" -H 'Sec-GPC: 1'
check "with Sec-GPC: 1 the script knows it (\"gpc\":true)" grep -q '"gpc":true' "$d/jsgpc.b"
check "without it, not" grep -q '"gpc":false' "$d/js.b"

ok_body="{\"lang\":\"en\",\"version\":\"$VEN\",\"signal\":\"click\",\"page\":\"https://www.example.com/pricing?utm_source=x\",\"choices\":{\"ip_tracking\":false,\"lead_scoring\":true}}"

# ---- the origin ----
before=$(answers)
req evil POST "$main_url/v/answer" -H 'Origin: https://evil.example' -H 'Content-Type: text/plain' --data-binary "$ok_body"
check "an answer from another origin is refused 403, without CORS, and stores nothing" \
	sh -c "test '$code' = 403 && test -z '$(header evil access-control-allow-origin)' && test '$(answers)' = '$before'"
for o in "https://www.example.com:444" "http://www.example.com" "https://www.example.com.evil.example" "null"; do
	req evil2 POST "$main_url/v/answer" -H "Origin: $o" -H 'Content-Type: text/plain' --data-binary "$ok_body"
	check "Origin $o (not exactly a banner origin) is refused 403" test "$code" = 403
done
req noorigin POST "$main_url/v/answer" -H 'Content-Type: text/plain' --data-binary "$ok_body"
check "an answer without an Origin is refused 403" test "$code" = 403
req pre OPTIONS "$main_url/v/answer" -H "Origin: $SITE" -H 'Access-Control-Request-Method: POST'
check "a preflight from the site is allowed (204, CORS for the site)" \
	test "$code $(header pre access-control-allow-origin)" = "204 $SITE"
req pre2 OPTIONS "$main_url/v/answer" -H 'Origin: https://evil.example'
check "a preflight from another origin is refused 403" test "$code" = 403

# ---- an answer, read back ----
post a1 /v/answer "$ok_body"
VID=$(jget "$d/a1.b" "j['visitor']")
check "an answer from the site is recorded: 200, the minted visitor id, CORS for the site" \
	sh -c "test '$code' = 200 && printf '%s' '$VID' | grep -Eq '^v_[a-z2-7]{24}\$' && test '$(header a1 access-control-allow-origin)' = '$SITE'"
req v1 GET "$main_url/v1/visitors/$VID" -H "Authorization: Bearer $READ"
check "GET /v1/visitors/{id} gives its answers: a refusal and a give, the page without its query, signal click, no contact" \
	test "$(jget "$d/v1.b" "[a['action'] for a in j['answers']], j['answers'][0]['page'], j['answers'][0]['signal'], j['contact_id'], j['answers'][0]['banner_version'] == '$VEN'")" = \
	"['refuse', 'give'] https://www.example.com/pricing click None True"
req v2 GET "$main_url/v1/visitors/$VID"
check "GET /v1/visitors/{id} needs a key (401)" test "$code" = 401
req v3 GET "$main_url/v1/visitors/v_aaaaaaaaaaaaaaaaaaaaaaaa" -H "Authorization: Bearer $READ"
check "an unknown visitor is 404" test "$code" = 404

# ---- errors name the field and store nothing ----
before=$(answers)
stale=$(printf '%s' "$ok_body" | sed "s/$VEN/$VSV/")
post stale /v/answer "$stale"
check "a stale version (the sv one for en) is refused 422 naming version, and stores nothing" \
	sh -c "test '$code' = 422 && grep -q 'version' '$d/stale.b' && test '$(answers)' = '$before'"
post unk /v/answer "$(printf '%s' "$ok_body" | sed 's/"lead_scoring":true/"lead_scoring":true,"newsletter":true/')"
check "a purpose the banner does not ask for is refused 422 naming choices, nothing stored" \
	sh -c "test '$code' = 422 && grep -q 'choices' '$d/unk.b' && test '$(answers)' = '$before'"
post gpcgive /v/answer "$(printf '%s' "$ok_body" | sed 's/"click"/"gpc"/')"
check "a gpc answer that gives is refused 422 naming signal, nothing stored" \
	sh -c "test '$code' = 422 && grep -q 'signal' '$d/gpcgive.b' && test '$(answers)' = '$before'"
post badjson /v/answer '{"lang":'
check "malformed JSON is 400, nothing stored" sh -c "test '$code' = 400 && test '$(answers)' = '$before'"
post extra /v/answer "$(printf '%s' "$ok_body" | sed 's/^{/{"email":"x@example.com",/')"
check "an unknown key is refused 422, nothing stored" sh -c "test '$code' = 422 && test '$(answers)' = '$before'"
req type POST "$main_url/v/answer" -H "Origin: $SITE" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'a=b'
check "a form post is refused 415" test "$code" = 415
big=$(head -c 5000 /dev/zero | tr '\0' 'x')
post big /v/answer "{\"lang\":\"en\",\"pad\":\"$big\"}"
check "a body over 4 KiB is refused 413 and stores nothing" sh -c "test '$code' = 413 && test '$(answers)' = '$before'"

# ---- identify ----
post forged /v/identify "{\"visitor\":\"$VID\",\"token\":\"v1.AAAA.forged\"}"
fcode=$code
req v4 GET "$main_url/v1/visitors/$VID" -H "Authorization: Bearer $READ"
check "a forged token is refused 422 (invalid, naming token) and ties nothing" \
	sh -c "test '$fcode' = 422 && grep -q '\"code\":\"invalid\",\"message\":\"token' '$d/forged.b' && test '$(jget "$d/v4.b" "j['contact_id']")' = None"
post unkv /v/identify "{\"visitor\":\"v_aaaaaaaaaaaaaaaaaaaaaaaa\",\"token\":\"v1.AAAA.forged\"}"
check "a forged token for an unknown visitor is refused the same (422)" test "$code" = 422
req idevil POST "$main_url/v/identify" -H 'Origin: https://evil.example' -H 'Content-Type: text/plain' --data-binary "{\"visitor\":\"$VID\",\"token\":\"x\"}"
check "identify from another origin is refused 403" test "$code" = 403

# ---- the rate limit, per client ----
codes=""
for i in 1 2 3 4 5; do
	code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$limited_url/v/answer" -H "Origin: $SITE" -H 'Content-Type: text/plain' --data-binary "$ok_body")
	codes="$codes $code"
done
check "answers past the client's limit (3 a minute) are refused 429" test "$codes" = " 200 200 200 429 429"

stop main "$main"
stop limited "$limited"
plan
[ "$failed" -eq 0 ]
