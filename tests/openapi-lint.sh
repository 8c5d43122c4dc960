#!/bin/sh
# openapi-lint.sh: lints docs/openapi.yaml with Redocly CLI (the recommended rules, see
# redocly.yaml) and prints one TAP case. Needs the tools of package.json installed at the
# top of the checkout first: `npm ci --no-audit --no-fund`.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
name="redocly lint docs/openapi.yaml"
# No telemetry, no update notice, no colour in the captured output.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1 FORCE_COLOR=0

redocly=node_modules/.bin/redocly
if [ ! -x "$redocly" ]; then
	echo "not ok 1 - $name"
	echo "#   $redocly is missing: run 'npm ci --no-audit --no-fund' at the top of the checkout"
	echo "1..1"
	exit 1
fi

out=$("$redocly" lint --format=stylish docs/openapi.yaml 2>&1)
status=$?
if [ "$status" -eq 0 ]; then
	echo "ok 1 - $name"
	# Warnings do not fail the case, but are shown.
	printf '%s\n' "$out" | grep -E '^ +[0-9]+:[0-9]+ +warning ' | sed 's/^/#   /'
else
	echo "not ok 1 - $name"
	# The Node.js deprecation banner is noise; the rest is what to fix.
	printf '%s\n' "$out" | grep -v -e '[║╔╚]' -e '^[[:space:]]*$' | sed 's/^/#   /'
fi
echo "1..1"
[ "$status" -eq 0 ]
