#!/bin/sh
# version.sh: `samtycke --version` (docs/cli.md): the program's version as meson's project
# version, then each linked library with the version it runs with, held against what
# pkg-config (or dpkg, for the libraries without a .pc file) says is installed on this
# machine; --json gives the same values as one object. Needs no database.
# Usage: sh tests/integration/version.sh path/to/samtycke
set -u
. "$(dirname "$0")/server.inc"
bin=${1:?usage: sh tests/integration/version.sh path/to/samtycke}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

require "no samtycke binary at $bin" test -x "$bin"
require "jq is not installed (scripts/install-deps.sh --test)" command -v jq
require "pkg-config is not installed" command -v pkg-config
scratch version

if (cd "$d" && "$bin" --version) >"$d/text" 2>"$d/err" && [ ! -s "$d/err" ]; then
	pass "samtycke --version exits 0, nothing on stderr"
else
	fail "samtycke --version exits 0, nothing on stderr" "$(cat "$d/err")"
fi
project=$(meson introspect --projectinfo "$(dirname "$bin")" | jq -r .version)
if [ "$(head -1 "$d/text")" = "samtycke $project" ]; then
	pass "the first line is 'samtycke $project' (meson's project version)"
else
	fail "the first line is 'samtycke $project' (meson's project version)" "$(head -1 "$d/text")"
fi
if (cd "$d" && "$bin" --version --json) >"$d/json" 2>"$d/err" && jq -e . "$d/json" >/dev/null; then
	pass "samtycke --version --json prints one JSON object"
else
	fail "samtycke --version --json prints one JSON object" "$(cat "$d/json" "$d/err")"
fi

# upstream PACKAGE: the upstream part of an installed Debian package's version (3.0.3+dfsg-6: 3.0.3).
upstream() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null | sed 's/^[0-9]*://; s/[-+~].*//'; }
# check LIBRARY WANT: the text line and the JSON member both name WANT.
check() {
	line=$(grep "^$1 " "$d/text" | cut -d' ' -f2-)
	member=$(jq -r --arg l "$1" '.libraries[$l] // "absent"' "$d/json")
	if [ -n "$2" ] && [ "$line" = "$2" ] && [ "$member" = "$2" ]; then
		pass "$1 $2, as this machine has it"
	else
		fail "$1 $2, as this machine has it" "text: '$line'" "json: '$member'"
	fi
}
check libmicrohttpd "$(pkg-config --modversion libmicrohttpd)"
check jansson "$(pkg-config --modversion jansson)"
check sqlite3 "$(pkg-config --modversion sqlite3)"
check libsodium "$(pkg-config --modversion libsodium)"
check libyaml "$(pkg-config --modversion yaml-0.1)"
check libidn2 "$(pkg-config --modversion libidn2)"
check libpq "$(pkg-config --modversion libpq)"
check libcurl "$(pkg-config --modversion libcurl)"
check libcsv "$(upstream libcsv-dev)"
check libunistring "$(upstream libunistring-dev)"
if [ "$(jq -r '.samtycke' "$d/json")" = "$project" ] && [ "$(jq '.libraries | length' "$d/json")" -eq 10 ] &&
	[ "$(wc -l <"$d/text")" -eq 11 ]; then
	pass "the JSON names the version and the same 10 libraries as the text"
else
	fail "the JSON names the version and the same 10 libraries as the text" "$(cat "$d/json")"
fi

# A libcurl that cannot be loaded (a file of that name that is no library, found first through
# LD_LIBRARY_PATH) is "not loaded"; the other lines and the exit status stay as they are.
mkdir -p "$d/lib"
echo "not a library" >"$d/lib/libcurl.so.4"
if (cd "$d" && LD_LIBRARY_PATH="$d/lib" "$bin" --version) >"$d/nocurl" 2>&1 &&
	[ "$(grep '^libcurl ' "$d/nocurl")" = "libcurl not loaded" ] &&
	[ "$(grep -vc '^libcurl ' "$d/nocurl")" -eq 10 ]; then
	pass "a libcurl that cannot be loaded is 'libcurl not loaded', exit 0"
else
	fail "a libcurl that cannot be loaded is 'libcurl not loaded', exit 0" "$(cat "$d/nocurl")"
fi

plan
[ "$failed" -eq 0 ]
