#!/bin/sh
# console-origin.sh: which Origin a console sign-in (and with it every public page's POST,
# public.c's sk_origin_own) takes as our own: with --public-url only that URL's origin,
# exactly (not a prefix of it, not another port or a longer host); without it (the default
# http://LISTEN) also the Host the browser used, such as localhost for 127.0.0.1.
# Usage: sh tests/integration/console-origin.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/console-origin.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

require "curl is not installed" command -v curl
require "no samtycke binary at $bin" test -x "$bin"

scratch console-origin
setup "$bin" --db "$db" init
setup "$bin" --db "$db" policy apply "$root/examples/policy.yaml"
printf '%s\n' "a long password for tests" >"$d/pw"
setup "$bin" --db "$db" user add ola --role viewer --password-file "$d/pw"

# sign_in URL ORIGIN [HOST]: the status of a sign-in posted with that Origin (and Host)
sign_in() {
	curl -s -o /dev/null -w '%{http_code}' -H "Origin: $2" ${3:+-H "Host: $3"} \
		--data-urlencode "name=ola" --data-urlencode "password=a long password for tests" \
		"$1/console/sign-in"
}
expect() { # expect WHAT WANT GOT
	if [ "$3" = "$2" ]; then pass "$1"; else fail "$1" "answered $3, wanted $2"; fi
}

# without --public-url: the listen address and the Host the browser used are ours
start_server plain
port=${url##*:}
expect "default public URL: a sign-in from the listen address's origin is taken" 303 \
	"$(sign_in "$url" "$url")"
expect "default public URL: a sign-in from http://localhost:PORT (Host localhost:PORT) is taken" 303 \
	"$(sign_in "$url" "http://localhost:$port" "localhost:$port")"
expect "default public URL: an Origin that is only a prefix of ours ('http:') is refused" 403 \
	"$(sign_in "$url" "http:")"
expect "default public URL: another site's Origin is refused" 403 \
	"$(sign_in "$url" "http://evil.example")"
expect "default public URL: another port of ours is refused" 403 \
	"$(sign_in "$url" "http://127.0.0.1:1")"

# with --public-url: that origin only, exactly
start_server pub --public-url https://consent.example.com/base
expect "--public-url: a sign-in from its origin is taken" 303 \
	"$(sign_in "$url" "https://consent.example.com")"
expect "--public-url: the request's own Host is not our origin then" 403 \
	"$(sign_in "$url" "$url")"
expect "--public-url: a longer host is refused" 403 \
	"$(sign_in "$url" "https://consent.example.com.evil.example")"
expect "--public-url: a prefix of it is refused" 403 \
	"$(sign_in "$url" "https://consent.example.co")"
expect "--public-url: another scheme is refused" 403 \
	"$(sign_in "$url" "http://consent.example.com")"
plan
[ "$failed" -eq 0 ]
