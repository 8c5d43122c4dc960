#!/bin/sh
# import.sh: samtycke import and export-contacts with the real binary: the sample CRM export
# against counts computed independently (expect_import.py), the line-numbered reject
# report (with and without the rows' data), suppression, a mapping refused up front,
# --dry-run, resume after kill -9 (and no temporary reject file left), BOM and ';' files,
# encodings (UTF-8 only unless the mapping names one; UTF-16 and Latin-1 refused with the line
# and byte, on the command line and over HTTP), NUL bytes, quotes never closed, exact line
# numbers, minimisation, limits, the exact export and the one for spreadsheets, and the round
# trip that must never resubscribe anyone. Usage: sh tests/integration/import.sh path/to/samtycke
set -u
bin=$1
. "$(dirname "$0")/tap.inc"
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
d=$tap_dir
gen="$root/tests/data/gen_contacts.py"
sample="$d/contacts-sample.csv"
python3 "$gen" --sample >"$sample"
map="$root/tests/fixtures/import-mapping.json"
expect_py="$root/tests/integration/expect_import.py"
unset SAMTYCKE_DB SAMTYCKE_KEY_FILE SAMTYCKE_NOW
sk() { run "$bin" "$@"; }

# The key file is named: a PostgreSQL store has no file next to which it could be implied.
export SAMTYCKE_KEY_FILE="$d/t.key"
# freshdb NAME: a fresh store (newdb, tap.inc) with the example policy; sets SAMTYCKE_DB.
freshdb() {
	SAMTYCKE_DB=$(newdb "$1")
	export SAMTYCKE_DB
	"$bin" init >/dev/null 2>&1 && "$bin" policy apply "$root/examples/policy.yaml" >/dev/null 2>&1
}
# val KEY FILE: the value of "KEY value" in FILE.
val() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
# jval KEY: a number from the last --json output.
jval() { printf '%s' "$out" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
sql() { dbsql "$SAMTYCKE_DB" "$1"; }
# has_line LINE FILE: FILE (CRLF lines) holds exactly the line LINE.
has_line() { tr -d '\r' <"$2" | grep -qxF -- "$1"; }

if [ ! -s "$sample" ]; then
	echo "not ok 1 - the sample data could not be generated with $gen"
	exit 1
fi

# ---- the sample file ----
python3 "$expect_py" "$sample" >"$d/exp"
freshdb sample
sk --json import "$sample" --map "$map" --rejects "$d/rej.csv"
ok "import of the sample exits 0" test "$status" -eq 0
for k in rows created given unverified refused rejected fields_dropped; do
	ok "sample: $k is $(val $k "$d/exp") as computed from the CSV" test "$(jval $k)" = "$(val $k "$d/exp")"
done
ok "sample: some rows were rejected (the test means something)" test "$(val rejected "$d/exp")" -ge 2
ok "sample: some fields were dropped (the test means something)" test "$(val fields_dropped "$d/exp")" -ge 100
# a contact that said yes to nothing that needs a first name: none stored
noname=$(python3 -c "
import csv, sys
for r in csv.DictReader(open(sys.argv[1], encoding='utf-8')):
    if r['first_name'] and r['newsletter'] != 'yes' and r['offers'] != 'yes' and '@' in r['email'] and r['email'] == r['email'].strip():
        print(r['email']); break" "$sample")
sk contact show "$noname"
ok "minimisation: no first_name stored for a row that consents to nothing needing it" sh -c "printf '%s' \"\$1\" | grep -q '^email' && ! printf '%s' \"\$1\" | grep -q '^first_name'" - "$out"
bad_line=$(grep -n '^not-an-address' "$sample" | cut -d: -f1)
dup_line=$(grep -n '^ EMMA.Karlsson0@' "$sample" | cut -d: -f1)
ok "reject report names the invalid address at line $bad_line" has_line "$bad_line,invalid_email,email" "$d/rej.csv"
ok "reject report names the duplicate at line $dup_line" has_line "$dup_line,duplicate,email" "$d/rej.csv"
ok "reject report lines equal the computed ones" test "$(tail -n +2 "$d/rej.csv" | tr -d '\r' | cut -d, -f1,2 | tr , ' ')" = "$(awk '$1 == "reject" { print $2, $3 }' "$d/exp")"
ok "reject report holds no personal data" sh -c "! grep -q '@' '$d/rej.csv'"
ok "ledger events = given + unverified + refused" test "$(sql 'select count(*) from consent_ledger')" -eq $(($(val given "$d/exp") + $(val unverified "$d/exp") + $(val refused "$d/exp")))
sk check maja.olsson1@atlas.example lead_scoring
expect "a bare yes is stored as unverified, never given" 1 "denied unverified"
sk check maja.olsson1@atlas.example newsletter
expect "yes with date and source is given" 0 "allowed consent"
sk check emma.karlsson0@atlas.example newsletter
expect "no is a refusal (and the later duplicate yes is ignored)" 1 "denied refused"
sk consent proof maja.olsson1@atlas.example newsletter
expect "proof names method import and the source" 0 "form:newsletter"
sk audit verify
expect "ledger chain whole after the import" 0 "ledger whole"
sk import "$sample" --map "$map"
expect "same file and mapping again: already imported" 0 "already imported"
ok "nothing new in the ledger after the re-run" test "$(sql 'select count(*) from consent_ledger')" -eq $(($(val given "$d/exp") + $(val unverified "$d/exp") + $(val refused "$d/exp")))

# ---- suppression ----
freshdb supp
"$bin" suppress maja.olsson1@atlas.example >/dev/null
"$bin" forget asa.andersson2@klarna.example >/dev/null
python3 "$expect_py" "$sample" maja.olsson1@atlas.example asa.andersson2@klarna.example >"$d/exp2"
sk --json import "$sample" --map "$map" --rejects "$d/rej2.csv"
ok "suppressed: counts as computed" test "$(jval rejected)" = "$(val rejected "$d/exp2")" -a "$(jval given)" = "$(val given "$d/exp2")"
ok "suppressed address rejected at its line" has_line "3,suppressed,email" "$d/rej2.csv"
ok "erased address rejected at its line" has_line "4,suppressed,email" "$d/rej2.csv"
sk check asa.andersson2@klarna.example newsletter
expect "erased address stays erased" 1 "denied erased"

# ---- the mapping is checked before any row ----
freshdb undeclared
sk import "$sample" --map "$root/tests/fixtures/import-mapping-undeclared.json"
expect "undeclared field in the mapping refuses the whole import" 3 "field 'shoe_size' is not declared"
ok "nothing stored after a refused mapping" test "$(sql 'select count(*) from contacts')" -eq 0
sk import "$sample" --map "$root/tests/fixtures/import-mapping-badcolumn.json"
expect "unknown column in the mapping refuses the import" 3 "column 'firstname', which is not in the header"
printf '{"email": "email", "colour": 1}' >"$d/badkey.json"
sk import "$sample" --map "$d/badkey.json"
expect "unknown mapping key refused" 3 "unknown key 'colour'"
printf '{"email": ' >"$d/badjson.json"
sk import "$sample" --map "$d/badjson.json"
expect "malformed mapping refused" 3 "malformed JSON"
printf '{"email": "email", "consents": {"horoscope": {"value": "newsletter"}}}' >"$d/badp.json"
sk import "$sample" --map "$d/badp.json"
expect "unknown purpose in the mapping refused" 3 "purpose 'horoscope' is not in the policy"
ok "still nothing stored" test "$(sql 'select count(*) from contacts') $(sql 'select count(*) from consent_ledger')" = "0 0"
sk import "$sample"
expect "import without --map is a usage error" 2 "usage"

# ---- dry run ----
freshdb dry
sk --json import "$sample" --map "$map" --dry-run --rejects "$d/rej3.csv"
ok "dry run reports the same counts" test "$(jval given) $(jval unverified) $(jval refused) $(jval rejected) $(jval created)" = "$(val given "$d/exp") $(val unverified "$d/exp") $(val refused "$d/exp") $(val rejected "$d/exp") $(val created "$d/exp")"
ok "dry run writes nothing" test "$(sql 'select count(*) from contacts') $(sql 'select count(*) from consent_ledger') $(sql "select count(*) from meta where key like 'import:%'")" = "0 0 0"
ok "dry run still writes the reject report" cmp -s "$d/rej.csv" "$d/rej3.csv"
sk import "$sample" --map "$map" --dry-run
expect "dry run says so" 0 "dry run: nothing was written"

# ---- the reject report with the rows' data, to fix and re-import ----
freshdb withdata
sk import "$sample" --map "$map" --rejects "$d/rejd.csv" --rejects-with-data
ok "--rejects-with-data: the header names the report's columns, then the file's" test "$(head -1 "$d/rejd.csv" | tr -d '\r')" = "reject_line,reject_reason,reject_column,$(head -1 "$sample")"
ok "--rejects-with-data: the rejected row's cells follow its reason" has_line "$bad_line,invalid_email,email,not-an-address,Bad,Row,Volvo,yes,2025-03-01T10:00:00Z,form:newsletter,,,,,," "$d/rejd.csv"
ok "--rejects-with-data: the file is readable by its owner only (0600)" test "$(stat -c %a "$d/rejd.csv")" = 600
sed 's/not-an-address/fixed.row@x.example/' "$d/rejd.csv" >"$d/fixed.csv"
sk --json import "$d/fixed.csv" --map "$map"
ok "the fixed reject file imports with the same mapping" test "$status $(jval created) $(jval updated) $(jval rejected)" = "0 1 1 0"
sk import "$sample" --map "$map" --rejects-with-data
expect "--rejects-with-data without --rejects is a usage error" 2 "usage"

# ---- BOM and ';' ----
python3 - "$sample" "$d/semi.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
with open(sys.argv[2], "w", encoding="utf-8-sig", newline="") as f:
    csv.writer(f, delimiter=";", lineterminator="\r\n").writerows(rows)
PY
freshdb semi
sk --json import "$d/semi.csv" --map "$map" --rejects "$d/rej4.csv"
ok "BOM, ';' and CRLF: same counts" test "$(jval given) $(jval unverified) $(jval refused) $(jval rejected)" = "$(val given "$d/exp") $(val unverified "$d/exp") $(val refused "$d/exp") $(val rejected "$d/exp")"
ok "BOM, ';' and CRLF: same reject lines" cmp -s "$d/rej.csv" "$d/rej4.csv"
sk contact show "quoted.row@ikea.example"
expect "quoted cells with quotes and commas read whole" 0 'Karin "KG"'

# ---- multi-line cells, limits ----
freshdb limits
{
	echo 'email,first_name,newsletter,newsletter_at,newsletter_source'
	echo 'a1@x.example,"two'
	echo 'lines",yes,2025-01-01T10:00:00Z,form:x'
	echo ''
	echo 'a2@x.example,Bo,maybe,,'
	echo 'a3@x.example,Bo,yes,2025-13-01,form:x'
	echo 'a4@x.example,Bo,yes,2099-01-01T00:00:00Z,form:x'
	printf 'a5@x.example,Bo,yes,,'
	i=0
	while [ $i -lt 300 ]; do printf ',x'; i=$((i + 1)); done
	echo
	echo 'a6@x.example,Bo,yes,2025-01-01,form:x'
} >"$d/lim.csv"
printf '{"email":"email","fields":{"first_name":"first_name"},"consents":{"newsletter":{"value":"newsletter","at":"newsletter_at","source":"newsletter_source"}}}' >"$d/lim.json"
sk --json import "$d/lim.csv" --map "$d/lim.json" --rejects "$d/rej5.csv"
ok "limits file: 6 rows, 1 given, 5 rejected" test "$(jval rows) $(jval given) $(jval rejected)" = "6 1 5"
ok "a row with a multi-line cell is reported at the line it begins" has_line "2,invalid,first_name" "$d/rej5.csv"
ok "bad consent value rejected at its line and column" has_line "5,invalid,newsletter" "$d/rej5.csv"
ok "bad date rejected at its line and column" has_line "6,invalid,newsletter_at" "$d/rej5.csv"
ok "future date rejected" has_line "7,invalid,newsletter_at" "$d/rej5.csv"
ok "a row over 256 columns rejected as too_large" has_line "8,too_large," "$d/rej5.csv"
{
	echo 'email,first_name,newsletter,newsletter_at,newsletter_source'
	echo 'b1@x.example,Bo,yes,2025-01-01T10:00:00Z,form:x'
	python3 -c "print('b2@x.example,' + 'x' * 70000 + ',yes,,')"
} >"$d/big.csv"
sk import "$d/big.csv" --map "$d/lim.json"
expect "a row over 64 KiB stops the import naming its line" 3 "line 3: the row that begins here is over 64 KiB"
printf 'email,first_name\n"c1@x.example,Bo\n' >"$d/open.csv"
i=0
while [ $i -lt 2000 ]; do echo 'more text in a quote that never closes, 0123456789' >>"$d/open.csv"; i=$((i + 1)); done
printf '{"email":"email","fields":{"first_name":"first_name"}}' >"$d/open.json"
sk import "$d/open.csv" --map "$d/open.json"
expect "an unclosed quote ends with an error, not unbounded memory" 3 "line 2: a quote opened here is not closed within 64 KiB"
freshdb quote
printf 'email,first_name,newsletter\nq1@x.example,Bo,yes\nq2@x.example,"Bo,yes\nq3@x.example,Bo,yes\nq4@x.example,Bo,yes\n' >"$d/open2.csv"
sk import "$d/open2.csv" --map "$d/lim.json" --rejects "$d/rej-open.csv"
expect "a quote never closed stops the import naming the line it opened on" 3 "line 3: a quote opened here is never closed"
ok "a quote never closed: nothing stored, no reject file" test "$(sql 'select count(*) from contacts')" = 0 -a ! -e "$d/rej-open.csv"
: >"$d/empty.csv"
sk import "$d/empty.csv" --map "$d/lim.json"
expect "an empty file is refused" 3 "empty"

# ---- exact line numbers, NUL bytes, encodings ----
freshdb enc
printf '{"email":"email","fields":{"first_name":"first_name"},"consents":{"newsletter":{"value":"newsletter"}}}' >"$d/enc.json"
printf 'email,first_name,newsletter\r\n  \r\nl1@x.example,Bo,maybe\r\n\t\n \nl2@x.example,"two\nlines",maybe\n   \nl3@x.example,Bo,maybe\n' >"$d/ws.csv"
sk import "$d/ws.csv" --map "$d/enc.json" --rejects "$d/rej-ws.csv"
ok "whitespace-only lines, CRLF and quoted breaks: rejects at the lines an editor shows" test "$(tail -n +2 "$d/rej-ws.csv" | tr -d '\r' | cut -d, -f1 | tr '\n' ' ')" = "3 6 9 "
printf 'email,first_name,newsletter\nn1@x.example,An\000na,yes\nn2@x.example,Bo,yes\n' >"$d/nul.csv"
sk import "$d/nul.csv" --map "$d/enc.json" --rejects "$d/rej-nul.csv"
ok "a NUL byte in a cell rejects the row naming line and column" has_line "2,nul_byte,first_name" "$d/rej-nul.csv"
sk contact show n1@x.example
expect "nothing truncated stored for the row with a NUL byte" 1 ""
printf 'email,first_name,newsletter\ne1@x.example,Bo,yes\ne2@x.example,Ren\351e,yes\n' >"$d/latin1.csv"
sk import "$d/latin1.csv" --map "$d/enc.json"
expect "a Latin-1 file is refused naming line, byte and encoding" 3 "line 3, byte 17 (byte 65 of the file): not UTF-8; the file is probably Latin-1"
sk contact show e1@x.example
expect "a Latin-1 file: nothing stored, not even the rows before the bad byte" 1 ""
printf '{"email":"email","encoding":"windows-1252","fields":{"first_name":"first_name"},"consents":{"newsletter":{"value":"newsletter"}}}' >"$d/enc1252.json"
sk import "$d/latin1.csv" --map "$d/enc1252.json"
expect "with \"encoding\": \"windows-1252\" the file is converted and imported" 0 "contacts created: 2"
sk contact show e2@x.example
expect "the converted name is stored as UTF-8" 0 "Renée"
printf 'email,first_name,newsletter\r\nu1@x.example,Zoë,yes\r\n' | iconv -f UTF-8 -t UTF-16 >"$d/utf16.csv"
sk import "$d/utf16.csv" --map "$d/enc.json"
expect "a UTF-16 file is refused naming UTF-16" 3 "the file is UTF-16 (little-endian, with a byte order mark), not UTF-8"
sed 's/windows-1252/utf-16/' "$d/enc1252.json" >"$d/enc16.json"
sk import "$d/utf16.csv" --map "$d/enc16.json"
expect "with \"encoding\": \"utf-16\" it is imported" 0 "contacts created: 1"
sk contact show u1@x.example
expect "the UTF-16 name is stored as UTF-8" 0 "Zoë"
ok "nothing anywhere is stored as U+FFFD" test "$("$bin" export-contacts --purpose newsletter | grep -c "$(printf '\357\277\275')")" = 0

# ---- export ----
freshdb export
"$bin" import "$sample" --map "$map" >/dev/null
sk export-contacts --purpose newsletter --format csv
ok "export csv: header then one row per contact" test "$(printf '%s\n' "$out" | wc -l)" -eq $(($(val created "$d/exp") + 1))
ok "export csv: header names the columns" test "$(printf '%s\n' "$out" | head -1 | tr -d '\r')" = "id,email,email_canonical,allowed,reason,first_name,last_name,company,phone,country,score"
ok "export csv: CRLF line ends (RFC 4180)" sh -c "printf '%s' \"\$1\" | head -1 | grep -q \"\$(printf '\r')\"" - "$out"
ok "export carries every opt-out (allowed=false rows)" test "$(printf '%s\n' "$out" | grep -c ',false,refused,')" -gt 0
ok "export csv: allowed rows = computed newsletter consents" test "$(printf '%s\n' "$out" | grep -c ',true,consent,')" -eq "$(val newsletter_allowed "$d/exp")"
sk export-contacts --purpose newsletter --format ndjson --allowed-only
ok "export ndjson --allowed-only: the allowed ones only" test "$(printf '%s\n' "$out" | wc -l)" -eq "$(val newsletter_allowed "$d/exp")"
# (the output read from its file: it can pass the limit of one argument, 128 KiB)
ok "export ndjson: every line is JSON with allowed true" python3 -c 'import json,sys; assert all(json.loads(l)["allowed"] is True for l in open(sys.argv[1], encoding="utf-8"))' "$d/out"
sk export-contacts --purpose horoscope
expect "export of an unknown purpose refused" 3 "not in the policy"
sk export-contacts --purpose newsletter --format xml
expect "unknown format is a usage error" 2 "usage"
"$bin" contact add "=1+1.formula@x.example" --field first_name=-2+3 --field last_name="=HYPERLINK(\"http://x\")" --field company=@SUM --field phone="+46 8 123 456" >/dev/null
"$bin" consent give "=1+1.formula@x.example" sales_followup --method cli --source test >/dev/null
sk export-contacts --purpose sales_followup --format csv
ok "export csv is exact: addresses, names and phone numbers as stored" sh -c "printf '%s\n' \"\$1\" | grep -qF ',=1+1.formula@x.example,=1+1.formula@x.example,true,consent,-2+3,\"=HYPERLINK(\"\"http://x\"\")\",@SUM,+46 8 123 456,'" - "$out"
ok "export csv: no BOM by default" sh -c "printf '%s' \"\$1\" | head -c 3 | grep -q '^id,'" - "$out"
sk export-contacts --purpose sales_followup --format csv --for-spreadsheet
ok "--for-spreadsheet: formula cells get a leading quote" sh -c "printf '%s\n' \"\$1\" | grep -qF \",'=1+1.formula@x.example,'=1+1.formula@x.example,true,consent,'-2+3,\\\"'=HYPERLINK(\\\"\\\"http://x\\\"\\\")\\\",'@SUM,'+46 8 123 456,\"" - "$out"
ok "--for-spreadsheet: a UTF-8 BOM first" sh -c "printf '%s' \"\$1\" | head -c 3 | od -An -tx1 | grep -q 'ef bb bf'" - "$out"
sk export-contacts --purpose newsletter --format ndjson --for-spreadsheet
expect "--for-spreadsheet with ndjson is a usage error" 2 "usage"

# ---- the round trip never resubscribes anyone ----
freshdb trip
"$bin" import "$sample" --map "$map" >/dev/null
"$bin" consent withdraw maja.olsson1@atlas.example newsletter --method mail_link --source "mail:x" >/dev/null
"$bin" forget erik.persson12@telia.example >/dev/null
"$bin" export-contacts --purpose newsletter --format csv >"$d/exp.csv"
# another tool turns every row into a dated, sourced yes and sends the file back
python3 - "$d/exp.csv" "$d/back.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["email", "newsletter", "newsletter_at", "newsletter_source"])
    for r in rows:
        w.writerow([r["email"], "yes", "2026-01-01T10:00:00Z", "crm:resync"])
    w.writerow(["erik.persson12@telia.example", "yes", "2026-01-01T10:00:00Z", "crm:resync"])
PY
printf '{"email":"email","consents":{"newsletter":{"value":"newsletter","at":"newsletter_at","source":"newsletter_source"}}}' >"$d/back.json"
ok "the export held the withdrawn contact as allowed=false" grep -q '^[^,]*,maja.olsson1@atlas.example,maja.olsson1@atlas.example,false,withdrawn' "$d/exp.csv"
sk --json import "$d/back.csv" --map "$d/back.json" --rejects "$d/rej6.csv"
ok "round trip import runs" test "$status" -eq 0
sk check maja.olsson1@atlas.example newsletter
expect "a withdrawn contact stays withdrawn after the round trip" 1 "denied withdrawn"
sk check emma.karlsson0@atlas.example newsletter
expect "a refused contact stays refused after the round trip" 1 "denied refused"
sk check erik.persson12@telia.example newsletter
expect "an erased contact stays erased after the round trip" 1 "denied erased"
ok "the erased address is rejected as suppressed" grep -q ',suppressed,email' "$d/rej6.csv"

# ---- POST /v1/imports through a real server ----
freshdb http
wkey=$("$bin" keys create --name importer --scope write 2>/dev/null)
rkey=$("$bin" keys create --name reader --scope read 2>/dev/null)
"$bin" serve --listen 127.0.0.1:0 >"$d/srv.out" 2>"$d/srv.log" &
spid=$!
url=""
i=0
while [ $i -lt 100 ] && [ -z "$url" ]; do
	url=$(sed -n 's|^listening on \(http://127\.0\.0\.1:[0-9][0-9]*\)$|\1|p' "$d/srv.out")
	[ -n "$url" ] || sleep 0.1
	i=$((i + 1))
done
ok "server started" test -n "$url"
# The API requests go through Prism's validating proxy for docs/openapi.yaml ($api); each
# answer is checked against the spec (tests/integration/speccheck.mjs).
. "$root/tests/integration/prism.inc"
start_prism import "$url"
api=$prism_url
mapq=$(python3 -c "import sys,urllib.parse; print(urllib.parse.quote(open(sys.argv[1]).read()))" "$map")
# post ARGS... URL: curl with the status code as the last line of $out; then one case: the
# answer is one docs/openapi.yaml describes (through the proxy: no violation marked; straight
# to $url: by schema).
post() {
	run curl -s -D "$d/post.h" -w '\n%{http_code}' "$@"
	for last; do :; done
	printf '%s\n' "$out" | sed '$d' >"$d/post.b"
	case $last in
	"$api"*) via=prism p=${last#"$api"} ;;
	*) via=direct p=${last#"$url"} ;;
	esac
	keep_out=$out keep_status=$status
	run node "$root/tests/integration/speccheck.mjs" POST "$p" "$d/post.h" "$d/post.b" "$via"
	ok "the answer to POST ${p%%\?*} ($via) is as docs/openapi.yaml describes" test "$status" -eq 0
	out=$keep_out status=$keep_status
}
post -X POST -H "Authorization: Bearer $rkey" -H 'Content-Type: text/csv' --data-binary @"$sample" "$api/v1/imports?map=$mapq"
ok "POST /v1/imports with a read key: 403" test "$(printf '%s\n' "$out" | tail -1)" = 403
post -X POST -H "Authorization: Bearer $wkey" -H 'Content-Type: text/csv' --data-binary @"$sample" "$api/v1/imports?map=$mapq&dry_run=true"
ok "POST /v1/imports dry run: 200" test "$(printf '%s\n' "$out" | tail -1)" = 200
ok "dry run over HTTP wrote nothing" test "$(sql 'select count(*) from contacts')" = 0
post -X POST -H "Authorization: Bearer $wkey" -H 'Content-Type: text/csv' --data-binary @"$sample" "$api/v1/imports?map=$mapq"
printf '%s\n' "$out" | sed '$d' >"$d/http.json"
ok "POST /v1/imports text/csv: 200" test "$(printf '%s\n' "$out" | tail -1)" = 200
ok "POST /v1/imports: counts as computed" python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))
e = dict(l.split()[:2] for l in open(sys.argv[2]) if l.split()[0] != 'reject')
assert all(r[k] == int(e[k]) for k in ('rows', 'created', 'given', 'unverified', 'refused', 'rejected')), r
assert [(x['line'], x['reason'], x['column']) for x in r['rejects']] == [($bad_line, 'invalid_email', 'email'), ($dup_line, 'duplicate', 'email')], r['rejects']
" "$d/http.json" "$d/exp"
printf '{"csv": "email,first_name,newsletter\\nhttp1@x.example,Bo,yes\\n", "map": {"email": "email", "fields": {"first_name": "first_name"}, "consents": {"newsletter": {"value": "newsletter"}}}}' >"$d/body.json"
post -X POST -H "Authorization: Bearer $wkey" -H 'Content-Type: application/json' --data-binary @"$d/body.json" "$api/v1/imports"
ok "POST /v1/imports JSON body: 200 with one unverified" sh -c "printf '%s' \"\$1\" | grep -q '\"unverified\":1'" - "$out"
printf '{"csv": "email,first_name\\nhttp2@x.example,Bo\\n", "map": {"email": "email", "fields": {"shoe_size": "first_name"}}}' >"$d/body2.json"
post -X POST -H "Authorization: Bearer $wkey" -H 'Content-Type: application/json' --data-binary @"$d/body2.json" "$api/v1/imports"
ok "POST /v1/imports undeclared field: 422 undeclared_field" sh -c "printf '%s' \"\$1\" | grep -q 'undeclared_field' && test \"\$(printf '%s\n' \"\$1\" | tail -1)\" = 422" - "$out"
python3 -c "print('email,first_name'); [print(f'big{i}@x.example,' + 'x' * 90) for i in range(12000)]" >"$d/big.csv"
post -X POST -H "Authorization: Bearer $wkey" -H 'Content-Type: text/csv' --data-binary @"$d/big.csv" "$api/v1/imports?map=$mapq"
ok "POST /v1/imports over 1 MiB: 413" test "$(printf '%s\n' "$out" | tail -1)" = 413
# Latin-1 bytes go straight to the server: Prism's proxy would send them on as UTF-8.
printf 'email,first_name,newsletter\nh1@x.example,Bo,yes\nh2@x.example,Ren\351e,yes\n' >"$d/hlatin1.csv"
encq=$(python3 -c "import urllib.parse; print(urllib.parse.quote('{\"email\":\"email\",\"fields\":{\"first_name\":\"first_name\"},\"consents\":{\"newsletter\":{\"value\":\"newsletter\"}}}'))")
post -X POST -H "Authorization: Bearer $wkey" -H 'Content-Type: text/csv' --data-binary @"$d/hlatin1.csv" "$url/v1/imports?map=$encq"
ok "POST /v1/imports of Latin-1: 422 naming line, byte and encoding, as the CLI" sh -c "printf '%s' \"\$1\" | grep -q 'line 3, byte 17 (byte 65 of the file): not UTF-8; the file is probably Latin-1' && test \"\$(printf '%s\n' \"\$1\" | tail -1)\" = 422" - "$out"
sk contact show h1@x.example
expect "POST /v1/imports of Latin-1 stored nothing" 1 ""
enc1252q=$(python3 -c "import urllib.parse; print(urllib.parse.quote('{\"email\":\"email\",\"encoding\":\"windows-1252\",\"fields\":{\"first_name\":\"first_name\"},\"consents\":{\"newsletter\":{\"value\":\"newsletter\"}}}'))")
post -X POST -H "Authorization: Bearer $wkey" -H 'Content-Type: text/csv' --data-binary @"$d/hlatin1.csv" "$url/v1/imports?map=$enc1252q"
ok "POST /v1/imports with the encoding in the mapping: 200" test "$(printf '%s\n' "$out" | tail -1)" = 200
sk contact show h2@x.example
expect "POST /v1/imports converted the name (never U+FFFD)" 0 "Renée"
kill $spid 2>/dev/null
wait $spid 2>/dev/null
kill "$prism_pid" 2>/dev/null
wait "$prism_pid" 2>/dev/null
prism_scan import
ok "Prism's proxy saw $prism_reqs requests and no answer that docs/openapi.yaml does not describe" \
	test -z "$prism_violations" -a "$prism_reqs" -gt 0

# ---- resume after kill -9 ----
python3 "$gen" 20000 3 >"$d/big20k.csv"
freshdb clean
"$bin" import "$d/big20k.csv" --map "$map" >"$d/clean.out" 2>/dev/null
clean_ledger=$(sql 'select count(*) from consent_ledger')
clean_changes=$(sql 'select count(*) from changes')
clean_state=$(sql 'select status || count(*) from consent_state group by status order by 1' | tr '\n' ' ')
clean_contacts=$(sql 'select count(*) from contacts')
freshdb crash
"$bin" import "$d/big20k.csv" --map "$map" --rejects "$d/rejk.csv" >/dev/null 2>&1 &
pid=$!
i=0
while [ $i -lt 600 ]; do
	r=$(dbsql "$SAMTYCKE_DB" "select value from meta where key like 'import:%'" 2>/dev/null | cut -d' ' -f1)
	[ -n "$r" ] && [ "$r" -ge 3000 ] && break
	sleep 0.05
	i=$((i + 1))
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
killed_at=$(dbsql "$SAMTYCKE_DB" "select value from meta where key like 'import:%'" | awk '{print $1, $9}')
ok "the import was killed midway (record: $killed_at)" sh -c "set -- $killed_at; test \"\$1\" -ge 1000 -a \"\$1\" -lt 20000 -a \"\$2\" = 0"
ok "the killed import left its temporary reject file" sh -c "ls '$d'/rejk.csv.tmp* >/dev/null 2>&1"
sk import "$d/big20k.csv" --map "$map" --rejects "$d/rejk.csv"
expect "the re-run resumes after the last committed row" 0 "resumed after row"
ok "the re-run removed the killed run's temporary reject file" sh -c "! ls '$d'/rejk.csv.tmp* >/dev/null 2>&1 && test -s '$d/rejk.csv'"
ok "after resume: ledger events equal a clean run ($clean_ledger)" test "$(sql 'select count(*) from consent_ledger')" = "$clean_ledger"
ok "after resume: consent states equal a clean run" test "$(sql 'select status || count(*) from consent_state group by status order by 1' | tr '\n' ' ')" = "$clean_state"
ok "after resume: contacts equal a clean run" test "$(sql 'select count(*) from contacts')" = "$clean_contacts"
ok "after resume: the change feed is as long as a clean run's ($clean_changes; no change emitted twice)" test "$(sql 'select count(*) from changes')" = "$clean_changes"
# the report's counts (rows, created, updated, ...) are the clean run's: no row counted twice
printf '%s\n' "$out" | grep -v '^resumed after row' >"$d/resumed.out"
ok "after resume: the reported counts equal a clean run's" cmp -s "$d/clean.out" "$d/resumed.out"
ok "after resume: no contact has two events for one purpose" test "$(sql 'select count(*) from (select contact_id, purpose from consent_ledger group by 1, 2 having count(*) > 1) as twice')" = 0
sk audit verify
expect "ledger whole after the resumed import" 0 "ledger whole"

done_testing
