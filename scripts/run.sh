#!/bin/sh
# make run: a fresh demo database with the example policy, a new admin key and a first admin
# user of the staff console (docs/console.md) with a generated password, served on
# 127.0.0.1:8080 (PORT overrides). The key and the password are printed once; the database
# lives in build/run/.
set -eu
bin=$1
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/build/run"
rm -rf "$dir"
mkdir -p "$dir"
export SAMTYCKE_DB="$dir/demo.db"
"$bin" init >/dev/null
"$bin" policy apply "$root/examples/policy.yaml" >/dev/null
key=$("$bin" keys create --name admin --scope read,write,dsr,admin)
password=$("$bin" user add admin --role admin)
port=${PORT:-8080}
cat <<TEXT
samtycke demo database: $SAMTYCKE_DB (key file $SAMTYCKE_DB.key)
admin API key (shown once): $key

staff console: http://127.0.0.1:$port/console
  sign in as admin with the password (shown once): $password

try:
  curl -s http://127.0.0.1:$port/healthz
  curl -s -H "Authorization: Bearer $key" http://127.0.0.1:$port/v1/purposes
  curl -s -H "Authorization: Bearer $key" -X POST http://127.0.0.1:$port/v1/consents \\
       -d '{"email":"anna@example.com","purpose":"newsletter","action":"give","source":"form:newsletter"}'
  curl -s -H "Authorization: Bearer $key" "http://127.0.0.1:$port/v1/check?email=anna@example.com&purpose=newsletter"

Ctrl-C stops the server.
TEXT
exec "$bin" serve --listen "127.0.0.1:$port"
