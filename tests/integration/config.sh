#!/bin/sh
# config.sh: serve's configuration file (docs/operations.md, "Configuration"): values from the
# file used (listen, rate-limit seen in behaviour); a flag beats the environment beats the
# file; each error named by file and line, exit 2, nothing started; smtp-password-file (mode
# refused, its password reaching the mail server's AUTH); SIGHUP: a changed rate-limit
# applies, a changed listen needs a restart, a broken file keeps the old values; the example
# file names every option serve takes. Every command takes db, key-file and erasure-log from
# the same file (global --config, $SAMTYCKE_CONFIG), flag and environment first; a broken file
# stops any command; serve refuses an erasure log it cannot append to; SIGHUP shows a URL's
# password as ***.
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/config.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
require "no samtycke binary at $bin" test -x "$bin"
require "$py has no aiosmtpd (apt-get install python3-aiosmtpd)" "$py" -c 'import aiosmtpd'
require "curl is not installed" command -v curl
require "jq is not installed" command -v jq

scratch config
unset SAMTYCKE_LISTEN SAMTYCKE_RATE_LIMIT SAMTYCKE_THREADS
setup "$bin" --db "$db" init
setup "$bin" --db "$db" policy apply "$root/examples/policy.yaml"
newkey KEY reader read

check() { # check NAME TEST...
	name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name" "$(tail -5 "$d/last.err" 2>/dev/null)"; fi
}

# refused NAME WANT ARGS...: serve with ARGS exits 2 before listening, and stderr holds WANT.
refused() {
	name=$1
	want=$2
	shift 2
	"$bin" --db "$db" serve --listen 127.0.0.1:0 "$@" >"$d/last.out" 2>"$d/last.err" </dev/null
	st=$?
	if [ "$st" -eq 2 ] && grep -qF -- "$want" "$d/last.err" && ! grep -q listening "$d/last.out"; then
		pass "$name"
	else
		fail "$name (wanted exit 2 and '$want')" "status $st" "$(cat "$d/last.err")"
	fi
}

# ---- errors: file and line, exit 2 ----
c=$d/bad.conf
printf '# comment\nlisten = 127.0.0.1:0\nlisen = 127.0.0.1:1\n' >"$c"
refused "an unknown key is named with file and line" "$c:3: unknown key \"lisen\"" --config "$c"
printf '\nthreads = 65\n' >"$c"
refused "a bad value: file, line and the flag's rule" "$c:2: threads: must be a whole number from 1 to 64" --config "$c"
printf 'listen = localhost\n' >"$c"
refused "a bad listen: file and line" "$c:1: listen: takes HOST:PORT, such as 127.0.0.1:8080" --config "$c"
printf 'rate-limit = fast\n' >"$c"
refused "a bad number" "$c:1: rate-limit: must be a number from 0 to 1000000000" --config "$c"
printf 'log-format = xml\n' >"$c"
refused "a bad choice" "$c:1: log-format: must be one of text|json" --config "$c"
printf 'purge-daily = yes\n' >"$c"
refused "a flag takes true or false" "$c:1: purge-daily: must be true or false" --config "$c"
printf 'threads = 2\nlisten 127.0.0.1:0\n' >"$c"
refused "a line without =" "$c:2: no \"=\"" --config "$c"
printf 'listen = 127.0.0.1:0\ntimeout = 5\nlisten = 127.0.0.1:0\n' >"$c"
refused "a key given twice" "$c:3: listen given twice (first on line 1)" --config "$c"
printf 'public-url = "https://consent.example.com\n' >"$c"
refused "an unclosed quote" "$c:1: unclosed quote" --config "$c"
printf 'smtp-password = hunter2\n' >"$c"
refused "a password in the file is refused, pointing at smtp-password-file" "$c:1: smtp-password: the configuration file holds no secret; name a file readable by its owner only with smtp-password-file" --config "$c"
check "the refused password is not printed" sh -c "! grep -q hunter2 '$d/last.err'"
refused "a missing --config file" "cannot read the configuration file $d/none.conf" --config "$d/none.conf"
SAMTYCKE_CONFIG=$d/none.conf refused "a missing \$SAMTYCKE_CONFIG file" "cannot read the configuration file $d/none.conf"
SAMTYCKE_THREADS=0 refused "a bad value from the environment names the variable" "SAMTYCKE_THREADS: must be a whole number from 1 to 64"
refused "a bad flag value says the rule" "--threads: must be a whole number from 1 to 64" --threads 2.5
refused "smtp-url needs mail-from" "smtp-url needs mail-from" --smtp-url smtp://127.0.0.1:1
refused "a malformed mail-from is refused at start" "mail-from:" --smtp-url smtp://127.0.0.1:1 \
	--mail-from 'no address'
printf 'threads = 0\n' >"$c"
"$bin" --json --db "$db" serve --config "$c" >"$d/last.out" 2>"$d/last.err"
st=$?
if [ "$st" -eq 2 ] && jq -e ".error.code == \"usage\" and .error.message == \"$c:1: threads: must be a whole number from 1 to 64\"" "$d/last.err" >/dev/null; then
	pass "with --json, a file's error is one JSON object on stderr"
else
	fail "with --json, a file's error is one JSON object on stderr" "status $st" "$(cat "$d/last.err")"
fi
# repeatable keys may repeat; the file's values are checked as the flag's
printf 'trusted-proxy = 10.0.0.0/8\ntrusted-proxy = nonsense\n' >"$c"
refused "a repeatable key repeats; each value checked" "$c:2: trusted-proxy: 'nonsense' is not an IPv4 or IPv6 address" --config "$c"

# ---- values from the file, and the order: flag > environment > file ----
ports=$("$py" -c 'import socket
ss=[socket.socket() for _ in range(5)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))
for s in ss: s.close()')
# shellcheck disable=SC2086 # five words on purpose
set -- $ports
p_file=$1 p_env=$2 p_flag=$3 p_new=$4 smtp_port=$5

# serve_bg NAME ARGS...: serve in the background (no --listen of its own); waits for its
# "listening on" line; sets pid and url.
serve_bg() {
	name=$1
	shift
	: >"$d/$name.out"
	"$bin" --db "$db" serve "$@" >"$d/$name.out" 2>"$d/$name.log" &
	pid=$!
	pids="$pids $pid"
	i=0
	url=""
	while [ $i -lt 100 ]; do
		url=$(sed -n 's|^listening on \(http://127\.0\.0\.1:[0-9][0-9]*\)$|\1|p' "$d/$name.out")
		[ -n "$url" ] && return 0
		alive "$pid" || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "not ok - server $name ($*) printed 'listening on' within 10 s"
	sed 's/^/#   err: /' "$d/$name.log" | head -20
	exit 1
}

# limited URL: how many of 12 quick requests with the key were answered 429.
limited() {
	k=0
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do
		code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "$1/v1/purposes")
		[ "$code" = 429 ] && k=$((k + 1))
	done
	echo "$k"
}

# wait_log NAME TEXT: the server's log holds TEXT within 10 s.
wait_log() {
	i=0
	while ! grep -qF -- "$2" "$d/$1.log"; do
		i=$((i + 1))
		[ $i -ge 100 ] && return 1
		sleep 0.1
	done
}

f1=$d/one.conf
cat >"$f1" <<CONF
# the server of the SIGHUP cases
listen = 127.0.0.1:$p_file
rate-limit = 1   # a second per key, bursts of 2
log-format = "text"
CONF
serve_bg file --config "$f1"
file_pid=$pid
check "listen from the file: it listens there" test "$url" = "http://127.0.0.1:$p_file"
n429=$(limited "$url")
check "rate-limit = 1 from the file: quick requests are answered 429 ($n429 of 12)" test "$n429" -ge 3

f2=$d/two.conf
printf 'listen = 127.0.0.1:%s\nrate-limit = 1\n' "$p_file" >"$f2"
SAMTYCKE_LISTEN=127.0.0.1:$p_env SAMTYCKE_RATE_LIMIT=0 serve_bg env --config "$f2"
env_pid=$pid
check "the environment beats the file (SAMTYCKE_LISTEN)" test "$url" = "http://127.0.0.1:$p_env"
n429=$(limited "$url")
check "the environment beats the file (SAMTYCKE_RATE_LIMIT=0: no 429, $n429 seen)" test "$n429" -eq 0
stop env "$env_pid"

SAMTYCKE_CONFIG=$f2 SAMTYCKE_LISTEN=127.0.0.1:$p_env SAMTYCKE_RATE_LIMIT=0 \
	serve_bg flag --listen "127.0.0.1:$p_flag" --rate-limit 1
flag_pid=$pid
check "a flag beats the environment (--listen)" test "$url" = "http://127.0.0.1:$p_flag"
n429=$(limited "$url")
check "a flag beats the environment (--rate-limit 1: $n429 of 12 answered 429)" test "$n429" -ge 3

# ---- SIGHUP ----
sed -i 's/^rate-limit = 1 .*/rate-limit = 0/' "$f1"
kill -HUP "$file_pid"
check "SIGHUP says what was reloaded" wait_log file "configuration reloaded from $f1: rate-limit=0"
n429=$(limited "http://127.0.0.1:$p_file")
check "SIGHUP: rate-limit = 0 applies at once (no 429, $n429 seen)" test "$n429" -eq 0

sed -i "s/^listen = .*/listen = 127.0.0.1:$p_new/" "$f1"
kill -HUP "$file_pid"
check "SIGHUP: a changed listen needs a restart" wait_log file "samtycke: listen changed in $f1: needs a restart (still 127.0.0.1:$p_file)"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "http://127.0.0.1:$p_file/v1/purposes")
check "SIGHUP: the server still listens where it did ($code)" test "$code" = 200

printf 'rate-limit = 1\nthreads = 0\n' >"$f1"
kill -HUP "$file_pid"
check "SIGHUP: a broken file is named with its line, and kept out" wait_log file "$f1:2: threads: must be a whole number from 1 to 64; the configuration in effect is kept"
n429=$(limited "http://127.0.0.1:$p_file")
check "SIGHUP: a broken file keeps the old values (rate-limit still 0: $n429 seen)" test "$n429" -eq 0
check "SIGHUP: a broken file keeps the server running" alive "$file_pid"

printf 'listen = 127.0.0.1:%s\nrate-limit = 1\ncampaign-rate = 5\nwebhook-backoff = 7\n' "$p_file" >"$f1"
kill -HUP "$file_pid"
check "SIGHUP: the fixed file applies" wait_log file "configuration reloaded from $f1: rate-limit=1, webhook-backoff=7, campaign-rate=5"
n429=$(limited "http://127.0.0.1:$p_file")
check "SIGHUP: rate-limit = 1 again: 429s again ($n429 of 12)" test "$n429" -ge 3
stop file "$file_pid"

# flags still win over a reloaded file
printf 'listen = 127.0.0.1:%s\nrate-limit = 0\n' "$p_file" >"$f2"
kill -HUP "$flag_pid"
check "SIGHUP on a server given --rate-limit: the reload is logged" wait_log flag "configuration reloaded from $f2"
n429=$(limited "http://127.0.0.1:$p_flag")
check "SIGHUP: the flag still beats the reloaded file (--rate-limit 1: $n429 of 12 answered 429)" test "$n429" -ge 3
stop flag "$flag_pid"

# ---- smtp-password-file ----
pw=$d/smtp-password
printf 'c0rrect-h0rse\nnot this line\n' >"$pw"
chmod 644 "$pw"
fm=$d/mail.conf
cat >"$fm" <<CONF
smtp-url = smtp://127.0.0.1:$smtp_port
mail-from = noreply@example.com
smtp-user = samtycke
smtp-tls = try
smtp-password-file = $pw
form-rate-limit = 0
CONF
refused "a password file readable by others is refused" "smtp-password-file $pw must be readable by its owner only (chmod 600)" --config "$fm"
check "the refused password is not printed" sh -c "! grep -q c0rrect '$d/last.err'"
refused "--smtp-password-file: a missing file is refused" "cannot open smtp-password-file $d/nope" --config "$fm" --smtp-password-file "$d/nope"
chmod 600 "$pw"
"$py" "$root/tests/integration/smtp_auth.py" "$smtp_port" "$d/auth.log" >"$d/smtp.out" 2>"$d/smtp.err" &
smtp_pid=$!
pids="$pids $smtp_pid"
i=0
while ! grep -q ready "$d/smtp.out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
SAMTYCKE_SMTP_PASSWORD=not-this-one serve_bg mail --listen 127.0.0.1:0 --config "$fm" \
	--smtp-password-file "$pw"
mail_pid=$pid
code=$(curl -s -o /dev/null -w '%{http_code}' -d 'email=config@example.com&consent=newsletter' \
	"$url/f/newsletter")
i=0
while ! grep -q '^mail' "$d/auth.log" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "the password file's first line reaches the SMTP server's AUTH (form post $code)" \
	grep -qx 'auth PLAIN samtycke c0rrect-h0rse' "$d/auth.log"
check "the mail was sent after the login" grep -qx mail "$d/auth.log"
check "the password is never printed" sh -c "! grep -q c0rrect '$d/mail.log' '$d/mail.out'"
stop mail "$mail_pid"

# ---- the example names every option serve takes; so does docs/operations.md ----
"$bin" serve --help >"$d/help.txt"
keys=$(head -1 "$d/help.txt" | grep -o '\[--[a-z-]*' | sed 's/^\[--//' | grep -vx config)
missing=""
for k in $keys db key-file; do
	grep -q "^#$k = " "$root/examples/samtycke.conf" || missing="$missing $k"
done
check "examples/samtycke.conf names every option of serve (missing:${missing:- none})" test -z "$missing"
check "serve's usage lists the options (at least 30 keys)" test "$(echo "$keys" | wc -w)" -ge 29
missing=""
for k in $keys db key-file; do
	env=SAMTYCKE_$(echo "$k" | tr 'a-z-' 'A-Z_')
	grep -qF "\`$k\`" "$root/docs/operations.md" && grep -qF "$env" "$root/docs/operations.md" ||
		missing="$missing $k"
done
check "docs/operations.md names every key and its variable (missing:${missing:- none})" test -z "$missing"
# the example is a valid file: every commented line uncommented (but the mail's) parses
sed -n 's/^#\([a-z-]* = .*\)/\1/p' "$root/examples/samtycke.conf" |
	grep -v -e '^smtp' -e '^mail-from' -e '^db ' -e '^key-file' -e '^erasure-log' -e '^import-dir' -e '^webhook-proxy' \
		-e '^metrics-listen' -e '^listen' >"$d/example.conf"
serve_bg example --listen 127.0.0.1:0 --config "$d/example.conf"
check "a server starts with the example's values" alive "$pid"
check "... and says nothing about the file" sh -c "! grep -q example.conf '$d/example.log'"
stop example "$pid"

# ---- SIGHUP never prints a URL's password (M2) ----
fp=$d/proxy.conf
printf 'listen = 127.0.0.1:0\nwebhook-proxy = http://user:S3cret@127.0.0.1:3128\n' >"$fp"
serve_bg proxy --config "$fp"
printf 'listen = 127.0.0.1:0\nwebhook-proxy = http://user:N3wSecret@127.0.0.1:3129\n' >"$fp"
kill -HUP "$pid"
check "SIGHUP: a changed webhook-proxy needs a restart, its password shown as ***" \
	wait_log proxy "webhook-proxy changed in $fp: needs a restart (still http://user:***@127.0.0.1:3128)"
stop proxy "$pid"
check "SIGHUP: neither password is printed" sh -c "! grep -q -e S3cret -e N3wSecret '$d/proxy.log' '$d/proxy.out'"

# ---- every command takes db, key-file and erasure-log from the same file (H2) ----
# run NAME STATUS TEXT CMD...: CMD exits STATUS and its output (stdout, stderr) holds TEXT.
run() {
	name=$1 want=$2 text=$3
	shift 3
	"$@" >"$d/last.out" 2>"$d/last.err"
	st=$?
	if [ "$st" -eq "$want" ] && cat "$d/last.out" "$d/last.err" | grep -qF -- "$text"; then
		pass "$name"
	else
		fail "$name (wanted exit $want and '$text')" "status $st" "$(cat "$d/last.out" "$d/last.err" | head -5)"
	fi
}
mkdir "$d/logs"
g=$d/global.conf
printf 'db = %s\nerasure-log = %s\nlisten = 127.0.0.1:0\nrate-limit = 0\n' "$db" "$d/logs/shop.erasures" >"$g"
setup "$bin" --db "$db" consent give global@example.com newsletter --method api --source t
run "forget with --config: the file's db, serve-only keys ignored" 0 "erased contact" \
	env -u SAMTYCKE_DB "$bin" --config "$g" forget global@example.com
check "forget with --config wrote the file's erasure-log, not DATABASE.erasures" \
	grep -q " erase c_" "$d/logs/shop.erasures"
check "... and nothing in DATABASE.erasures" sh -c "! grep -qs ' erase ' '$db.erasures'"
SAMTYCKE_CONFIG=$g run "\$SAMTYCKE_CONFIG is read by every command (check)" 1 "denied erased" \
	env -u SAMTYCKE_DB "$bin" check global@example.com newsletter
run "--db beats the file's db" 1 "$d/other.db does not exist" \
	"$bin" --config "$g" --db "$d/other.db" check global@example.com newsletter
SAMTYCKE_DB=$d/env.db run "\$SAMTYCKE_DB beats the file's db" 1 "$d/env.db does not exist" \
	"$bin" --config "$g" check global@example.com newsletter
printf 'db = %s\nthreads = 0\n' "$db" >"$d/broken.conf"
run "a broken file stops any command with file:line (exit 2)" 2 \
	"$d/broken.conf:2: threads: must be a whole number from 1 to 64" \
	"$bin" --config "$d/broken.conf" check global@example.com newsletter
printf 'db = %s\n' "$db" >"$d/open.conf"
chmod 664 "$d/open.conf"
run "a configuration file group may write is refused, named (exit 2)" 2 \
	"$d/open.conf: the configuration file may be written by group or others" \
	"$bin" --config "$d/open.conf" audit verify
SAMTYCKE_CONFIG=$d/none.conf run "a missing \$SAMTYCKE_CONFIG stops any command" 2 \
	"cannot read the configuration file $d/none.conf" "$bin" --db "$db" audit verify
# serve: the global --config before the command; the log it cannot append to refuses the start
"$bin" --config "$g" serve >"$d/gl.out" 2>"$d/gl.err" &
gpid=$!
pids="$pids $gpid"
i=0
while ! grep -q "listening on" "$d/gl.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "serve takes the global --config before the command" grep -q "listening on" "$d/gl.out"
stop gl "$gpid"
run "serve refuses to start on an erasure log it cannot append to (exit 3), naming it" 3 \
	"cannot append to the erasure log $d/nodir/x.erasures" \
	timeout 20 "$bin" --db "$db" --erasure-log "$d/nodir/x.erasures" serve --listen 127.0.0.1:0
check "... before it listens" sh -c "! grep -q listening '$d/last.out'"

plan
[ "$failed" -eq 0 ]
