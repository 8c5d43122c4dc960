#!/bin/sh
# install.sh: what `make install` puts where (docs/operations.md, "Installing"): the build the
# binary belongs to installed with `meson install --destdir` into a scratch root, then the
# layout checked file by file (and nothing else), the installed binary run, the man page
# rendered without a warning and naming every command, the bash completion asked, the
# systemd unit verified, the man page's generator refusing a docs/cli.md that drifted, and
# `make install DESTDIR=... PREFIX=/usr` itself run, its staged tree checked.
# Usage: sh tests/integration/install.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/install.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
if [ -n "${SK_TEST_PG:-}" ]; then
	echo "1..0 # SKIP no store involved: the installed layout is checked in the SQLite pass"
	exit 0
fi

require "no samtycke binary at $bin" test -x "$bin"
require "jq is not installed (scripts/install-deps.sh --test)" command -v jq
require "groff is not installed (groff-base: scripts/install-deps.sh --test)" command -v groff
require "bash is not installed" command -v bash
scratch install
build=$(dirname "$bin")
dest=$d/root

# opt NAME: one of the build's meson options (prefix, bindir, mandir, datadir).
opt() { meson introspect --buildoptions "$build" | jq -r --arg n "$1" '.[] | select(.name == $n) | .value'; }
prefix=$(opt prefix)
bindir=$prefix/$(opt bindir)
mandir=$prefix/$(opt mandir)
datadir=$prefix/$(opt datadir)
version=$(meson introspect --projectinfo "$build" | jq -r .version)

if meson install -C "$build" --no-rebuild --destdir "$dest" >"$d/install.log" 2>&1; then
	pass "meson install --destdir installs the build of $bin"
else
	fail "meson install --destdir installs the build of $bin" "$(tail -5 "$d/install.log")"
	plan
	exit 1
fi

# Every file installed, and nothing else (a file in a wrong folder, or one too many, fails).
want="$bindir/samtycke
$mandir/man1/samtycke.1
$datadir/bash-completion/completions/samtycke
$prefix/lib/systemd/system/samtycke.service
$prefix/lib/sysusers.d/samtycke.conf
$datadir/doc/samtycke/examples/policy.yaml
$datadir/doc/samtycke/examples/samtycke.conf"
got=$(cd "$dest" && find . ! -type d | sed 's/^\.//' | sort)
if [ "$got" = "$(printf '%s\n' "$want" | sort)" ]; then
	pass "the installed files are exactly the binary, the man page, the completion, the unit, the sysusers file and the example policy"
else
	fail "the installed files are exactly the binary, the man page, the completion, the unit, the sysusers file and the example policy" \
		"$(printf '%s\n' "$want" | sort | diff - "$(printf '%s\n' "$got" >"$d/got"; echo "$d/got")")"
fi

ibin=$dest$bindir/samtycke
if [ -x "$ibin" ] && "$ibin" --version >"$d/version" 2>&1 && [ "$(head -1 "$d/version")" = "samtycke $version" ]; then
	pass "the installed binary is executable and says 'samtycke $version'"
else
	fail "the installed binary is executable and says 'samtycke $version'" "$(cat "$d/version" 2>/dev/null)"
fi

# The man page: renders without a warning, has every section, names every command of --help.
man1=$dest$mandir/man1/samtycke.1
warn=$(groff -man -ww -z "$man1" 2>&1)
groff_st=$?
if [ -f "$man1" ] && [ "$groff_st" -eq 0 ] && [ -z "$warn" ]; then
	pass "samtycke.1 renders without a warning (groff -man -ww)"
else
	fail "samtycke.1 renders without a warning (groff -man -ww)" "$warn"
fi
missing=""
for s in NAME SYNOPSIS DESCRIPTION "GLOBAL OPTIONS" COMMANDS ENVIRONMENT FILES "EXIT STATUS" "SEE ALSO"; do
	grep -qx ".SH \"*$s\"*" "$man1" 2>/dev/null || missing="$missing $s"
done
if [ -z "$missing" ]; then pass "samtycke.1 has every section"; else fail "samtycke.1 has every section" "missing:$missing"; fi
"$ibin" --help | sed -n '/^commands:/,/^$/p' | sed -n 's/^  \(.\{17\}\).*/\1/p' | sed 's/ *$//' >"$d/commands"
missing=""
while IFS= read -r c; do
	pat=$(printf '\\fBsamtycke %s\\fR' "$(printf '%s' "$c" | sed 's/-/\\-/g')")
	grep -qF -- "$pat" "$man1" 2>/dev/null || missing="$missing '$c'"
done <"$d/commands"
if [ "$(wc -l <"$d/commands")" -gt 40 ] && [ -z "$missing" ]; then
	pass "samtycke.1 has an entry for every command of samtycke --help ($(wc -l <"$d/commands"))"
else
	fail "samtycke.1 has an entry for every command of samtycke --help" "missing:$missing"
fi
for f in /etc/samtycke/samtycke.conf /var/lib/samtycke/samtycke.db.key SAMTYCKE_KEY_FILE; do
	if grep -qF -- "$(printf '%s' "$f" | sed 's/-/\\-/g')" "$man1"; then pass "samtycke.1 names $f"; else fail "samtycke.1 names $f"; fi
done

# The drift check: a command without a row in docs/cli.md, or a row naming no command,
# stops the generator (and so the build) naming it.
# refused NAME MD WANT: the generator, given the docs/cli.md MD, fails naming WANT.
refused() {
	if ! /usr/bin/python3 "$root/scripts/gen-manpage.py" man "$bin" "$2" "$d/x.1" 2>"$d/gen.err" &&
		grep -qF -- "$3" "$d/gen.err"; then
		pass "$1"
	else
		fail "$1" "$(cat "$d/gen.err")"
	fi
}
sed '/^| `utm URL/d' "$root/docs/cli.md" >"$d/cli-norow.md"
refused "the generator refuses a docs/cli.md without a command's row, naming it" "$d/cli-norow.md" "no row for 'utm'"
sed 's/^| `check EMAIL/| `consent frobnicate EMAIL` | no such command |\n&/' "$root/docs/cli.md" >"$d/cli-extra.md"
refused "the generator refuses a docs/cli.md row that names no command" "$d/cli-extra.md" "'consent frobnicate', which is no command"

# The bash completion, sourced in bash and asked as bash asks it.
comp=$dest$datadir/bash-completion/completions/samtycke
# complete WORDS...: COMPREPLY for the command line WORDS, the last word being completed.
complete_words() {
	bash -c '. "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _samtycke; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
		"$comp" "$@" 2>&1
}
check_completion() { # NAME WANT WORDS...
	name=$1
	want=$2
	shift 2
	got=$(complete_words "$@")
	if [ "$got" = "$want" ]; then pass "completion: $name"; else fail "completion: $name" "wanted '$want'" "got '$got'"; fi
}
check_completion "the first word" "consent contact " samtycke con
check_completion "the first word after a global option and its value" "policy " samtycke --db x.db pol
check_completion "a group's second word" "give " samtycke consent gi
check_completion "a group's commands" "apply show " samtycke policy ""
check_completion "an option of serve" "--max-client-connections --max-connections " samtycke serve --threads 2 --max-c
check_completion "an option of a group's command" "--dry-run " samtycke policy apply p.yaml --dr
check_completion "the global options" "--db " samtycke --d

# The unit and its sysusers file.
unit=$dest$prefix/lib/systemd/system/samtycke.service
if grep -qx "ExecStart=$bindir/samtycke serve --config /etc/samtycke/samtycke.conf" "$unit" 2>/dev/null; then
	pass "the unit starts $bindir/samtycke serve with /etc/samtycke/samtycke.conf"
else
	fail "the unit starts $bindir/samtycke serve with /etc/samtycke/samtycke.conf" "$(grep ExecStart "$unit" 2>&1)"
fi
missing=""
for line in User=samtycke StateDirectory=samtycke ConfigurationDirectory=samtycke ProtectSystem=strict \
	NoNewPrivileges=yes MemoryDenyWriteExecute=yes SystemCallFilter=@system-service CapabilityBoundingSet= \
	UMask=0077 PrivateMounts=yes ProcSubset=pid "ExecReload=/bin/kill -HUP \$MAINPID"; do
	grep -qxF -- "$line" "$unit" 2>/dev/null || missing="$missing '$line'"
done
if [ -z "$missing" ]; then pass "the unit has its user and hardening lines"; else fail "the unit has its user and hardening lines" "missing:$missing"; fi
if grep -q '^u samtycke ' "$dest$prefix/lib/sysusers.d/samtycke.conf" 2>/dev/null; then
	pass "sysusers.d/samtycke.conf makes the user samtycke"
else
	fail "sysusers.d/samtycke.conf makes the user samtycke"
fi
if cmp -s "$root/examples/policy.yaml" "$dest$datadir/doc/samtycke/examples/policy.yaml"; then
	pass "the example policy is installed as it is in examples/"
else
	fail "the example policy is installed as it is in examples/"
fi

# systemd-analyze verify reads the unit as systemd would; the binary is looked for at its
# installed path, so the copy checked names the staged one.
if command -v systemd-analyze >/dev/null 2>&1; then
	sed "s#^ExecStart=$bindir/#ExecStart=$dest$bindir/#" "$unit" >"$d/samtycke.service"
	if MANPATH=$dest$mandir systemd-analyze verify "$d/samtycke.service" >"$d/verify" 2>&1 && [ ! -s "$d/verify" ]; then
		pass "systemd-analyze verify: the unit is clean (no unknown key, no missing file, man page found)"
	else
		fail "systemd-analyze verify: the unit is clean (no unknown key, no missing file, man page found)" "$(cat "$d/verify")"
	fi
	# systemd's own rating of the hardening, 0 (best) to 10: 1.4 now; 2.0 at most
	if systemd-analyze security --offline=true --man=no --threshold=20 "$d/samtycke.service" >"$d/security" 2>&1; then
		pass "systemd-analyze security: exposure $(sed -n 's/.*exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$d/security") (2.0 at most)"
	else
		fail "systemd-analyze security: exposure 2.0 at most" "$(tail -1 "$d/security")"
	fi
else
	tap_n=$((tap_n + 2))
	echo "ok - systemd-analyze security # SKIP systemd-analyze is not installed (Debian's systemd: scripts/install-deps.sh --test)"
	echo "ok - systemd-analyze verify # SKIP systemd-analyze is not installed (Debian's systemd: scripts/install-deps.sh --test)"
fi

# The Makefile's own target, as a user runs it: make install with PREFIX and DESTDIR (it builds
# in a build folder of its own, here a scratch one, and installs the same files under /usr).
mk=$d/mk
if make -C "$root" install DESTDIR="$mk" PREFIX=/usr BUILD_INSTALL="$d/mk-build" >"$d/make.log" 2>&1; then
	mkgot=$(cd "$mk" && find . ! -type d | sed 's/^\.//' | sort)
	mkwant=$(printf '%s\n' /usr/bin/samtycke /usr/share/man/man1/samtycke.1 \
		/usr/share/bash-completion/completions/samtycke /usr/lib/systemd/system/samtycke.service \
		/usr/lib/sysusers.d/samtycke.conf /usr/share/doc/samtycke/examples/policy.yaml \
		/usr/share/doc/samtycke/examples/samtycke.conf | sort)
	if [ "$mkgot" = "$mkwant" ]; then
		pass "make install DESTDIR=... PREFIX=/usr stages exactly the seven files under DESTDIR/usr"
	else
		fail "make install DESTDIR=... PREFIX=/usr stages exactly the seven files under DESTDIR/usr" \
			"$(printf '%s\n' "$mkgot" | diff "$(printf '%s\n' "$mkwant" >"$d/mkwant"; echo "$d/mkwant")" - )"
	fi
	if grep -qx "ExecStart=/usr/bin/samtycke serve --config /etc/samtycke/samtycke.conf" \
		"$mk/usr/lib/systemd/system/samtycke.service"; then
		pass "make install PREFIX=/usr: the unit starts /usr/bin/samtycke"
	else
		fail "make install PREFIX=/usr: the unit starts /usr/bin/samtycke" \
			"$(grep ExecStart "$mk/usr/lib/systemd/system/samtycke.service" 2>&1)"
	fi
else
	fail "make install DESTDIR=... PREFIX=/usr runs" "$(tail -5 "$d/make.log")"
	fail "make install PREFIX=/usr: the unit starts /usr/bin/samtycke" "make install failed"
fi

plan
[ "$failed" -eq 0 ]
