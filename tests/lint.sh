#!/bin/sh
# lint.sh: bans calls and patterns that the project never uses (as curl's checksrc), one TAP
# case per rule: unbounded string calls, atoi-style parsing, SQL built with printf, and
# personal-data-shaped literals in the sources.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
n=0
failed=0

rule() {
	name=$1
	pattern=$2
	n=$((n + 1))
	hits=$(grep -rnE --include='*.c' --include='*.h' "$pattern" src bench | grep -v 'lint: allow')
	if [ -z "$hits" ]; then
		echo "ok $n - $name"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name"
		printf '%s\n' "$hits" | sed 's/^/#   /'
	fi
}

rule "no strcpy/strcat/sprintf/vsprintf/gets" '\b(strcpy|strcat|sprintf|vsprintf|gets)\('
rule "no atoi/atol/atof (use strtol with an end check)" '\bato[ilf]\('
rule "no SQL built with printf" '(printf|mprintf)\(.*"(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP) '
rule "no sqlite3_exec with a non-constant statement" 'sqlite3_exec\([^,]+, *[a-z_]+ *,'
rule "no e-mail addresses in sources (fixtures live in tests/, at example domains)" '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.(com|se|org|net|io)\b[^.]'
echo "1..$n"
[ "$failed" -eq 0 ]
