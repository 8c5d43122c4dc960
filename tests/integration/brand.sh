#!/bin/sh
# brand.sh: the organisation's brand on the public pages and their Content-Security-Policy,
# against docs/forms.md ("Putting a form on your site") and docs/policy.md (organisation.brand):
# a real server on the example policy (which has a brand) serves pages with landmarks, the logo
# named by the organisation, no inline style, and a strict CSP (framing only by a form's own
# sites, posting only to us and the form's redirects); the stylesheet in the brand's colours
# and the embedding script from /assets with their types and cache headers; and a brand whose
# colours are unreadable is refused when the policy is applied.
# Usage: sh tests/integration/brand.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/brand.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

require "curl is not installed" command -v curl
require "no samtycke binary at $bin" test -x "$bin"

scratch brand

setup "$bin" --db "$db" init
setup "$bin" --db "$db" policy apply "$root/examples/policy.yaml"
start_server main --rate-limit 0
main=$pid

# get NAME URL [CURL ARGS...]: the answer's headers in $d/NAME.h (names lowercased), its body
# in $d/NAME.b, its status in $code.
get() {
	name=$1
	u=$2
	shift 2
	code=$(curl -sS -o "$d/$name.b" -D "$d/$name.raw" -w '%{http_code}' "$@" "$u")
	tr -d '\r' <"$d/$name.raw" | sed 's/^\([^:]*\):/\L\1:/' >"$d/$name.h"
}
# header NAME FIELD: the value of FIELD (lowercase) in $d/NAME.h
header() { sed -n "s/^$2: //p" "$d/$1.h" | head -1; }
# check CASE TEST...: one case, its headers and the start of its body shown on failure
check() {
	c=$1
	shift
	if "$@"; then pass "$c"; else fail "$c" "$(cat "$d/$name.h")" "$(head -c 600 "$d/$name.b")"; fi
}

# ---- a form's page: the brand, landmarks, no inline style, framing by the form's sites ----
get form "$url/f/newsletter?lang=sv"
csp=$(header form content-security-policy)
check "the form page answers 200 text/html" test "$code" = 200 -a "$(header form content-type)" = "text/html; charset=utf-8"
check "its CSP: styles from us only, the logo's origin for images, posts to us and the form's redirects, no <base>, framed only by the form's allowed origin" \
	test "$csp" = "default-src 'none'; style-src 'self'; img-src https://www.example.com; form-action 'self' https://www.example.com; base-uri 'none'; frame-ancestors https://www.example.com"
check "its CSP allows nothing inline" sh -c "! printf '%s' \"\$1\" | grep -q unsafe-inline" - "$csp"
check "the page has no inline style (attribute or element) and no script" \
	sh -c "! grep -Eq 'style=|<style|<script' '$d/form.b'"
check "the page links the stylesheet by its version" grep -Eq '<link rel="stylesheet" href="/assets/page.css\?v=[0-9a-f]{8}">' "$d/form.b"
check "the header shows the logo, named by the organisation, and its name" \
	grep -q '<header class="site"><img src="https://www.example.com/assets/exempel-logo.svg" alt="Exempel AB" width="144" height="44"><span class="org">Exempel AB</span></header>' "$d/form.b"
check "the page has a <main> and a footer with the controller and its privacy policy, in the page's language" \
	sh -c "grep -q '<main id=\"main\">' '$d/form.b' && grep -q '</main>' '$d/form.b' && grep -q '<footer class=\"site\"><p>Exempel AB &middot; <a href=\"https://www.example.com/privacy\">Integritetspolicy</a></p></footer>' '$d/form.b'"
check "the form page still says nosniff and same-origin, and no-store" \
	test "$(header form x-content-type-options) $(header form referrer-policy) $(header form cache-control)" = "nosniff same-origin no-store"

# the answer to a form post is shown in the same frame: the form's framing rule
# (the webinar form has no error_url: its errors are pages)
get post "$url/f/webinar" -H 'Content-Type: application/x-www-form-urlencoded' --data 'email=not-an-address&lang=en'
check "a form post's own answer page (an error) keeps the form's frame-ancestors" \
	sh -c "test \"\$1\" = 422 && printf '%s' \"\$2\" | grep -q 'frame-ancestors https://www.example.com\$'" - "$code" "$(header post content-security-policy)"

# ---- every other page: never framed ----
get confirm "$url/f/confirm/not-a-token?lang=en"
csp=$(header confirm content-security-policy)
check "a confirmation page (here 400, a bad link) cannot be framed at all" \
	sh -c "test \"\$1\" = 400 && printf '%s' \"\$2\" | grep -q \"; frame-ancestors 'none'\$\"" - "$code" "$csp"
check "nor can it post anywhere but to us" sh -c "printf '%s' \"\$1\" | grep -q \"form-action 'self';\"" - "$csp"
check "and it wears the brand too" grep -q 'alt="Exempel AB"' "$d/confirm.b"
get form404 "$url/f/no-such-form"
check "an unknown form is the API's JSON 404, not a page" test "$code" = 404 -a "$(header form404 content-type)" = "application/json"

# ---- the stylesheet ----
get css "$url/assets/page.css"
check "/assets/page.css is 200 text/css" test "$code" = 200 -a "$(header css content-type)" = "text/css; charset=utf-8"
check "it is in the brand's colours" grep -q -- '--primary:#0b5e3b;--bg:#fbfaf7;--text:#1f2421;' "$d/css.b"
check "it may be cached (the pages name it by version), and says nosniff" \
	test "$(header css cache-control) $(header css x-content-type-options)" = "public, max-age=86400 nosniff"
check "it has visible keyboard focus" grep -q ':focus-visible{outline:3px solid var(--primary)' "$d/css.b"
get csshead "$url/assets/page.css" -I
check "HEAD /assets/page.css answers too" test "$code" = 200

# ---- the embedding script ----
get js "$url/assets/embed.js"
check "/assets/embed.js is 200 text/javascript" test "$code" = 200 -a "$(header js content-type)" = "text/javascript; charset=utf-8"
check "it may be cached, and says nosniff" \
	test "$(header js cache-control) $(header js x-content-type-options)" = "public, max-age=86400 nosniff"
cp "$d/js.b" "$d/embed.js"
check "it is a script node can parse" node --check "$d/embed.js"
check "it finds the forms marked data-samtycke-form and posts JSON" \
	sh -c "grep -q 'form\[data-samtycke-form\]' '$d/js.b' && grep -q \"'Content-Type': 'application/json'\" '$d/js.b'"
check "it loads nothing from a third party (no URL in it)" sh -c "! grep -Eq 'https?://' '$d/js.b'"
check "it is small (under 8 KiB)" test "$(wc -c <"$d/js.b")" -lt 8192
get jspost "$url/assets/embed.js" -X POST --data x
check "POST /assets/embed.js is 405" test "$code" = 405

# ---- the stored policy gives the brand back, and a changed brand is a change ----
"$bin" --db "$db" --json policy show >"$d/show.json" 2>&1
check "policy show --json gives the brand as written, absent keys left out" \
	grep -q '"brand": *{"logo_url": *"https://www.example.com/assets/exempel-logo.svg", *"primary": *"#0b5e3b", *"background": *"#fbfaf7", *"text": *"#1f2421"}' "$d/show.json"
sed 's/primary: "#0b5e3b"/primary: "#0b5e3c"/' "$root/examples/policy.yaml" >"$d/green.yaml"
"$bin" --db "$db" policy apply --dry-run "$d/green.yaml" >"$d/green.out" 2>&1
check "a dry run of a new brand colour lists it as a change of the organisation" grep -qx '~ setting organisation: brand' "$d/green.out"

# ---- a brand that fails WCAG AA is refused when applied ----
sed 's/    text: "#1f2421"/    text: "#aaaaaa"/' "$root/examples/policy.yaml" >"$d/grey.yaml"
"$bin" --db "$db" policy apply "$d/grey.yaml" >"$d/grey.out" 2>&1
st=$?
if [ "$st" -ne 0 ] && grep -q "organisation.brand: the text colour #aaaaaa on the background #fbfaf7 has a contrast of" "$d/grey.out"; then
	pass "policy apply refuses text too light for the background, naming both colours"
else
	fail "policy apply refuses text too light for the background, naming both colours" "status $st" "$(cat "$d/grey.out")"
fi
sed 's|logo_url: https://www.example.com/|logo_url: http://www.example.com/|' "$root/examples/policy.yaml" >"$d/http.yaml"
"$bin" --db "$db" policy apply "$d/http.yaml" >"$d/http.out" 2>&1
st=$?
if [ "$st" -ne 0 ] && grep -q "organisation.brand.logo_url: expected an https:// URL" "$d/http.out"; then
	pass "policy apply refuses a logo over plain http"
else
	fail "policy apply refuses a logo over plain http" "status $st" "$(cat "$d/http.out")"
fi

# ---- the brand's own stylesheet: on every page but one whose address holds a link ----
# (CSS can read attribute values, the token in such a page's links and forms among them, and
# send them out in image requests)
sed 's|    text: "#1f2421"|    text: "#1f2421"\n    stylesheet_url: https://cdn.example.com/brand.css|' \
	"$root/examples/policy.yaml" >"$d/css.yaml"
setup "$bin" --db "$db" policy apply "$d/css.yaml"
setup "$bin" --db "$db" contact add brand-person@example.com
link=$("$bin" --db "$db" link brand-person@example.com --base "$url")
i=0
until get form2 "$url/f/newsletter" && grep -q 'cdn.example.com' "$d/form2.b" || [ $i -ge 30 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "a form page loads the brand's stylesheet, and its CSP allows its origin" \
	sh -c "grep -q '<link rel=\"stylesheet\" href=\"https://cdn.example.com/brand.css\">' '$d/form2.b' &&
		printf '%s' \"\$1\" | grep -q \"style-src 'self' https://cdn.example.com;\"" - "$(header form2 content-security-policy)"
get person "$link"
check "the person's page (its address holds the link) does not load it, nor does its CSP allow it" \
	sh -c "test \"\$1\" = 200 && ! grep -q 'cdn.example.com' '$d/person.b' &&
		! printf '%s' \"\$2\" | grep -q cdn.example.com" - "$code" "$(header person content-security-policy)"
get confirm2 "$url/f/confirm/not-a-token"
check "nor does a confirmation page" sh -c "! grep -q 'cdn.example.com' '$d/confirm2.b'"

stop main "$main"
plan
[ "$failed" -eq 0 ]
