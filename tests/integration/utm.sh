#!/bin/sh
# utm.sh: the UTM link builder from outside (docs/utm.md): `samtycke utm` (no database
# needed, --json, exit 2 naming the field) and GET /v1/utm on a real server (scope read, 400
# naming the field, the same link as the command line).
# Usage: sh tests/integration/utm.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/utm.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

require "curl is not installed" command -v curl
require "no samtycke binary at $bin" test -x "$bin"
scratch utm

# sk ARGS...: the command, in a folder without any database; sets st, out, err.
sk() {
	(cd "$d/empty" && "$bin" "$@") >"$d/out" 2>"$d/err"
	st=$?
	out=$(cat "$d/out")
	err=$(cat "$d/err")
}
# expect NAME STATUS TEXT: the last sk exited STATUS, and TEXT is in what it printed.
expect() {
	if [ "$st" -eq "$2" ] && printf '%s\n%s\n' "$out" "$err" | grep -qF -- "$3"; then
		pass "$1"
	else
		fail "$1 (wanted status $2 and '$3')" "status $st" "out: $out" "err: $err"
	fi
}
mkdir "$d/empty"

link='https://www.example.com/spring?utm_source=newsletter&utm_medium=email&utm_campaign=v%C3%A5r%20rea&utm_content=hero#top'
sk utm 'https://www.example.com/spring#top' --source ' Newsletter ' --medium EMAIL \
	--campaign 'Vår Rea' --content Hero
expect "utm: the link, values trimmed, lowercased and encoded, the fragment last" 0 "$link"
if [ "$out" = "$link" ] && [ -z "$err" ] && [ ! -e "$d/empty/samtycke.db" ]; then
	pass "utm: the link alone on stdout, nothing on stderr, no database made"
else
	fail "utm: the link alone on stdout, nothing on stderr, no database made" "out: $out" \
		"err: $err" "$(ls "$d/empty")"
fi
sk utm 'https://www.example.com/?id=7&utm_source=old&utm_term=stale' --source a --medium b \
	--campaign c --term T --keep-case
expect "utm: the query kept, utm_* already there replaced, --keep-case" 0 \
	'https://www.example.com/?id=7&utm_source=a&utm_medium=b&utm_campaign=c&utm_term=T'
sk utm https://www.example.com/ --source a --medium b --campaign c --json
expect "utm --json: {\"url\"}" 0 '{"url":"https://www.example.com/?utm_source=a&utm_medium=b&utm_campaign=c"}'
sk utm https://www.example.com/ --source a --medium b
expect "utm without --campaign: exit 2 naming the field" 2 "campaign is required"
sk utm https://www.example.com/ --source a --medium '' --campaign c --json
expect "utm --json: the error as JSON on stderr, naming the field" 2 \
	'{"error":{"code":"invalid","message":"medium is required"}}'
if [ -z "$out" ]; then
	pass "utm --json: nothing on stdout on an error"
else
	fail "utm --json: nothing on stdout on an error" "$out"
fi
sk utm 'javascript:alert(1)' --source a --medium b --campaign c
expect "utm: a URL that is not http(s) is exit 2" 2 "url must start with http:// or https://"
sk utm 'https://www.example.com/a b' --source a --medium b --campaign c
expect "utm: a URL with a space is exit 2" 2 "url must not hold spaces"
sk utm 'https://' --source a --medium b --campaign c
expect "utm: a URL without a host is exit 2" 2 "url needs a host"
sk utm "https://www.example.com/$(printf 'x\001')" --source a --medium b --campaign c
expect "utm: a control character in the URL is exit 2" 2 "url must not hold control characters"
sk utm https://www.example.com/ --source "$(printf 'a\tb\001')" --medium b --campaign c
expect "utm: a control character in a value is exit 2 naming it" 2 \
	"source must not hold control characters"
long=$(head -c 201 /dev/zero | tr '\0' 'a')
sk utm https://www.example.com/ --source a --medium b --campaign c --content "$long"
expect "utm: a value over 200 bytes is exit 2 naming it" 2 "content is longer than 200 bytes"
sk utm
expect "utm without arguments: usage" 2 "usage: samtycke utm URL"
sk utm https://www.example.com/ --source a --medium b --campaign c --bogus
expect "utm with an unknown option: usage" 2 "usage: samtycke utm"
sk help utm
expect "help utm" 0 "utm_source"

# ---- GET /v1/utm on a real server ----
setup "$bin" --db "$db" init
setup "$bin" --db "$db" policy apply "$root/examples/policy.yaml"
newkey KEY reader read
newkey WKEY writer write
start_server main --rate-limit 0

# get QUERY [KEY]: GET /v1/utm?QUERY; sets code and body.
get() {
	code=$(curl -s -o "$d/body" -w '%{http_code}' -H "Authorization: Bearer ${2:-$KEY}" \
		"$url/v1/utm?$1")
	body=$(cat "$d/body")
}
# answer NAME CODE TEXT: the last get answered CODE with TEXT in its body.
answer() {
	if [ "$code" = "$2" ] && printf '%s' "$body" | grep -qF -- "$3"; then
		pass "$1"
	else
		fail "$1 (wanted $2 and '$3')" "got $code: $body"
	fi
}
u=$(printf '%s' 'https://www.example.com/spring#top' | sed 's/:/%3A/g; s|/|%2F|g; s/#/%23/g')
get "url=$u&source=%20Newsletter%20&medium=EMAIL&campaign=V%C3%A5r%20Rea&content=Hero"
answer "GET /v1/utm: the same link as the command line" 200 "{\"url\":\"$link\"}"
get "url=$u&source=a&medium=b&campaign=C&keep_case=true"
answer "GET /v1/utm: keep_case=true" 200 'utm_campaign=C#top'
get "url=$u&source=a&medium=b"
answer "GET /v1/utm without campaign: 400 naming the field" 400 \
	'{"error":{"code":"bad_request","message":"campaign is required"}}'
get "url=ftp%3A%2F%2Fx.example%2F&source=a&medium=b&campaign=c"
answer "GET /v1/utm with an ftp URL: 400 naming the url" 400 '"message":"url must start with'
get "url=https%3A%2F%2Fwww.example.com%2Fa%0Ab&source=a&medium=b&campaign=c"
answer "GET /v1/utm with a control character in the URL: 400" 400 \
	'"message":"url must not hold control characters"'
get "url=$u&source=a&medium=b&campaign=c&keep_case=maybe"
answer "GET /v1/utm with keep_case=maybe: 400 naming it" 400 '"message":"keep_case must be'
get "url=$u&source=a&medium=b&campaign=c" "$WKEY"
answer "GET /v1/utm with a key without read: 403" 403 '"code":"forbidden"'
code=$(curl -s -o "$d/body" -w '%{http_code}' "$url/v1/utm?url=$u&source=a&medium=b&campaign=c")
body=$(cat "$d/body")
answer "GET /v1/utm without a key: 401" 401 '"code":"unauthorized"'
stop main "$pid"
# (the access log is written in blocks: read once the server has stopped)
if grep -q 'utm' "$d/main.log" && ! grep -qi 'newsletter\|example\.com' "$d/main.log"; then
	pass "the access log names the route, never the query's values"
else
	fail "the access log names the route, never the query's values" "$(grep utm "$d/main.log")"
fi

plan
[ "$failed" -eq 0 ]
