#!/bin/sh
# scopes.sh: the full scope matrix of the HTTP API against a real server. Every route of the
# route table (src/http/routes.c) or of docs/openapi.yaml that needs a scope (the two must
# agree), each GET also as HEAD, is asked with
# no key (401), a wrong key (401), and one key per single scope (read, write, dsr, admin,
# metrics):
# only the key holding the scope that docs/openapi.yaml names for the route (x-scope) gets
# past the check, every other one gets 403 forbidden; no scope implies another, admin
# included. The requests carry ids that do not exist and bodies that are refused, so nothing
# is written. Usage: sh tests/integration/scopes.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/scopes.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

require "curl is not installed" command -v curl
require "no samtycke binary at $bin" test -x "$bin"

scratch scopes

# Cases are numbered here so that the script can end with its TAP plan.
ncases=0
pass() { ncases=$((ncases + 1)); echo "ok $ncases - $1"; }
fail() {
	ncases=$((ncases + 1))
	failed=$((failed + 1))
	echo "not ok $ncases - $1"
	shift
	for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
}

setup "$bin" --db "$db" init
setup "$bin" --db "$db" policy apply "$root/examples/policy.yaml"
scopes="read write dsr admin metrics"
for s in $scopes; do
	newkey "KEY_$s" "only-$s" "$s"
done

# The route table: "METHOD PATH SCOPE" per route that needs a scope.
sed -n 's/^[[:space:]]*{"\([A-Z]*\)", "\([^"]*\)", "\([a-z]*\)",.*/\1 \2 \3/p' \
	"$root/src/http/routes.c" >"$d/routes"
# The spec's scope of each operation: "METHOD PATH SCOPE". The console's routes (x-scope
# "@CAN": a staff session, not an API key) are left out: the console's tests ask them.
awk '/^paths:/ { p = 1; next }
	p && /^[a-z]/ { p = 0 }
	p && /^  \/[^ ]*:$/ { path = $1; sub(/:$/, "", path) }
	p && /^    [a-z]+:$/ { m = toupper($1); sub(/:$/, "", m) }
	p && /^      x-scope: / && $2 !~ /^"@/ { print m, path, $2 }' "$root/docs/openapi.yaml" >"$d/spec"
# (the console's routes, x-scope "@CAN", take a session, not a key: console-auth.sh)

nroutes=$(wc -l <"$d/routes")
if [ "$nroutes" -ge 10 ]; then
	pass "the route table names $nroutes routes that need a scope"
else
	fail "the route table names the routes that need a scope" "$(cat "$d/routes")"
fi
# A positive control of the table: every scope is needed by some route.
for s in $scopes; do
	if grep -q " $s\$" "$d/routes"; then
		pass "some route needs the '$s' scope"
	else
		fail "some route needs the '$s' scope"
	fi
done

start_server main --rate-limit 0

# ask METHOD PATH [KEY]: one request; sets $code to the status and $code_err to the error code.
ask() {
	set -- "$1" "$(printf '%s' "$2" | sed -e 's/{id}/c_aaaaaaaaaaaaaaaaaaaaaaaa/' \
		-e 's/{name}/no-such-key/' -e 's/{token}/x/')" "${3:-}"
	case $1 in
	HEAD) opts="--head" ;;
	POST | PATCH) opts="-X $1 -H Content-Type:application/json --data-binary {}" ;;
	*) opts="-X $1" ;;
	esac
	# shellcheck disable=SC2086 # opts is several arguments on purpose
	if [ -n "$3" ]; then
		code=$(curl -s -o "$d/body" -w '%{http_code}' $opts -H "Authorization: Bearer $3" "$url$2")
	else
		code=$(curl -s -o "$d/body" -w '%{http_code}' $opts "$url$2")
	fi
	code_err=$(sed -n 's/.*"code":"\([a-z_]*\)".*/\1/p' "$d/body")
}

bad_key=$(printf '%s' "$KEY_admin" | sed 's/.$/0/')
[ "$bad_key" = "$KEY_admin" ] && bad_key=$(printf '%s' "$KEY_admin" | sed 's/.$/1/')

# Every operation that the route table or the spec says needs a scope; the scope it must
# need is the spec's (the documented one), and the route table must say the same.
grep -v ' none$' "$d/spec" | cat - "$d/routes" | cut -d' ' -f1,2 | sort -u >"$d/ops"
while read -r method path; do
	scope=$(awk -v m="$method" -v p="$path" '$1 == m && $2 == p { print $3 }' "$d/routes")
	want=$(awk -v m="$method" -v p="$path" '$1 == m && $2 == p { print $3 }' "$d/spec")
	if [ "$want" = "$scope" ]; then
		pass "$method $path: the route table needs the spec's scope ($want)"
	else
		fail "$method $path: the route table needs the spec's scope" \
			"route table: '$scope', docs/openapi.yaml: '$want'"
	fi
	case $want in read | write | dsr | admin | metrics) ;; *) continue ;; esac
	methods=$method
	[ "$method" = GET ] && methods="GET HEAD"
	for m in $methods; do
		ask "$m" "$path"
		if [ "$code" = 401 ]; then
			pass "$m $path without a key: 401"
		else
			fail "$m $path without a key: 401" "got $code $code_err"
		fi
		ask "$m" "$path" "$bad_key"
		if [ "$code" = 401 ]; then
			pass "$m $path with a wrong key: 401"
		else
			fail "$m $path with a wrong key: 401" "got $code $code_err"
		fi
		for s in $scopes; do
			eval "key=\$KEY_$s"
			ask "$m" "$path" "$key"
			if [ "$s" = "$want" ]; then
				if [ "$code" != 401 ] && [ "$code" != 403 ] && [ "$code" != 000 ]; then
					pass "$m $path with a '$s' key: let through ($code)"
				else
					fail "$m $path with a '$s' key: let through" "got $code $code_err"
				fi
			elif [ "$code" = 403 ] && { [ "$m" = HEAD ] || [ "$code_err" = forbidden ]; }; then
				pass "$m $path with a '$s' key: 403 forbidden (needs '$want')"
			else
				fail "$m $path with a '$s' key: 403 forbidden (needs '$want')" "got $code $code_err"
			fi
		done
	done
done <"$d/ops"

stop main "$pid"
echo "1..$ncases"
[ "$failed" -eq 0 ]
