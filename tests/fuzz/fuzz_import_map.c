/* fuzz_import_map.c: libFuzzer target for the import mapping parser (io/mapping.c). Built
 * from meson.build (-Dfuzz=true, clang) and run by scripts/fuzz.sh (make fuzz). */
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
