#!/bin/sh
# make fuzz: builds each libFuzzer target of tests/fuzz with clang (gcc has no libFuzzer) and
# runs it for SECONDS (default 60) from a seed folder; a crash stops with its reproducer.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-60}
out=$(mktemp -d /tmp/samtycke-fuzz.XXXXXX)
# The targets and their sources come from meson.build (-Dfuzz=true), built with clang: the
# libraries with -fsanitize=fuzzer-no-link, the targets linked with -fsanitize=fuzzer.
fb=build-fuzz
if [ ! -f "$fb/build.ninja" ]; then
	CC=clang meson setup "$fb" --buildtype=debug -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link >/dev/null
fi
targets="fuzz_policy fuzz_token fuzz_import_map fuzz_csv_import fuzz_multipart fuzz_utm fuzz_conf"
# shellcheck disable=SC2086
ninja -C "$fb" $targets >/dev/null
for t in $targets; do cp "$fb/$t" "$out/$t"; done

mkdir -p "$out/seed_policy" "$out/seed_token" "$out/seed_map" "$out/seed_csv" "$out/seed_mp" \
	"$out/seed_utm" "$out/seed_conf"
cp examples/policy.yaml "$out/seed_policy/"
cp examples/import-mapping.json "$out/seed_map/"
# the first byte picks the mapping (0 UTF-8, 1 windows-1252, 2 utf-16), the rest is the CSV
printf '\000email,first_name,company,nl,nl_at,nl_src,ls\na@x.example,"Bo\nx",Acme,yes,2025-01-01,form,yes\n\n  \nb@x.example,Bo,,no,,,\n' >"$out/seed_csv/utf8"
printf '\001email,a\nc@x.example,Ren\351e\n' >"$out/seed_csv/cp1252"
# the first line is the Content-Type, the rest a multipart body (or a YAML mapping)
printf 'multipart/form-data; boundary=XY\n--XY\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nt\r\n--XY\r\nContent-Disposition: form-data; name="csv"; filename="c.csv"\r\n\r\nemail\r\n--XY--\r\n' >"$out/seed_mp/body"
printf 'x\nemail: email\nconsents:\n  nl: {value: nl}\n' >"$out/seed_mp/yaml"
# keep_case byte, then url, source, medium, campaign, term, content split at NUL bytes
printf '\000https://www.example.com/p?a=1&utm_term=x#top\000News\000email\000V\303\245r 2026\000\000ad-1' \
	>"$out/seed_utm/link"
cp examples/samtycke.conf "$out/seed_conf/"
printf 'a = 1 # c\nb="x \\" \\\\ y" \n\n#\nc=\n' >"$out/seed_conf/quotes"
export SK_SOURCE_ROOT="$root"
for t in policy:seed_policy token:seed_token import_map:seed_map csv_import:seed_csv multipart:seed_mp \
	utm:seed_utm conf:seed_conf; do
	name=fuzz_${t%%:*}
	echo "$name: $seconds s"
	"$out/$name" -max_total_time="$seconds" -print_final_stats=1 "$out/${t#*:}" \
		>"$out/$name.log" 2>&1 || { tail -n 40 "$out/$name.log"; exit 1; }
	grep -E '^(Done|stat::number_of_executed_units)' "$out/$name.log" | head -n 1
done
rm -rf "$out"
