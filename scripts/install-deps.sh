#!/bin/sh
# Installs the Debian packages samtycke needs to build (no option), test (--test) or
# benchmark (--bench: wrk, nginx, PostgreSQL 15), only those missing; with --test also the
# npm test tools and Debian's chromium for the browser tests (playwright-core drives it; no
# browser is ever downloaded from anywhere else).
# Idempotent: prints nothing and changes nothing when everything is present.
set -eu

pkgs="gcc make pkg-config meson ninja-build sqlite3 python3
libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev libsodium-dev
libcurl4-openssl-dev libcsv-dev libyaml-dev libcmocka-dev libidn2-dev libunistring-dev"

case "${1:-}" in
--test) pkgs="$pkgs python3-aiosmtpd python3-prometheus-client jq nginx-light openssl postgresql-15 chromium groff-base man-db systemd" ;;
--bench) pkgs="$pkgs wrk nginx-light time postgresql-15" ;;
--fuzz) pkgs="$pkgs clang libclang-rt-14-dev" ;;
esac

# Test tools from npm (redocly, ajv, playwright-core, axe-core), pinned by package-lock.json;
# never apt's npm. PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: playwright-core has no install step
# today; should one come, it must not fetch a browser.
npm_tools() {
	cd "$(dirname "$0")/.."
	if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
		echo "installing npm test tools" >&2
		PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null
	fi
}

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	[ "${1:-}" = "--test" ] && npm_tools
	exit 0
fi

echo "installing:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ "${1:-}" = "--test" ] && npm_tools
exit 0
