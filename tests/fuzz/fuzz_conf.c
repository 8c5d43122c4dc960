/* fuzz_conf.c: libFuzzer target for the configuration file's syntax (util/conf.c): keys,
 * quotes and escapes, comments, long and unterminated lines. Every entry parsed must have a
 * key of letters, digits, "-" and "_" and a line number within the text. Built by
 * scripts/fuzz.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/conf.h"
#include "util/err.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct sk_conf c;
	struct sk_errctx err = {0};
	int lines = 1;
	for (size_t i = 0; i < size && text[i]; i++)
		lines += text[i] == '\n';
	if (sk_conf_parse("fuzz.conf", text, &c, &err) == 0) {
		for (size_t i = 0; i < c.n; i++) {
			if (!c.e[i].key[0] || strspn(c.e[i].key, "abcdefghijklmnopqrstuvwxyz"
							       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
						     strlen(c.e[i].key))
				abort();
			if (c.e[i].line < 1 || c.e[i].line > lines)
				abort();
		}
		sk_conf_reset(&c);
	} else if (c.n || strncmp(err.msg, "fuzz.conf:", 10) != 0) {
		if (err.code != SK_ERR_NOMEM)
			abort();
	}
	free(text);
	return 0;
}
