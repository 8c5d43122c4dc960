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

mkdir -p "$out/seed_policy" "$out/seed_token" "$out/seed_map"
cp examples/policy.yaml "$out/seed_policy/"
cp examples/import-mapping.json "$out/seed_map/"
for t in policy:seed_policy token:seed_token import_map:seed_map; do
	name=fuzz_${t%%:*}
	echo "$name: $seconds s"
	"$out/$name" -max_total_time="$seconds" -print_final_stats=1 "$out/${t#*:}" \
		>"$out/$name.log" 2>&1 || { tail -n 40 "$out/$name.log"; exit 1; }
	grep -E '^(Done|stat::number_of_executed_units)' "$out/$name.log" | head -n 1
done
rm -rf "$out"
