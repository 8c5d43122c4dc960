/* fuzz_token.c: libFuzzer target for the signed link tokens (vault/vault.c) and the address
 * canonicalisation (vault/email.c): no input may verify without the key, or crash, and the
 * canonical form is a fixed point. Built from meson.build (-Dfuzz=true, clang) and run by
 * scripts/fuzz.sh (make fuzz). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/mem.h"
#include "vault/vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sk_vault *vault;

static struct sk_vault *fuzz_vault(void)
{
	char path[] = "/tmp/sk-fuzz-key.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		abort();
	close(fd);
	unlink(path);
	if (sk_vault_keyfile_create(path, NULL) || sk_vault_open(path, &vault, NULL))
		abort();
	unlink(path);
	return vault;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = sk_strndup((const char *)data, size), subject[SK_TOKEN_MAX];
	char canon[SK_EMAIL_MAX + 1];
	int64_t expires;
	if (!s)
		return 0;
	if (!vault)
		fuzz_vault();
	/* a token this key never signed must never verify */
	if (sk_vault_token_verify(vault, "confirm", s, 0, subject, &expires) == 0)
		__builtin_trap();
	/* the canonical form is a fixed point: canonicalising it again changes nothing, and the
	 * form as written canonicalises to the same */
	char written[SK_EMAIL_MAX + 1], again[SK_EMAIL_MAX + 1];
	if (sk_email_forms(s, written, canon, NULL) == 0) {
		if (sk_email_canonical(canon, again, NULL) || strcmp(canon, again) != 0)
			__builtin_trap();
		if (sk_email_canonical(written, again, NULL) || strcmp(canon, again) != 0)
			__builtin_trap();
		/* the legacy forms asked of the suppression list never include the key itself */
		char forms[SK_EMAIL_LEGACY_MAX][SK_EMAIL_MAX + 1];
		size_t n = sk_email_legacy_forms(s, canon, forms, SK_EMAIL_LEGACY_MAX);
		for (size_t i = 0; i < n; i++)
			if (strcmp(forms[i], canon) == 0)
				__builtin_trap();
	}
	sk_email_canonical_legacy(s, canon, NULL);
	sk_free(s);
	return 0;
}
