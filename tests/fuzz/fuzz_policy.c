/* fuzz_policy.c: libFuzzer target for the policy file parser (core/policy.c) and the field
 * validators it feeds. Build and run with clang (gcc has no libFuzzer), from the top:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
 *     tests/fuzz/fuzz_policy.c src/core/policy.c src/util/mem.c src/util/err.c \
 *     src/util/str.c src/util/sktime.c src/util/buf.c $(pkg-config --cflags --libs yaml-0.1) \
 *     -o /tmp/fuzz_policy
 *   /tmp/fuzz_policy -max_total_time=60 examples/   (the example policy as a seed) */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/policy.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_policy *p = NULL;
	struct sk_errctx err = {0};
	if (sk_policy_parse((const char *)data, size, "fuzz.yaml", &p, &err) != 0)
		return 0;
	/* A policy that parses is consistent: every field a purpose names is declared. */
	for (size_t i = 0; i < p->npurposes; i++)
		for (size_t j = 0; j < p->purposes[i].nfields; j++)
			if (!sk_policy_field(p, p->purposes[i].fields[j]))
				__builtin_trap();
	for (size_t i = 0; i < p->nfields; i++)
		sk_policy_field_validate(&p->fields[i], "x@example.com", &err);
	sk_policy_free(p);
	return 0;
}
