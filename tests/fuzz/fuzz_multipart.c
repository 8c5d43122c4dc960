/* fuzz_multipart.c: libFuzzer target for the console upload's multipart/form-data parser
 * (http/multipart.c) and the mapping in YAML (io/mapping.c, sk_import_map_yaml). Built from
 * meson.build (-Dfuzz=true, clang) and run by scripts/fuzz.sh (make fuzz). The first line of
 * the input is the Content-Type, the rest the body. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/multipart.h"
#include "io/io.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_mp_part parts[SK_MP_MAX_PARTS];
	struct sk_errctx err = {0};
	char ct[256];
	size_t n = 0, i = 0;
	while (i < size && i < sizeof(ct) - 1 && data[i] != '\n')
		i++;
	memcpy(ct, data, i);
	ct[i] = '\0';
	const char *body = (const char *)data + (i < size ? i + 1 : i);
	size_t len = size - (size_t)(body - (const char *)data);
	if (sk_mp_parse(ct, body, len, parts, &n, &err) == 0) {
		for (size_t k = 0; k < n; k++) {
			/* every part lies inside the body */
			if (parts[k].data < body || parts[k].data + parts[k].len > body + len)
				__builtin_trap();
		}
	}
	char *json = NULL;
	if (sk_import_map_yaml(body, len, &json, &err) == 0)
		sk_free(json);
	return 0;
}
