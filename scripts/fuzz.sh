#!/bin/sh
# make fuzz: builds each libFuzzer target of tests/fuzz with clang (gcc has no libFuzzer) and
# runs it for SECONDS (default 60) from a seed folder; a crash stops with its reproducer.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-60}
out=$(mktemp -d /tmp/samtycke-fuzz.XXXXXX)
flags="-g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc"
util="src/util/mem.c src/util/err.c src/util/str.c src/util/sktime.c src/util/buf.c"

build() {
	name=$1
	shift
	# shellcheck disable=SC2086
	clang $flags "tests/fuzz/$name.c" "$@" -o "$out/$name"
}
build fuzz_policy src/core/policy.c $util $(pkg-config --cflags --libs yaml-0.1)
build fuzz_token src/vault/vault.c src/vault/email.c $util \
	$(pkg-config --cflags --libs libsodium libidn2) -lunistring
build fuzz_import_map src/io/mapping.c src/core/policy.c $util \
	$(pkg-config --cflags --libs jansson yaml-0.1 libsodium)
# the CSV reader needs the whole core (dry run against a temporary database)
# shellcheck disable=SC2046
build fuzz_csv_import src/io/csv_import.c src/io/mapping.c src/core/*.c src/store/*.c \
	src/vault/*.c $util $(pkg-config --cflags --libs jansson yaml-0.1 libsodium sqlite3 libidn2) \
	-lcsv

mkdir -p "$out/seed_policy" "$out/seed_token" "$out/seed_map" "$out/seed_csv"
cp examples/policy.yaml "$out/seed_policy/"
cp examples/import-mapping.json "$out/seed_map/"
# the first byte picks the mapping (0 UTF-8, 1 windows-1252, 2 utf-16), the rest is the CSV
printf '\000email,first_name,company,nl,nl_at,nl_src,ls\na@x.example,"Bo\nx",Acme,yes,2025-01-01,form,yes\n\n  \nb@x.example,Bo,,no,,,\n' >"$out/seed_csv/utf8"
printf '\001email,a\nc@x.example,Ren\351e\n' >"$out/seed_csv/cp1252"
export SK_SOURCE_ROOT="$root"
for t in policy:seed_policy token:seed_token import_map:seed_map csv_import:seed_csv; do
	name=fuzz_${t%%:*}
	echo "$name: $seconds s"
	"$out/$name" -max_total_time="$seconds" -print_final_stats=1 "$out/${t#*:}" \
		>"$out/$name.log" 2>&1 || { tail -n 40 "$out/$name.log"; exit 1; }
	grep -E '^(Done|stat::number_of_executed_units)' "$out/$name.log" | head -n 1
done
rm -rf "$out"
