#!/bin/sh
# console-import.sh: the console's import pages in a real browser (tests/e2e/
# console-import.test.mjs; issue 15, the import): a marketer's dry run and import with the
# progress bar, the rejects file, a viewer refused, an upload without its CSRF token refused,
# and an import whose server is killed and started again, then resumed. The main server and,
# for the kill, a second one the node test starts and kills itself (SAMTYCKE, IMPORT_PORT2),
# each with its own import folder.
# Usage: sh tests/e2e/console-import.sh path/to/samtycke
set -u
bin=${1:?usage: sh tests/e2e/console-import.sh path/to/samtycke}
root=${SK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$root/tests/e2e/e2e.inc"

e2e_begin e2e-console-import
e2e_policy test
e2e_ports 2
# shellcheck disable=SC2046 # two words on purpose
set -- $(cat "$d/ports")
e2e_start main "$1" --import-dir "$d/imports"

export IMPORT_URL="http://127.0.0.1:$1" IMPORT_DIR="$d/imports"
export IMPORT_PORT2="$2" IMPORT_DIR2="$d/imports2"
e2e_node console-import.test.mjs
e2e_end
