#!/bin/sh
# console-exposure.sh: what anyone who reaches the console's port meets (issue 15;
# docs/console.md), line by line of the checklist for what the public can reach: every console
# page is never cached and carries the console's CSP and nosniff; a 20 MiB body sent to a
# console route without a session, or by a role that may not, is answered at once, unread;
# past the form cap (64 KiB) or the upload cap (64 MiB) it is 413 before it is read; a
# webhook added from the console goes only to a public address, as the API's does.
# Usage: sh tests/integration/console-exposure.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/console-exposure.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

require "curl is not installed" command -v curl
require "no samtycke binary at $bin" test -x "$bin"

scratch console-exposure
setup "$bin" --db "$db" init
setup "$bin" --db "$db" policy apply "$root/examples/policy.yaml"
printf '%s\n' "a long password for tests" >"$d/pw"
for u in viewer marketer admin; do
	setup "$bin" --db "$db" user add "$u-user" --role "$u" --password-file "$d/pw"
done
start_server main --form-rate-limit 1000
main=$url
port=${url##*:}

# sign_in JAR NAME: a session in cookie jar JAR
sign_in() {
	curl -s -o /dev/null -c "$d/$1" --data-urlencode "name=$2" \
		--data-urlencode "password=a long password for tests" "$main/console/sign-in"
}
cookie_of() { awk '$6 == "sk_session" { print $7 }' "$d/$1"; }
expect() { # expect WHAT WANT GOT
	if [ "$3" = "$2" ]; then pass "$1"; else fail "$1" "got '$3', wanted '$2'"; fi
}
# head_only PATH CONTENT-TYPE LENGTH [COOKIE]: sends only the headers of a POST that announces
# LENGTH bytes of body and prints "STATUS closed" when the server answered within 2 s and then
# closed the connection without waiting for the body ("STATUS open" when it kept waiting)
head_only() {
	"$py" - "$port" "$1" "$2" "$3" "${4:-}" <<'PY'
import socket, sys, time
port, path, ctype, length, cookie = sys.argv[1:6]
s = socket.create_connection(("127.0.0.1", int(port)), timeout=2)
head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n"
head += f"Content-Type: {ctype}\r\nContent-Length: {length}\r\n"
if cookie:
    head += f"Cookie: sk_session={cookie}\r\n"
s.sendall((head + "\r\n").encode())
data = b""
try:
    while b"\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    print("none open")
    sys.exit(0)
status = data.split(b" ")[1].decode() if data.startswith(b"HTTP/") else "none"
end = time.time() + 2
closed = "open"
try:
    while time.time() < end:
        if not s.recv(4096):
            closed = "closed"
            break
except socket.timeout:
    pass
print(status, closed)
PY
}

# ---- every console page: no-store, the console's CSP, nosniff ----
csp="default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
sign_in admin admin-user
sign_in viewer viewer-user
sign_in marketer marketer-user
for what in "sign-in page|/console/sign-in|" "overview (admin)|/console|admin" \
	"webhooks and keys (admin)|/console/admin|admin" "403 page (viewer)|/console/admin|viewer"; do
	name=${what%%|*} rest=${what#*|}
	path=${rest%%|*} jar=${rest#*|}
	curl -s -o /dev/null -D "$d/h" ${jar:+-b "$d/$jar"} "$main$path"
	h() { sed -n "s/^$1: *//Ip" "$d/h" | tr -d '\r' | head -1; }
	expect "the $name: Cache-Control no-store" no-store "$(h Cache-Control)"
	expect "the $name: the console's CSP" "$csp" "$(h Content-Security-Policy)"
	expect "the $name: nosniff" nosniff "$(h X-Content-Type-Options)"
done

# ---- bodies refused unread ----
big=$((20 * 1024 * 1024))
expect "a 20 MiB upload without a session: 303 at once, the body never read" "303 closed" \
	"$(head_only /console/import "multipart/form-data; boundary=x" $big)"
expect "a 20 MiB upload by a viewer (who may not import): 403 at once, the body never read" \
	"403 closed" "$(head_only /console/import "multipart/form-data; boundary=x" $big "$(cookie_of viewer)")"
expect "a 20 MiB form post without a session: 303 at once, unread" "303 closed" \
	"$(head_only /console/person application/x-www-form-urlencoded $big)"
expect "a form post past 64 KiB with a session: 413 before it is read" "413 closed" \
	"$(head_only /console/person application/x-www-form-urlencoded $((64 * 1024 + 1)) "$(cookie_of marketer)")"
expect "an upload past 64 MiB with a session that may import: 413 before it is read" "413 closed" \
	"$(head_only /console/import "multipart/form-data; boundary=x" $((64 * 1024 * 1024 + 1)) "$(cookie_of marketer)")"

# ---- a webhook added from the console goes only to a public address ----
tok=$(curl -s -b "$d/admin" "$main/console/admin" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
for u in http://10.0.0.1/hook http://127.0.0.1:9/hook http://localhost/hook http://[::1]/hook; do
	code=$(curl -s -o "$d/wh.b" -w '%{http_code}' -b "$d/admin" -H "Origin: $main" \
		--data-urlencode "csrf=$tok" --data-urlencode "op=webhook-add" --data-urlencode "name=inside" \
		--data-urlencode "url=$u" --data-urlencode "events=consent.withdrawn" "$main/console/admin")
	n=$("$bin" --db "$db" --json webhook list | grep -c '"url"')
	if [ "$code $n" = "422 0" ] && grep -q 'loopback, private or shared' "$d/wh.b"; then
		pass "a webhook to $u from the console is refused (422, saying why) and nothing is stored"
	else
		fail "a webhook to $u from the console is refused (422, saying why) and nothing is stored" \
			"code $code, $n stored: $(grep -o 'class="error"[^<]*' "$d/wh.b")"
	fi
done
plan
[ "$failed" -eq 0 ]
