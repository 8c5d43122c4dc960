#!/bin/sh
# forms.sh: the public form pages in a real browser (tests/e2e/forms.test.mjs): axe-core on
# each page state in sv and en, and a form sent with the keyboard alone. Starts aiosmtpd and
# two servers on one fresh store with the browser tests' policy (tests/e2e/policy.mjs):
# "main", with real mail, and "future", its clock 30 days ahead (expired links).
# Usage: sh tests/e2e/forms.sh path/to/samtycke
set -u
bin=${1:?usage: sh tests/e2e/forms.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$root/tests/e2e/e2e.inc"

e2e_begin e2e-forms
e2e_policy test
setup "$bin" --db "$db" keys create --name e2e-reader --scope read
KEY_READER=$(cat "$d/setup.out")
e2e_ports 3
# shellcheck disable=SC2046 # three words on purpose
set -- $(cat "$d/ports")
start_smtp "$1"
e2e_start main "$2" --smtp-url "smtp://127.0.0.1:$1" --mail-from noreply@example.com \
	--form-rate-limit 100000
# no mail: its clock would find every request lapsed; it only answers links
server_env="SAMTYCKE_NOW=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)"
e2e_start future "$3" --form-rate-limit 100000
server_env=""

export FORMS_URL="http://127.0.0.1:$2" FORMS_URL_FUTURE="http://127.0.0.1:$3" KEY_READER
e2e_node forms.test.mjs
e2e_end
