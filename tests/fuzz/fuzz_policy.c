/* fuzz_policy.c: libFuzzer target for the policy file parser (core/policy.c) and the field
 * validators it feeds. Built from meson.build (-Dfuzz=true, clang) and run by scripts/fuzz.sh
 * (make fuzz), with the example policy as a seed. */
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
