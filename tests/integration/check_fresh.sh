#!/bin/sh
# check_fresh.sh: GET /v1/check never answers from before a commit. The server keeps recent
# gate answers hot (store/sqlite.c, "the hot gate cache"), valid only until anything commits;
# here other processes (the CLI) withdraw, suppress, erase and give again while the server
# answers a stream of checks, and the very next check after each command must say so.
# Usage: sh tests/integration/check_fresh.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/check_fresh.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
require "no samtycke binary at $bin" test -x "$bin"
require "curl is not installed" command -v curl

scratch fresh
sk() { "$bin" --db "$db" "$@"; }

setup sk init
setup sk policy apply "$root/examples/policy.yaml"
newkey KEY reader read
n=12
i=0
while [ $i -lt $n ]; do
	setup sk consent give "user$i@example.com" newsletter --method api --source test
	i=$((i + 1))
done

"$bin" --db "$db" serve --listen 127.0.0.1:0 --threads 2 --rate-limit 0 >"$d/serve.out" \
	2>"$d/serve.log" &
pid=$!
pids="$pids $pid"
url=""
i=0
while [ $i -lt 100 ] && [ -z "$url" ]; do
	url=$(sed -n 's|^listening on \(http://127\.0\.0\.1:[0-9][0-9]*\)$|\1|p' "$d/serve.out")
	alive "$pid" || break
	[ -n "$url" ] || sleep 0.1
	i=$((i + 1))
done
if [ -z "$url" ]; then
	echo "not ok - the server printed 'listening on' within 10 s"
	sed 's/^/#   /' "$d/serve.log" | head -20
	exit 1
fi

q() { printf '%s/v1/check?email=user%s%%40example.com&purpose=newsletter' "$url" "$1"; }
# check N: the body of one check of userN@example.com
check() { curl -sS -H "Authorization: Bearer $KEY" "$(q "$1")"; }
# warm N: the same check 5 times on one connection (the first reads the database, the rest
# may come from the cache); every answer must be the first's
warm() {
	u=$(q "$1")
	curl -sS -H "Authorization: Bearer $KEY" -w '\n' "$u" "$u" "$u" "$u" "$u" | sort -u
}

# A stream of checks of every address, on several connections, for as long as the test runs.
load() {
	while [ ! -e "$d/stop" ]; do
		set --
		i=0
		while [ $i -lt $n ]; do
			set -- "$@" "$(q $i)"
			i=$((i + 1))
		done
		curl -s -o /dev/null -H "Authorization: Bearer $KEY" "$@" "$@"
	done
}
load >/dev/null 2>&1 &
pids="$pids $!"
load >/dev/null 2>&1 &
pids="$pids $!"

has() { case $2 in *"$1"*) return 0 ;; esac; return 1; }

# each round: a warm, allowed check; a command from another process; the very next check
r=0
while [ $r -lt $n ]; do
	w=$(warm $r)
	if has '"allowed":true' "$w" && [ "$(printf '%s\n' "$w" | wc -l)" -eq 1 ]; then
		pass "round $r: user$r is allowed, the same answer 5 times over"
	else
		fail "round $r: user$r is allowed, the same answer 5 times over" "$w"
	fi
	case $((r % 4)) in
	0) what="consent withdraw"; sk consent withdraw "user$r@example.com" newsletter \
		--method api --source test >/dev/null 2>"$d/cli.err"; st=$?; want='"reason":"withdrawn"' ;;
	1) what="suppress"; sk suppress "user$r@example.com" --reason complained >/dev/null \
		2>"$d/cli.err"; st=$?; want='"reason":"suppressed"' ;;
	2) what="forget"; sk forget "user$r@example.com" >/dev/null 2>"$d/cli.err"; st=$?
		want='"reason":"erased"' ;;
	3) what="consent refuse"; sk consent refuse "user$r@example.com" newsletter \
		--method api --source test >/dev/null 2>"$d/cli.err"; st=$?; want='"reason":"refused"' ;;
	esac
	a=$(check $r)
	if [ "$st" -eq 0 ] && has '"allowed":false' "$a" && has "$want" "$a"; then
		pass "round $r: the first check after 'samtycke $what' (another process) says so"
	else
		fail "round $r: the first check after 'samtycke $what' (another process) says so" \
			"exit $st: $(head -3 "$d/cli.err")" "answer: $a"
	fi
	r=$((r + 1))
done

# And back: a withdrawn address that gives again is allowed by the very next check.
w=$(warm 0)
sk consent give user0@example.com newsletter --method api --source test >/dev/null 2>&1
a=$(check 0)
if has '"reason":"withdrawn"' "$w" && has '"allowed":true' "$a"; then
	pass "a cached denial ends with the next give: the first check after it is allowed"
else
	fail "a cached denial ends with the next give: the first check after it is allowed" \
		"before: $w" "after: $a"
fi

touch "$d/stop"
wait_i=0
while [ $wait_i -lt 50 ] && [ -n "$(jobs -p 2>/dev/null | grep -v "^$pid\$")" ]; do
	sleep 0.1
	wait_i=$((wait_i + 1))
done
checks=$(grep -c ' GET /v1/check ' "$d/serve.log")
bad=$(grep ' GET /v1/check ' "$d/serve.log" | grep -vc ' GET /v1/check 200 ')
if [ "$checks" -gt 100 ] && [ "$bad" -eq 0 ]; then
	pass "every one of the $checks checks was answered 200"
else
	fail "every one of the checks was answered 200 ($checks, $bad not)" \
		"$(grep ' GET /v1/check ' "$d/serve.log" | grep -v ' 200 ' | head -5)"
fi
stop serve "$pid"
plan
[ "$failed" -eq 0 ]
