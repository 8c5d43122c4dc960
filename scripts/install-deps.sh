#!/bin/sh
# Installs the Debian packages samtycke needs to build and test, only those missing.
# Idempotent: prints nothing and changes nothing when everything is present.
set -eu

pkgs="gcc make pkg-config meson ninja-build sqlite3
libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev libsodium-dev
libcurl4-openssl-dev libcsv-dev libyaml-dev libcmocka-dev libidn2-dev"

if [ "${1:-}" = "--test" ]; then
	pkgs="$pkgs clang libclang-rt-14-dev"
fi

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "installing:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
