#!/bin/sh
# prefs.sh: the preference centre's public routes (docs/preference-centre.md, "Pages") with
# curl against a real server: a link minted by `samtycke link`, the person's page, giving and
# withdrawing, the exports, the erasure and the dead link after it, /p and renewal (the same
# answer for a known and an unknown address), and what a stranger may not do: a missing,
# wrong or other link's CSRF token, a foreign Origin, too many requests on one link, a wrong
# method, an oversize body. Each refusal is checked to have stored nothing (the ledger's row
# count). A second server, its clock 40 days ahead, sees the link expired. The pages' GETs go
# through Prism's validating proxy for docs/openapi.yaml. The access logs hold no token and no
# address. Both backends.
# Usage: sh tests/integration/prefs.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/prefs.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
require "no samtycke binary at $bin" test -x "$bin"
require "curl is not installed" command -v curl

scratch prefs

setup "$bin" --db "$db" init
setup "$bin" --db "$db" policy apply "$root/examples/policy.yaml"
setup "$bin" --db "$db" contact add anna@example.com
setup "$bin" --db "$db" consent give anna@example.com newsletter --method form \
	--source "form:newsletter https://www.example.com/" --evidence '{"ip":"192.0.2.1"}'
setup "$bin" --db "$db" contact add bo@example.com
setup "$bin" --db "$db" contact add cleo@example.com

# the clock 40 days ahead: a 30-day link has expired there
SAMTYCKE_NOW=$(date -u -d '+40 days' +%Y-%m-%dT%H:%M:%SZ) start_server future --form-rate-limit 1000
future=$url
future_pid=$pid
start_server limited --form-rate-limit 3 # a server of its own for the limits
limited=$url
limited_pid=$pid
start_server main --rate-limit 0 --form-rate-limit 1000
main_pid=$pid

# link EMAIL: the token of a fresh link minted on the command line
link() {
	setup "$bin" --db "$db" link "$1" --base "$url"
	sed -n 's|^.*/p/\([A-Za-z0-9_.-]*\)$|\1|p' "$d/setup.out"
}
tok=$(link anna@example.com)
tok_bo=$(link bo@example.com)
tok_cleo=$(link cleo@example.com)
printf '%s\n%s\n%s\n' "$tok" "$tok_bo" "$tok_cleo" >"$d/tokens"

# req ARGS...: curl, the status in $st, the body in $d/body, the headers in $d/hdr
req() {
	st=$(curl -s -o "$d/body" -D "$d/hdr" -w '%{http_code}' "$@")
}
# expect NAME STATUS [GREP]: the last request's status is STATUS (and its body holds GREP)
expect() {
	if [ "$st" = "$2" ] && { [ -z "${3:-}" ] || grep -q -e "$3" "$d/body"; }; then
		pass "$1"
	else
		fail "$1" "status $st (wanted $2)" "$(head -c 600 "$d/body")"
	fi
}
# csrf_of: the csrf field of the last page
csrf_of() { grep -o 'name="csrf" value="[^"]*"' "$d/body" | head -1 | sed 's/.*value="//; s/"$//'; }
ledger() { dbsql "$db" "SELECT count(*) FROM consent_ledger"; }
status_of() { # status_of PURPOSE: the status class shown on anna's page
	curl -s "$url/p/$tok?lang=en" | tr '\n' ' ' | sed 's|<section|\n&|g' |
		grep "^<section id=\"purpose-$1\"" | sed -n 's|.*class="status status-\([a-z]*\)".*|\1|p' | head -1
}

# ---- the person's page ----
req -H 'Accept-Language: sv-SE,sv;q=0.9' "$url/p/$tok"
expect "GET /p/{token}: 200, in Swedish by Accept-Language" 200 '<html lang="sv">'
for want in '<section id="data">' '<dd>anna@example.com</dd>' \
	'<section id="purpose-newsletter" class="purpose">' '<nav class="lang"' 'href="?lang=en"' \
	'value="withdraw">Återkalla samtycke</button>' 'value="give">Ge samtycke</button>' \
	"href=\"/p/$tok/export.json\"" "href=\"/p/$tok/export?lang=sv\"" "href=\"/p/$tok/erase?lang=sv\"" \
	'<main id="main">' '<details><summary>'; do
	if grep -qF -- "$want" "$d/body"; then pass "the page holds $want"; else fail "the page holds $want"; fi
done
n=$(tr '\n' ' ' <"$d/body" | sed 's|<section id="purpose-newsletter"|\n&|; s|</section>|&\n|g' |
	grep '^<section id="purpose-newsletter"' | grep -o '<button' | wc -l)
[ "$n" -eq 1 ] && pass "newsletter's section has exactly one button" ||
	fail "newsletter's section has exactly one button" "$n buttons"
for h in 'Content-Security-Policy: default-src' 'Cache-Control: no-store' 'Referrer-Policy: same-origin' \
	'Content-Type: text/html'; do
	if grep -qi "^$h" "$d/hdr"; then pass "the page's headers: $h"; else fail "the page's headers: $h" "$(cat "$d/hdr")"; fi
done
req "$url/p/$tok?lang=en"
expect "?lang=en picks English" 200 '<html lang="en">'
csrf=$(csrf_of)
req "$url/p/$tok_bo"
csrf_bo=$(csrf_of)

# ---- what a stranger may not do: nothing stored ----
before=$(ledger)
req -d "purpose=newsletter&action=withdraw" "$url/p/$tok/consent"
expect "a consent post without csrf: 403" 403
req -d "csrf=AAAA.BBBB&purpose=newsletter&action=withdraw" "$url/p/$tok/consent"
expect "a consent post with a wrong csrf: 403" 403
grep -qF "<nav class=\"lang\"" "$d/body" && grep -qF "href=\"/p/$tok?lang=sv\"" "$d/body" &&
	pass "the refusal page has the language switch, to the person's page" ||
	fail "the refusal page has the language switch, to the person's page" "$(head -c 800 "$d/body")"
req -d "csrf=$csrf_bo&purpose=newsletter&action=withdraw" "$url/p/$tok/consent"
expect "a consent post with another link's csrf: 403" 403
req -H 'Origin: https://evil.example' -d "csrf=$csrf&purpose=newsletter&action=withdraw" "$url/p/$tok/consent"
expect "a consent post from a foreign Origin: 403" 403
req -H 'Content-Type: application/json' -d '{"purpose":"newsletter"}' "$url/p/$tok/consent"
expect "a consent post that is not a form post: 415" 415
req -d "csrf=$csrf&purpose=newsletter&action=maybe" "$url/p/$tok/consent"
expect "a consent post with an unknown action: 422" 422
req -d "csrf=$csrf&purpose=newsletter&action=withdraw&extra=1" "$url/p/$tok/consent"
expect "a consent post with an unknown field: 422" 422
req -d "csrf=$csrf&purpose=nosuch&action=give" "$url/p/$tok/consent"
expect "a purpose the policy does not have: 422, the page says why" 422 'role="alert"'
req -d "csrf=$csrf&purpose=offers&action=give&notice_version=99" "$url/p/$tok/consent"
expect "a give beside a notice version that is not in force: 422, the page says why" 422 'notice text has changed'
req -d "csrf=$csrf&purpose=offers&action=give&notice_version=x" "$url/p/$tok/consent"
expect "a notice_version that is no number: 422" 422
req -H 'Origin: https://evil.example' -d "csrf=$csrf" "$url/p/$tok/erase"
expect "an erase post from a foreign Origin: 403" 403
req -d "csrf=x" "$url/p/$tok/erase"
expect "an erase post with a wrong csrf: 403" 403
req "$url/p/$tok"
expect "after all that, anna's page still works" 200 'status-given'
after=$(ledger)
[ "$before" = "$after" ] && pass "the refused posts stored nothing (ledger rows $after)" ||
	fail "the refused posts stored nothing" "ledger rows $before -> $after"

req -H 'Origin: null' -d "csrf=$csrf_bo&purpose=newsletter&action=withdraw" "$url/p/$tok/consent"
expect "Origin: null (what a browser sends under no-referrer, or from a sandboxed frame) with another link's csrf: 403" 403
[ "$(ledger)" = "$after" ] && pass "... and stored nothing" || fail "... and stored nothing"

# ---- withdrawing and giving, one action each ----
# Origin null (a browser under no-referrer, or a privacy tool) names no site: the csrf decides
req -H 'Origin: null' -d "csrf=$csrf&purpose=newsletter&action=withdraw&lang=en" "$url/p/$tok/consent"
expect "withdraw newsletter: 303" 303
loc=$(sed -n 's/^Location: *//Ip' "$d/hdr" | tr -d '\r')
[ "$loc" = "/p/$tok?saved=newsletter&lang=en" ] && pass "303 to the page, saved=newsletter" ||
	fail "303 to the page, saved=newsletter" "Location: $loc"
req "$url$loc"
expect "the page says what was saved in role=status" 200 'role="status"[^>]*>Saved: you have withdrawn'
[ "$(status_of newsletter)" = withdrawn ] && pass "newsletter shows withdrawn" ||
	fail "newsletter shows withdrawn" "$(status_of newsletter)"
[ "$(ledger)" = $((after + 1)) ] && pass "the withdrawal is one ledger event" || fail "the withdrawal is one ledger event"
grep -q 'name="notice_version" value="1"' "$d/body" && pass "the give form posts the notice version it shows" ||
	fail "the give form posts the notice version it shows"
req -d "csrf=$csrf&purpose=offers&action=give&notice_version=1" "$url/p/$tok/consent"
expect "give offers (with the notice version the page showed): 303" 303
[ "$(status_of offers)" = given ] && pass "offers shows given" || fail "offers shows given" "$(status_of offers)"
dbsql "$db" "SELECT method FROM consent_ledger ORDER BY seq DESC LIMIT 1" >"$d/m"
grep -qx preference_centre "$d/m" && pass "the ledger event's method is preference_centre" ||
	fail "the ledger event's method is preference_centre" "$(cat "$d/m")"

# ---- the exports ----
req "$url/p/$tok/export?lang=en"
expect "GET /p/{token}/export: the readable page" 200 'Withdrew consent'
req "$url/p/$tok/export.json"
expect "GET /p/{token}/export.json: this person's JSON" 200 '"anna@example.com"'
grep -qi '^Content-Disposition: attachment; filename="my-data.json"' "$d/hdr" &&
	pass "export.json is an attachment named my-data.json" ||
	fail "export.json is an attachment named my-data.json" "$(cat "$d/hdr")"
grep -qi '^Content-Type: application/json' "$d/hdr" && pass "export.json is application/json" ||
	fail "export.json is application/json"

# ---- links that do not work ----
req "$url/p/${tok}x"
expect "a tampered link: 400 Invalid link, with the way to /p" 400 'href="/p?lang='
req "$url/p/not-a-token"
expect "a malformed link: 400" 400 'Invalid link'
req "$future/p/$tok"
expect "an expired link: 410 with the renew button" 410 "action=\"/p/$tok/renew\""
csrf_f=$(csrf_of)
req -d "csrf=$csrf_f" "$future/p/$tok/renew"
expect "renew an expired link: 200, the same answer page as /p" 200 'role="status"'
cp "$d/body" "$d/renew.body"
req -d "csrf=wrong" "$future/p/$tok/renew"
expect "renew with a wrong csrf: 403" 403

# ---- /p: the same answer for a known and an unknown address ----
req "$url/p"
expect "GET /p: the address form" 200 'name="email"'
csrf_p=$(csrf_of)
req -d "csrf=$csrf_p&email=anna%40example.com" "$url/p"
st_known=$st
cp "$d/body" "$d/known.body"
req -d "csrf=$csrf_p&email=nobody%40example.com" "$url/p"
if [ "$st_known" = 200 ] && [ "$st" = 200 ] && cmp -s "$d/known.body" "$d/body"; then
	pass "POST /p: the same status and body, byte for byte, known or not"
else
	fail "POST /p: the same status and body, byte for byte, known or not" "$st_known / $st"
fi
cmp -s "$d/renew.body" "$d/body" && pass "renew answers the same page as POST /p" ||
	fail "renew answers the same page as POST /p"
req -d "email=anna%40example.com" "$url/p"
expect "POST /p without csrf: 403" 403
req -d "csrf=$csrf&email=anna%40example.com" "$url/p"
expect "POST /p with a link's csrf: 403" 403
req -H 'Origin: null' -d "csrf=$csrf_p&email=anna%40example.com" "$url/p"
expect "POST /p from an opaque origin (a sandboxed frame on any site): 403" 403
req -d "csrf=$csrf_p&email=anna%40example.com%00x" "$url/p"
expect "a value with a NUL byte (%00) is refused, not cut short: 422" 422
req -d "csrf=$csrf_p&email=not-an-address" "$url/p"
expect "POST /p with something that is no address: 422" 422 'role="alert"'
head -c 9000 /dev/zero | tr '\0' a >"$d/big"
req --data-binary @"$d/big" "$url/p"
expect "a body over 8 KiB: 413" 413
req -X PUT "$url/p/$tok"
expect "PUT /p/{token}: 405" 405
grep -qi '^Allow: GET, HEAD' "$d/hdr" && pass "405 says Allow: GET, HEAD" || fail "405 says Allow: GET, HEAD" "$(cat "$d/hdr")"
req "$url/p/$tok/consent"
expect "GET /p/{token}/consent: 405" 405

# ---- the per-link limit ----
n429=0
i=0
while [ $i -lt 45 ]; do
	s=$(curl -s -o /dev/null -w '%{http_code}' "$limited/p/$tok_cleo")
	[ "$s" = 429 ] && n429=$((n429 + 1))
	i=$((i + 1))
done
[ "$n429" -gt 0 ] && pass "45 quick requests on one link: some answered 429 ($n429)" ||
	fail "45 quick requests on one link: some answered 429"
req "$limited/p/$tok_bo"
expect "another link on the same server is not limited by it" 200
# POST /p takes from the client address's bucket of the forms (--form-rate-limit 3 here)
req "$limited/p"
csrf_l=$(csrf_of)
n429=0
for i in 1 2 3 4 5; do
	s=$(curl -s -o /dev/null -w '%{http_code}' -d "csrf=$csrf_l&email=nobody%40example.com" "$limited/p")
	[ "$s" = 429 ] && n429=$((n429 + 1))
done
[ "$n429" -ge 1 ] && pass "POST /p five times with --form-rate-limit 3: 429 ($n429 times)" ||
	fail "POST /p five times with --form-rate-limit 3: 429"

# ---- the pages against docs/openapi.yaml: GETs through Prism's validating proxy ----
start_prism main "$url"
pids="$pids $prism_pid"
for path in "/p" "/p?lang=sv" "/p/$tok" "/p/$tok?lang=sv&saved=offers" "/p/$tok/export" \
	"/p/$tok/export.json" "/p/$tok/erase" "/p/${tok}x" "/p/${tok}x/export.json"; do
	curl -s -o /dev/null "$prism_url$path"
done
check_prism main

# ---- erasure ----
req "$url/p/$tok/erase?lang=en"
expect "GET /p/{token}/erase: one confirmation" 200 "action=\"/p/$tok/erase\""
csrf_e=$(csrf_of)
req -d "csrf=$csrf_e&lang=en" "$url/p/$tok/erase"
expect "POST /p/{token}/erase: 200, the erasure receipt" 200 'suppression list'
req "$url/p/$tok"
expect "the erased person's link: 400" 400 'Invalid link'
req -d "csrf=$csrf&purpose=offers&action=give" "$url/p/$tok/consent"
expect "a consent post on the erased link: 400" 400
req "$url/p/$tok/export.json"
expect "export.json on the erased link: 400" 400

stop main "$main_pid"
stop future "$future_pid"
stop limited "$limited_pid"

# The access logs: no link token (the route's pattern stands for it), no address.
leak=$(cat "$d/main.log" "$d/future.log" "$d/limited.log" | grep -F -f "$d/tokens" | head -3)
[ -z "$leak" ] && leak=$(cat "$d/main.log" "$d/future.log" "$d/limited.log" |
	grep -iE '@|%40|example\.com' | head -3)
if [ -z "$leak" ] && grep -q 'GET /p/{token} 200' "$d/main.log"; then
	pass "the access logs hold no link token and no address (GET /p/{token} logged by pattern)"
else
	fail "the access logs hold no link token and no address (GET /p/{token} logged by pattern)" "$leak"
fi
plan
[ "$failed" -eq 0 ]
