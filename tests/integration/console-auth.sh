#!/bin/sh
# console-auth.sh: the staff console's sign-in, sessions and checks on a real server
# (docs/console.md, "Signing in and sessions"; issue 15): the cookie's flags (Secure under an
# https public URL), 303 to the sign-in page without a session, 403 for a role that may not,
# a POST refused without its session's CSRF token (missing, wrong, another session's) or
# from another origin, a session past its idle end (servers with their clocks moved on),
# lock-out after 5 failures and `user unlock`, a disabled user, a new password ending
# sessions, names refused as confusable (`cli`, letter case), a revoked key, API-key
# sign-in by scopes, the sign-in rate limit, `next` kept under /console, the audit trail and
# its CSV and JSON exports, and an access log without names or secrets.
# Usage: sh tests/integration/console-auth.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/console-auth.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

require "curl is not installed" command -v curl
require "no samtycke binary at $bin" test -x "$bin"

scratch console-auth
setup "$bin" --db "$db" init
setup "$bin" --db "$db" policy apply "$root/examples/policy.yaml"
pw="a long password for tests"
printf '%s\n' "$pw" >"$d/pw"
for u in viewer marketer dpo admin; do
	setup "$bin" --db "$db" user add "$u-user" --role "$u" --password-file "$d/pw"
done
setup "$bin" --db "$db" user add locky --role dpo --password-file "$d/pw"
setup "$bin" --db "$db" user add leaver --role admin --password-file "$d/pw"

T0=2026-06-01T10:00:00Z
SAMTYCKE_NOW=$T0 start_server main --form-rate-limit 1000
main=$url
main_pid=$pid

# req NAME ARGS...: curl with the answer's headers in $d/NAME.h and body in $d/NAME.b;
# sets code.
req() {
	n=$1
	shift
	code=$(curl -s -o "$d/$n.b" -D "$d/$n.h" -w '%{http_code}' "$@")
}
header() { sed -n "s/^$2: *//Ip" "$d/$1.h" | tr -d '\r' | head -1; }
check() { # check WHAT TEST...
	what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what" "code $code"; fi
}
# sign_in JAR NAME [URL]: a session in cookie jar JAR
sign_in() {
	req signin -c "$d/$1" --data-urlencode "name=$2" --data-urlencode "password=$pw" \
		"${3:-$main}/console/sign-in"
}
csrf_of() { # csrf_of JAR: the CSRF token of the session's page
	curl -s -b "$d/$1" "$main/console/audit" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1
}

# ---- no session ----
req none "$main/console/audit"
if [ "$code" = 303 ] && [ "$(header none Location)" = "/console/sign-in?next=/console/audit" ]; then
	pass "GET /console/audit without a session: 303 to the sign-in page with next"
else
	fail "GET /console/audit without a session: 303 to the sign-in page with next" "code $code"
fi
req none_post -d csrf=x "$main/console/sign-out"
if [ "$code" = 303 ] && [ "$(header none_post Location)" = "/console/sign-in" ]; then
	pass "POST /console/sign-out without a session: 303 to the sign-in page, nothing runs"
else
	fail "POST /console/sign-out without a session: 303 to the sign-in page, nothing runs" "code $code"
fi
req page "$main/console/sign-in?next=/console/audit"
if [ "$code" = 200 ] && grep -q 'name="password"' "$d/page.b" && grep -q 'name="key"' "$d/page.b" &&
	grep -q 'name="next" value="/console/audit"' "$d/page.b"; then
	pass "the sign-in page: 200, a form of name and password and one of an API key, next kept"
else
	fail "the sign-in page: 200, a form of name and password and one of an API key, next kept" "code $code"
fi

# ---- sign-in and the cookie ----
req signin -c "$d/dpo" --data-urlencode "name=dpo-user" --data-urlencode "password=$pw" \
	--data-urlencode "next=/console/audit" "$main/console/sign-in"
cookie=$(header signin Set-Cookie)
if [ "$code" = 303 ] && [ "$(header signin Location)" = /console/audit ]; then
	pass "sign-in: 303 to next"
else
	fail "sign-in: 303 to next" "code $code"
fi
case $cookie in
"sk_session="*"; Path=/console; HttpOnly; SameSite=Strict") pass "the cookie: Path=/console; HttpOnly; SameSite=Strict, not Secure over http" ;;
*) fail "the cookie: Path=/console; HttpOnly; SameSite=Strict, not Secure over http" "$cookie" ;;
esac
secret=$(printf '%s' "$cookie" | sed 's/^sk_session=[^.]*\.\([0-9a-f]*\);.*/\1/')
req audit -b "$d/dpo" "$main/console/audit"
if [ "$code" = 200 ] && grep -q '<code>sign_in</code>' "$d/audit.b"; then
	pass "a dpo reads the audit trail"
else
	fail "a dpo reads the audit trail" "code $code"
fi

for bad in "https://evil.example/console" "//evil.example/console" "/consolex" "/console/../v1" "/console/%2E%2e/v1" "javascript:alert(1)"; do
	req nx --data-urlencode "name=viewer-user" --data-urlencode "password=$pw" \
		--data-urlencode "next=$bad" "$main/console/sign-in"
	if [ "$code" = 303 ] && [ "$(header nx Location)" = /console ]; then
		pass "next=$bad is not followed: 303 to /console"
	else
		fail "next=$bad is not followed: 303 to /console" "code $code"
	fi
done

req wrong --data-urlencode "name=dpo-user" --data-urlencode "password=not it at all" "$main/console/sign-in"
w=$(grep -o 'role="alert"[^<]*' "$d/wrong.b")
req unknown --data-urlencode "name=nobody" --data-urlencode "password=not it at all" "$main/console/sign-in"
u=$(grep -o 'role="alert"[^<]*' "$d/unknown.b")
if [ "$code" = 403 ] && [ -n "$w" ] && [ "$w" = "$u" ] && [ -z "$(header unknown Set-Cookie)" ]; then
	pass "a wrong password and an unknown name: the same 403 page, no cookie"
else
	fail "a wrong password and an unknown name: the same 403 page, no cookie" "code $code"
fi

# ---- roles ----
sign_in viewer viewer-user
req v403 -b "$d/viewer" "$main/console/audit"
if [ "$code" = 403 ] && grep -q 'Not allowed' "$d/v403.b" && grep -q 'Signed in as viewer-user' "$d/v403.b"; then
	pass "a viewer gets the 403 console page for /console/audit"
else
	fail "a viewer gets the 403 console page for /console/audit" "code $code"
fi
req vcsv -b "$d/viewer" "$main/console/audit.csv"
check "a viewer gets 403 for the audit export" [ "$code" = 403 ]
sign_in marketer marketer-user
req m403 -b "$d/marketer" "$main/console/audit.json"
check "a marketer gets 403 for the audit export" [ "$code" = 403 ]
sign_in admin admin-user
req a200 -b "$d/admin" "$main/console/audit"
check "an admin reads the audit trail" [ "$code" = 200 ]

# ---- CSRF and Origin ----
tok=$(csrf_of dpo)
tok_admin=$(csrf_of admin)
check "the page carries a CSRF token of 64 hex digits" [ "${#tok}" = 64 ]
req c1 -b "$d/dpo" -d "x=1" "$main/console/sign-out"
if [ "$code" = 403 ] && grep -q 'Nothing was changed' "$d/c1.b"; then
	pass "sign-out without csrf: 403"
else
	fail "sign-out without csrf: 403" "code $code"
fi
req c2 -b "$d/dpo" -d "csrf=$(printf '%064d' 0)" "$main/console/sign-out"
check "sign-out with a wrong csrf: 403" [ "$code" = 403 ]
req c3 -b "$d/dpo" -d "csrf=$tok_admin" "$main/console/sign-out"
check "sign-out with another session's csrf: 403" [ "$code" = 403 ]
req c4 -b "$d/dpo" -d "csrf=$tok&csrf=$tok_admin" "$main/console/sign-out"
check "sign-out with two csrf fields: 403" [ "$code" = 403 ]
req c5 -b "$d/dpo" -H "Origin: http://evil.example" -d "csrf=$tok" "$main/console/sign-out"
check "sign-out from a foreign Origin with the right token: 403" [ "$code" = 403 ]
req still -b "$d/dpo" "$main/console/audit"
check "after the refused posts the session still holds" [ "$code" = 200 ]

# ---- lock-out ----
for i in 1 2 3 4 5; do
	req lk --data-urlencode "name=locky" --data-urlencode "password=wrong wrong wrong" "$main/console/sign-in"
done
sign_in locked locky
check "after 5 failures in a row the right password is refused (locked)" [ "$code" = 403 ]
setup env SAMTYCKE_NOW=$T0 "$bin" --db "$db" user list
check "user list says locked until 15 minutes later" grep -q "^locky .*locked until 2026-06-01T10:15:00Z" "$d/setup.out"
setup "$bin" --db "$db" user unlock locky
sign_in locked locky
check "after user unlock the password signs in" [ "$code" = 303 ]

# ---- API keys ----
newkey KEY_RW console-rw read,write
newkey KEY_W console-w write
req k1 -c "$d/key" --data-urlencode "key=$KEY_RW" "$main/console/sign-in"
check "a read,write key signs in" [ "$code" = 303 ]
req k2 -b "$d/key" "$main/console/audit"
if [ "$code" = 403 ] && grep -q 'key:console-rw (marketer)' "$d/k2.b"; then
	pass "as a marketer: 403 for the audit trail"
else
	fail "as a marketer: 403 for the audit trail" "code $code"
fi
req k3 --data-urlencode "key=$KEY_W" "$main/console/sign-in"
if [ "$code" = 403 ] && [ -z "$(header k3 Set-Cookie)" ]; then
	pass "a key without read may not sign in: 403"
else
	fail "a key without read may not sign in: 403" "code $code"
fi
setup "$bin" --db "$db" keys revoke console-rw
req k4 -b "$d/key" "$main/console/audit"
if [ "$code" = 303 ] && header k4 Set-Cookie | grep -q '^sk_session=; Path=/console; Max-Age=0;'; then
	pass "revoking the key ends its session at the next request (303, the cookie cleared)"
else
	fail "revoking the key ends its session at the next request (303, the cookie cleared)" "code $code"
fi


# ---- the user commands ----
# exits CODE WHAT CMD...: CMD exits CODE; its stdout in $d/cmd.out
exits() {
	want=$1
	what=$2
	shift 2
	"$@" >"$d/cmd.out" 2>"$d/cmd.err"
	st=$?
	if [ "$st" = "$want" ]; then pass "$what (exit $want)"; else fail "$what (exit $want)" "exit $st" "$(cat "$d/cmd.err")"; fi
}
exits 0 "user add without --password-file prints a generated password" "$bin" --db "$db" user add gen --role marketer
gen=$(cat "$d/cmd.out")
if [ "$(wc -l <"$d/cmd.out")" = 1 ] && [ "${#gen}" = 24 ]; then
	pass "the generated password is one line of 24 characters"
else
	fail "the generated password is one line of 24 characters" "code $code"
fi
req gen -c "$d/gen" --data-urlencode "name=gen" --data-urlencode "password=$gen" "$main/console/sign-in"
check "the generated password signs in" [ "$code" = 303 ]
exits 3 "user add of a taken name" "$bin" --db "$db" user add gen --role viewer --password-file "$d/pw"
exits 2 "user add with a role that is none" "$bin" --db "$db" user add other --role root --password-file "$d/pw"
printf 'eleven char\n' >"$d/short"
exits 3 "user add with a password under 12 characters" "$bin" --db "$db" user add other --role viewer --password-file "$d/short"
exits 1 "user passwd of an unknown name" "$bin" --db "$db" user passwd nobody --password-file "$d/pw"
exits 0 "user passwd from a file" "$bin" --db "$db" user passwd gen --password-file "$d/pw"
sign_in gen2 gen
check "the new password signs in" [ "$code" = 303 ]
exits 3 "user add of a name that differs from a taken one only in letter case" \
	"$bin" --db "$db" user add GEN --role admin --password-file "$d/pw"
exits 3 "user add of the reserved name cli" "$bin" --db "$db" user add cli --role admin --password-file "$d/pw"
exits 3 "user add of the reserved name Cli" "$bin" --db "$db" user add Cli --role admin --password-file "$d/pw"

# ---- a new password ends the sessions made before it ----
req pw1 -b "$d/gen2" "$main/console"
before=$code
printf 'yet another long password\n' >"$d/pw2"
setup "$bin" --db "$db" user passwd gen --password-file "$d/pw2"
req pw2 -b "$d/gen2" "$main/console"
check "user passwd ends the user's open session: refused at its next request" \
	[ "$before $code" = "200 303" ]
req pw3 -c "$d/gen3" --data-urlencode "name=gen" --data-urlencode "password=yet another long password" \
	"$main/console/sign-in"
check "the new password signs in afresh" [ "$code" = 303 ]
exits 0 "user list --json" "$bin" --db "$db" --json user list
check "user list --json lists the users, no hash, no password" \
	"$py" -c '
import json, sys
u = {x["name"]: x for x in json.load(open(sys.argv[1]))["users"]}
assert u["gen"]["role"] == "marketer" and "other" not in u, u
assert "argon2" not in open(sys.argv[1]).read()
' "$d/cmd.out"

# ---- a disabled user ----
sign_in leaver leaver
req l1 -b "$d/leaver" "$main/console/audit"
before=$code
setup "$bin" --db "$db" user disable leaver
req l2 -b "$d/leaver" "$main/console/audit"
if [ "$before" = 200 ] && [ "$code" = 303 ]; then
	pass "disabling a user ends its session at the next request"
else
	fail "disabling a user ends its session at the next request" "code $code"
fi

# ---- sign-out ----
req out -b "$d/dpo" -d "csrf=$tok" "$main/console/sign-out"
if [ "$code" = 303 ] && [ "$(header out Location)" = /console/sign-in ] &&
	header out Set-Cookie | grep -q '^sk_session=; Path=/console; Max-Age=0'; then
	pass "sign-out with its token: 303 to the sign-in page, the cookie cleared"
else
	fail "sign-out with its token: 303 to the sign-in page, the cookie cleared" "code $code"
fi
req after -b "$d/dpo" "$main/console/audit"
check "the signed-out session is refused" [ "$code" = 303 ]

# ---- idle and absolute ends: servers on the same store with their clocks moved on ----
SAMTYCKE_NOW=$T0 start_server t0 --form-rate-limit 1000
sign_in idle admin-user "$url"
stop t0 "$pid"
SAMTYCKE_NOW=2026-06-01T10:29:00Z start_server t29 --form-rate-limit 1000
req i1 -b "$d/idle" "$url/console/audit"
check "29 minutes later the session holds" [ "$code" = 200 ]
stop t29 "$pid"
SAMTYCKE_NOW=2026-06-01T10:58:00Z start_server t58 --form-rate-limit 1000
req i2 -b "$d/idle" "$url/console/audit"
check "29 minutes after its last use it still holds" [ "$code" = 200 ]
stop t58 "$pid"
SAMTYCKE_NOW=2026-06-01T11:28:00Z start_server t88 --form-rate-limit 1000
req i3 -b "$d/idle" "$url/console/audit"
check "30 minutes unused it has ended: 303 to sign in" [ "$code" = 303 ]
stop t88 "$pid"
SAMTYCKE_NOW=$T0 start_server short --form-rate-limit 1000 --console-idle-minutes 5
sign_in short admin-user "$url"
stop short "$pid"
SAMTYCKE_NOW=2026-06-01T10:06:00Z start_server short6 --form-rate-limit 1000 --console-idle-minutes 5
req i4 -b "$d/short" "$url/console/audit"
check "--console-idle-minutes 5: 6 minutes unused, ended" [ "$code" = 303 ]
stop short6 "$pid"

# ---- Secure under https, and the rate limit ----
start_server https --public-url https://console.example --form-rate-limit 3
req s1 --data-urlencode "name=admin-user" --data-urlencode "password=$pw" "$url/console/sign-in"
check "under an https public URL the cookie is Secure" header s1 Set-Cookie | grep -q '; Secure$'
req s2 -H "Origin: http://127.0.0.1" --data-urlencode "name=admin-user" --data-urlencode "password=$pw" "$url/console/sign-in"
if [ "$code" = 403 ] && [ -z "$(header s2 Set-Cookie)" ]; then
	pass "a sign-in from an origin other than the public URL: 403"
else
	fail "a sign-in from an origin other than the public URL: 403" "code $code"
fi
for i in 1 2 3; do
	req s3 --data-urlencode "name=admin-user" --data-urlencode "password=$pw" "$url/console/sign-in"
done
if [ "$code" = 429 ] && [ -n "$(header s3 Retry-After)" ]; then
	pass "past --form-rate-limit sign-ins a minute from one address: 429"
else
	fail "past --form-rate-limit sign-ins a minute from one address: 429" "code $code"
fi
stop https "$pid"

# ---- the audit trail and its exports (more than a page of it) ----
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	req nb --data-urlencode "name=nobody$i" --data-urlencode "password=x" "$main/console/sign-in"
done
sign_in dpo2 dpo-user
req csv -b "$d/dpo2" "$main/console/audit.csv"
if [ "$code" = 200 ] && header csv Content-Type | grep -q '^text/csv' &&
	header csv Content-Disposition | grep -q '^attachment' &&
	[ "$(head -1 "$d/csv.b" | tr -d '\r')" = "seq,at,who,role,action,target,detail" ]; then
	pass "audit.csv: 200 text/csv, an attachment, a header line"
else
	fail "audit.csv: 200 text/csv, an attachment, a header line" "code $code"
fi
if grep -q ',locky,dpo,sign_in.locked,' "$d/csv.b" && grep -q ',cli,,user.unlock,locky,' "$d/csv.b" &&
	grep -q ',?,,sign_in.failed,,unknown name' "$d/csv.b" && grep -q ',cli,,user.disable,leaver,' "$d/csv.b" &&
	grep -q ',dpo-user,dpo,sign_out,' "$d/csv.b" && grep -q ',key:console-rw,marketer,sign_in,,api key' "$d/csv.b"; then
	pass "the trail holds the lock-out, the unlock, the failures, the disabling and the sign-outs"
else
	fail "the trail holds the lock-out, the unlock, the failures, the disabling and the sign-outs" "code $code"
fi
check "the export is itself in the trail, first (audit.export by dpo-user)" \
	sh -c 'sed -n 2p "$1" | grep -q ",dpo-user,dpo,audit.export,,csv"' - "$d/csv.b"
req json -b "$d/dpo2" "$main/console/audit.json"
if [ "$code" = 200 ] && "$py" -c '
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
seqs = [e["seq"] for e in ev]
assert seqs == sorted(seqs, reverse=True) and seqs[-1] == 1, seqs[:5]
assert len(ev) == int(sys.argv[2]) + 1, (len(ev), sys.argv[2])  # and its own audit.export
assert ev[0]["action"] == "audit.export" and ev[0]["detail"] == "json", ev[0]
assert set(ev[0]) == {"seq", "at", "who", "role", "action", "target", "detail"}
' "$d/json.b" "$(($(wc -l <"$d/csv.b") - 1))"; then
	pass "audit.json: every event, newest first, the CSV's rows and its own export"
else
	fail "audit.json: every event, newest first, the CSV's rows and its own export" "code $code"
fi
nrows=$(($(wc -l <"$d/csv.b") - 1))
req p1 -b "$d/dpo2" "$main/console/audit"
older=$(sed -n 's/.*href="\/console\/audit?before=\([0-9]*\)".*/\1/p' "$d/p1.b")
req p2 -b "$d/dpo2" "$main/console/audit?before=$older"
if [ "$(grep -c '^<tr><td class="num">' "$d/p1.b")" = 50 ] && [ -n "$older" ] &&
	[ "$(grep -c '^<tr><td class="num">' "$d/p2.b")" -ge 1 ] &&
	! grep -q "<td class=\"num\">$older</td>" "$d/p2.b"; then
	pass "the trail is paged: 50 a page, then older ones ($nrows in all)"
else
	fail "the trail is paged: 50 a page, then older ones ($nrows in all)" "code $code"
fi

stop main "$main_pid"
# ---- the access log ----
if grep -q "$secret" "$d"/*.log || grep -qE 'dpo-user|admin-user|locky|password' "$d"/*.log; then
	fail "the access logs hold no session secret and no user name" "$(grep -hE "$secret|dpo-user|admin-user|locky" "$d"/*.log | head -3)"
else
	pass "the access logs hold no session secret and no user name"
fi
plan
[ "$failed" -eq 0 ]
