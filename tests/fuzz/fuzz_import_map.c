/* fuzz_import_map.c: libFuzzer target for the import mapping parser (io/mapping.c). Build
 * and run with clang (gcc has no libFuzzer), from the top of the checkout:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
 *     tests/fuzz/fuzz_import_map.c src/io/mapping.c src/core/policy.c src/util/mem.c \
 *     src/util/err.c src/util/str.c src/util/sktime.c src/util/buf.c \
 *     $(pkg-config --cflags --libs jansson yaml-0.1 libsodium) -o /tmp/fuzz_import_map
 *   /tmp/fuzz_import_map -max_total_time=60 */
#include <stddef.h>
#include <stdint.h>

#include "io/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_import_map *m = NULL;
	struct sk_errctx err = {0};
	if (sk_import_map_parse((const char *)data, size, &m, &err) == 0)
		sk_import_map_free(m);
	return 0;
}
