#!/bin/sh
# check-layers.sh SRC_DIR STAMP: the layers of docs/internals/layers.md, held against the
# includes. Each folder of src/ may include only the layers below it (and system headers
# only where they belong: SQLite in store, libmicrohttpd in http, libsodium in vault, libcurl's
# headers in util (curl_dl.c loads libcurl), mail, sync and cli). A forbidden arrow fails the
# build, naming the file and the include.
set -eu
src=$1
stamp=$2
allowed() {
	case $1 in
	util) echo "util" ;;
	vault) echo "util vault" ;;
	store) echo "util store" ;;
	core) echo "util vault store core" ;;
	render) echo "util vault store core render" ;;
	io) echo "util vault store core io" ;;
	mail) echo "util vault store core mail" ;;
	sync) echo "util vault store core render sync" ;;
	http) echo "util vault store core render io sync http" ;;
	serve) echo "util vault store core render io mail sync http serve" ;;
	cli) echo "util vault store core render io mail sync http serve cli" ;;
	*) echo "" ;;
	esac
}
system_ok() { # LAYER HEADER
	case $2 in
	sqlite3.h) [ "$1" = store ] ;;
	microhttpd.h) [ "$1" = http ] ;;
	sodium.h | sodium/*) [ "$1" = vault ] ;;
	curl/*) [ "$1" = mail ] || [ "$1" = sync ] || [ "$1" = cli ] || [ "$1" = util ] ;;
	*) true ;;
	esac
}
bad=0
for dir in "$src"/*/; do
	layer=$(basename "$dir")
	ok=$(allowed "$layer")
	if [ -z "$ok" ]; then
		echo "check-layers: src/$layer is not a layer of docs/internals/layers.md" >&2
		bad=1
		continue
	fi
	for f in "$dir"*.c "$dir"*.h; do
		[ -f "$f" ] || continue
		grep -n '^#include [<"]' "$f" | while IFS= read -r line; do
			n=${line%%:*}
			inc=$(printf '%s' "${line#*:}" | sed 's/^#include [<"]\([^>"]*\)[>"].*/\1/')
			case ${line#*:} in
			'#include "'*)
				to=${inc%%/*}
				case " $ok " in
				*" $to "*) ;;
				*) echo "check-layers: src/$layer/$(basename "$f"):$n includes $inc: $layer may not use $to" >&2
				   echo x ;;
				esac
				;;
			*)
				system_ok "$layer" "$inc" || {
					echo "check-layers: src/$layer/$(basename "$f"):$n includes <$inc>, which belongs to another layer" >&2
					echo x
				}
				;;
			esac
		done
	done
done >"$stamp.errors"
if [ -s "$stamp.errors" ] || [ "$bad" -ne 0 ]; then
	rm -f "$stamp" "$stamp.errors"
	exit 1
fi
rm -f "$stamp.errors"
echo ok >"$stamp"
