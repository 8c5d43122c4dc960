#!/bin/sh
# canon.sh: one person, one canonical address, with the real binary and a real server
# (docs/internals/vault.md): three spellings of an address with non-ASCII letters reach one
# contact, one gate answer and one suppression entry; the address is kept and exported as
# written, its canonical form beside it; a Latin-1 address and an RFC 2047 encoded word are
# refused with a clear message on the command line, in an import (a Latin-1 file whole, an
# encoded word by its row), by the API and by a form. Usage: sh tests/integration/canon.sh path/to/samtycke
set -u
bin=$1
. "$(dirname "$0")/tap.inc"
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
d=$tap_dir
unset SAMTYCKE_DB SAMTYCKE_KEY_FILE SAMTYCKE_NOW
SAMTYCKE_DB=$(newdb t)
export SAMTYCKE_DB SAMTYCKE_KEY_FILE="$d/t.key"
sk() { run "$bin" "$@"; }
sql() { dbsql "$SAMTYCKE_DB" "$1"; }
# has_line_of FILE TEXT: a line of FILE (CRLF or LF) holds TEXT.
has_line_of() { tr -d '\r' <"$1" | grep -qF -- "$2"; }

ok "init and policy apply" sh -c '{ "$1" init && "$1" policy apply "$2"; } >/dev/null 2>&1' sh "$bin" \
	"$root/examples/policy.yaml"

# Åsa.Öberg: composed with capitals; lower case with spaces around; decomposed (NFD)
up=$(printf '\303\205sa.\303\226berg@Example.com')
low=$(printf ' \303\245sa.\303\266berg@example.com ')
nfd=$(printf 'A\314\212sa.O\314\210berg@example.com')
canon=$(printf '\303\245sa.\303\266berg@example.com')
latin1=$(printf '\345sa@example.com')
ew='=?utf-8?q?=C3=A5sa?=@example.com'

# ---- one person under every spelling ----
sk contact add "$up" --field first_name=Asa
expect "contact add: capitals and non-ASCII letters" 0 ""
sk contact add "$nfd"
expect "contact add: the decomposed spelling is the same contact" 3 "exists"
sk contact add "$low"
expect "contact add: lower case with spaces around is the same contact" 3 "exists"
sk --json contact show "$nfd"
ok "contact show: found by another spelling, the address as first written" python3 -c '
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8"))
assert c["fields"]["email"] == sys.argv[2], c' "$d/out" "$up"
sk consent give "$low" newsletter --method cli --source test
expect "consent give under a third spelling" 0 ""
for s in "$up" "$low" "$nfd"; do
	sk check "$s" newsletter
	expect "check: one gate answer for every spelling" 0 "allowed"
done
ok "one contact" test "$(sql 'select count(*) from contacts')" = 1

# ---- the export: as written, canonical beside it ----
sk export-contacts --purpose newsletter --format csv
ok "export csv: email as written, email_canonical beside it" has_line_of "$d/out" "$up,$canon,true,consent"
sk export-contacts --purpose newsletter --format ndjson
ok "export ndjson: email as written, email_canonical beside it" python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert [(r["email"], r["email_canonical"]) for r in rows] == [(sys.argv[2], sys.argv[3])], rows' \
	"$d/out" "$up" "$canon"

# ---- refused with a clear message ----
sk contact add "$latin1"
expect "contact add: a Latin-1 byte is refused, naming the byte" 3 "not valid UTF-8 at byte 1"
sk contact add "$ew"
expect "contact add: an RFC 2047 encoded word is refused" 3 "encoded word"
sk consent give "$latin1" newsletter --method cli --source test
expect "consent give: a Latin-1 byte is refused" 3 "not valid UTF-8 at byte 1"
sk check "$ew" newsletter
expect "check: an encoded word is denied as invalid_email" 1 "invalid_email"
# a file that is not UTF-8 is refused whole before any row (docs/import-export.md, "Encoding")
printf 'email,newsletter\n%s,yes\nfine@example.com,yes\n' "$latin1" >"$d/imp-latin1.csv"
printf '{"email":"email","consents":{"newsletter":{"value":"newsletter"}}}' >"$d/imp.json"
sk import "$d/imp-latin1.csv" --map "$d/imp.json"
expect "import: a Latin-1 file is refused naming line and byte, nothing stored" 3 "line 2, byte 1 (byte 18 of the file): not UTF-8"
printf 'email,newsletter\n%s,yes\nfine@example.com,yes\n' "$ew" >"$d/imp.csv"
sk import "$d/imp.csv" --map "$d/imp.json" --rejects "$d/rej.csv"
expect "import runs, the good row in" 0 "rejected:         1"
ok "import: the encoded-word row rejected as invalid_email" has_line_of "$d/rej.csv" '2,invalid_email,email'
ok "nothing of them stored" test "$(sql 'select count(*) from contacts')" = 2

# ---- erased under one spelling, suppressed under all ----
sk forget "$low"
expect "forget under one spelling" 0 ""
ok "one suppression entry" test "$(sql 'select count(*) from suppressions')" = 1
for s in "$up" "$nfd"; do
	sk check "$s" newsletter
	expect "check: erased under another spelling" 1 "erased"
	sk contact add "$s"
	expect "contact add: the erased person cannot come back under another spelling" 3 "suppression"
done

# ---- the API and a form ----
key=$("$bin" keys create --name canon --scope read,write 2>/dev/null)
"$bin" serve --listen 127.0.0.1:0 >"$d/srv.out" 2>"$d/srv.log" &
spid=$!
url=""
i=0
while [ $i -lt 100 ] && [ -z "$url" ]; do
	url=$(sed -n 's|^listening on \(http://127\.0\.0\.1:[0-9][0-9]*\)$|\1|p' "$d/srv.out" 2>/dev/null)
	[ -n "$url" ] || sleep 0.1
	i=$((i + 1))
done
ok "server started" test -n "$url"
# req ARGS...: curl with the status code as the last line of $out
req() { run curl -s -w '\n%{http_code}' "$@"; }
req -X POST -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
	-d "{\"email\":\"$ew\"}" "$url/v1/contacts"
ok "POST /v1/contacts: an encoded word is 422 invalid_email" sh -c \
	'printf "%s\n" "$1" | tail -1 | grep -qx 422 && printf "%s" "$1" | grep -q "\"invalid_email\".*encoded word"' - "$out"
req -H "Authorization: Bearer $key" "$url/v1/contacts?email=%E5sa%40example.com"
ok "GET /v1/contacts?email= with a Latin-1 byte: 422 naming the byte" sh -c \
	'printf "%s\n" "$1" | tail -1 | grep -qx 422 && printf "%s" "$1" | grep -q "not valid UTF-8 at byte 1"' - "$out"
req -X POST -H 'Content-Type: application/json' \
	-d "{\"email\":\"$ew\",\"consent\":[\"newsletter\"]}" "$url/f/newsletter"
ok "POST /f/newsletter (JSON): an encoded word is 422 invalid_email" sh -c \
	'printf "%s\n" "$1" | tail -1 | grep -qx 422 && printf "%s" "$1" | grep -q "invalid_email"' - "$out"
req -X POST --data-binary 'email=%E5sa%40example.com&consent=newsletter' -o /dev/null \
	-D "$d/hdr" "$url/f/newsletter"
ok "POST /f/newsletter (form): a Latin-1 byte goes to the error page as invalid_email" \
	grep -qi '^location: .*error=invalid_email' "$d/hdr"
ok "nothing of them stored" test "$(sql 'select count(*) from contacts')" = 1
kill -TERM "$spid" 2>/dev/null
wait "$spid" 2>/dev/null

echo "1..$n"
[ "$failed" -eq 0 ]
