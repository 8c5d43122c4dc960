/* test_vault.c: address canonicalisation, the keyed email hash, the key file, data keys and
 * sealing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"
#include "util/mem.h"
#include "vault/vault.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sk-vault.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void canon_ok(const char *in, const char *want)
{
	char out[SK_EMAIL_MAX + 1];
	struct sk_errctx e;
	int rc = sk_email_canonical(in, out, &e);
	if (rc)
		fail_msg("'%s' refused: %s", in, e.msg);
	assert_string_equal(out, want);
}

static void canon_bad(const char *in)
{
	char out[SK_EMAIL_MAX + 1];
	struct sk_errctx e;
	assert_int_equal(sk_email_canonical(in, out, &e), SK_ERR_INVALID_EMAIL);
	/* the message never repeats the address */
	if (in && strlen(in) > 3)
		assert_null(strstr(e.msg, in));
}

static void canonical_forms(void **state)
{
	(void)state;
	canon_ok("anna@example.com", "anna@example.com");
	canon_ok(" Anna@EXAMPLE.com ", "anna@example.com");
	canon_ok("\tANNA@Example.Com\r\n", "anna@example.com");
	canon_ok("first.last+tag@sub.example.com", "first.last+tag@sub.example.com");
	canon_ok("user@Bücher.example", "user@xn--bcher-kva.example");
	canon_ok("user@xn--bcher-kva.example", "user@xn--bcher-kva.example");
}

static void canonical_refusals(void **state)
{
	(void)state;
	canon_bad(NULL);
	canon_bad("");
	canon_bad("   ");
	canon_bad("anna.example.com");
	canon_bad("anna@@example.com");
	canon_bad("an@na@example.com");
	canon_bad("@example.com");
	canon_bad("anna@");
	canon_bad("anna@localhost");
	canon_bad("an na@example.com");
	canon_bad("anna@exa mple.com");
	canon_bad("anna@-example.com");
	canon_bad("anna@example..com");
	canon_bad(".anna@example.com");
	canon_bad("an..na@example.com");
	canon_bad("anna@example.com.");
	char longlocal[100];
	memset(longlocal, 'a', 65);
	strcpy(longlocal + 65, "@example.com");
	canon_bad(longlocal);
	char longlabel[120];
	strcpy(longlabel, "a@");
	memset(longlabel + 2, 'b', 64);
	strcpy(longlabel + 66, ".com");
	canon_bad(longlabel);
}

static void keyfile_and_email_key(void **state)
{
	(void)state;
	char k1[128], k2[128], c1[65], c2[65];
	struct sk_vault *v1, *v2;
	struct sk_errctx e;
	struct stat st;
	uint8_t h1[32], h2[32], h3[32];

	snprintf(k1, sizeof(k1), "%s/one.key", dir);
	snprintf(k2, sizeof(k2), "%s/two.key", dir);
	assert_int_equal(sk_vault_keyfile_create(k1, &e), 0);
	assert_int_equal(stat(k1, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(sk_vault_keyfile_create(k1, &e), SK_ERR_EXISTS);
	assert_int_equal(sk_vault_keyfile_create(k2, &e), 0);
	assert_int_equal(sk_vault_open(k1, &v1, &e), 0);
	assert_int_equal(sk_vault_open(k2, &v2, &e), 0);

	sk_vault_email_key(v1, "anna@example.com", h1);
	sk_vault_email_key(v1, "anna@example.com", h2);
	sk_vault_email_key(v2, "anna@example.com", h3);
	assert_memory_equal(h1, h2, 32);
	assert_memory_not_equal(h1, h3, 32);
	sk_vault_check_value(v1, c1);
	sk_vault_check_value(v2, c2);
	assert_string_not_equal(c1, c2);
	sk_vault_free(v1);
	sk_vault_free(v2);

	/* a key file others can read is refused; so is one that is not a key file */
	chmod(k1, 0644);
	assert_int_equal(sk_vault_open(k1, &v1, &e), SK_ERR_KEY);
	assert_non_null(strstr(e.msg, "chmod 600"));
	FILE *f = fopen(k2, "w");
	fputs("not a key\n", f);
	fclose(f);
	assert_int_equal(sk_vault_open(k2, &v2, &e), SK_ERR_KEY);
	snprintf(k2, sizeof(k2), "%s/missing.key", dir);
	assert_int_equal(sk_vault_open(k2, &v2, &e), SK_ERR_KEY);
}

static void datakeys_and_sealing(void **state)
{
	(void)state;
	char k[128];
	struct sk_vault *v;
	struct sk_errctx e;
	uint8_t dk[SK_VAULT_KEY_LEN], dk2[SK_VAULT_KEY_LEN], wrapped[SK_VAULT_WRAPPED_LEN];
	uint8_t *sealed;
	size_t slen, plen;
	char *plain;

	snprintf(k, sizeof(k), "%s/seal.key", dir);
	assert_int_equal(sk_vault_keyfile_create(k, &e), 0);
	assert_int_equal(sk_vault_open(k, &v, &e), 0);
	assert_int_equal(sk_vault_datakey_new(v, "c_one", dk, wrapped), 0);
	assert_int_equal(sk_vault_datakey_unwrap(v, "c_one", wrapped, sizeof(wrapped), dk2), 0);
	assert_memory_equal(dk, dk2, sizeof(dk));
	/* bound to its contact */
	assert_int_equal(sk_vault_datakey_unwrap(v, "c_two", wrapped, sizeof(wrapped), dk2),
			 SK_ERR_CRYPTO);

	assert_int_equal(sk_vault_seal(dk, "c_one/first_name", "Anna", 4, &sealed, &slen), 0);
	assert_int_equal(slen, 4 + SK_VAULT_SEAL_OVERHEAD);
	assert_null(memmem(sealed, slen, "Anna", 4));
	assert_int_equal(sk_vault_unseal(dk, "c_one/first_name", sealed, slen, &plain, &plen), 0);
	assert_string_equal(plain, "Anna");
	sk_free(plain);
	/* bound to its field, and tamper-evident */
	assert_int_equal(sk_vault_unseal(dk, "c_one/last_name", sealed, slen, &plain, &plen),
			 SK_ERR_CRYPTO);
	sealed[slen - 1] ^= 1;
	assert_int_equal(sk_vault_unseal(dk, "c_one/first_name", sealed, slen, &plain, &plen),
			 SK_ERR_CRYPTO);
	assert_int_equal(sk_vault_unseal(dk, "c_one/first_name", sealed, 10, &plain, &plen),
			 SK_ERR_CRYPTO);
	sk_free(sealed);

	sk_mem_fail_after(0);
	assert_int_equal(sk_vault_seal(dk, "x", "y", 1, &sealed, &slen), SK_ERR_NOMEM);
	sk_mem_fail_after(-1);
	sk_vault_free(v);
}

static void sha256_known_answer(void **state)
{
	(void)state;
	uint8_t h[32];
	sk_vault_sha256("abc", 3, h);
	static const uint8_t want[4] = {0xba, 0x78, 0x16, 0xbf};
	assert_memory_equal(h, want, 4);
	assert_true(sk_vault_equal("same", "same", 4));
	assert_false(sk_vault_equal("same", "sane", 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(canonical_forms),
		cmocka_unit_test(canonical_refusals),
		cmocka_unit_test(keyfile_and_email_key),
		cmocka_unit_test(datakeys_and_sealing),
		cmocka_unit_test(sha256_known_answer),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
