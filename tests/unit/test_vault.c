/* test_vault.c: address canonicalisation, the keyed email hash, the key file, data keys and
 * sealing, and what a key rotation does to them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <unistd.h>

#include "util/err.h"
#include "util/mem.h"
#include "vault/vault.h"
#include "util/str.h"

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
	if (want)
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

/* A refusal whose message says why (want), never the address. */
static void canon_bad_says(const char *in, const char *want)
{
	char out[SK_EMAIL_MAX + 1];
	struct sk_errctx e = {0};
	assert_int_equal(sk_email_canonical(in, out, &e), SK_ERR_INVALID_EMAIL);
	if (!strstr(e.msg, want))
		fail_msg("message '%s' does not say '%s'", e.msg, want);
	assert_null(strstr(e.msg, "example"));
}

/* One person, one form: case, normalisation form and surrounding space of a local part with
 * non-ASCII letters (SMTPUTF8) do not matter. */
static void canonical_unicode(void **state)
{
	(void)state;
	const char *want = "\xc3\xa5sa.\xc3\xb6""berg@example.com"; /* åsa.öberg, NFC */
	canon_ok("\xc3\x85sa.\xc3\x96""berg@Example.com", want);           /* Åsa.Öberg, NFC */
	canon_ok(" \xc3\xa5sa.\xc3\xb6""berg@example.com ", want);
	canon_ok("A\xcc\x8asa.O\xcc\x88""berg@example.com", want);       /* NFD, upper */
	canon_ok("a\xcc\x8asa.o\xcc\x88""berg@EXAMPLE.COM", want);       /* NFD, lower */
	canon_ok("\xc3\x85SA.\xc3\x96""BERG@example.com", want);         /* all upper */
	/* Unicode white space and a byte order mark around it are trimmed */
	canon_ok("\xc2\xa0\xef\xbb\xbf\xc3\xa5sa.\xc3\xb6""berg@example.com\xe2\x80\x83\t", want);
	/* full lowercase, not case folding: ß stays */
	canon_ok("Stra\xc3\x9f""e@example.com", "stra\xc3\x9f""e@example.com");
	canon_ok("\xc3\x85sa@B\xc3\xbc""cher.example", "\xc3\xa5sa@xn--bcher-kva.example");
	/* '=?' alone is an ordinary pair of characters */
	canon_ok("a=?b@example.com", "a=?b@example.com");
	/* canonicalising the canonical form changes nothing */
	canon_ok(want, want);

	/* the form as written is the input trimmed, byte for byte */
	char written[SK_EMAIL_MAX + 1], canon[SK_EMAIL_MAX + 1];
	struct sk_errctx e;
	assert_int_equal(sk_email_forms("\t A\xcc\x8asa.\xc3\x96""berg@Example.com \r\n", written,
					canon, &e), 0);
	assert_string_equal(written, "A\xcc\x8asa.\xc3\x96""berg@Example.com");
	assert_string_equal(canon, want);
}

static void canonical_unicode_refusals(void **state)
{
	(void)state;
	/* Latin-1 å (a CRM file in another encoding): the message names the byte */
	canon_bad_says("\xe5sa@example.com", "not valid UTF-8 at byte 1");
	canon_bad_says("  \xe5sa@example.com", "not valid UTF-8 at byte 3");
	canon_bad_says("anna@ex\xe5mple.com", "not valid UTF-8 at byte 8");
	canon_bad_says("\xc0\xafnna@example.com", "not valid UTF-8 at byte 1");  /* overlong */
	canon_bad_says("a\xed\xa0\x80@example.com", "not valid UTF-8 at byte 2"); /* surrogate */
	/* RFC 2047 encoded words, wherever they are */
	canon_bad_says("=?utf-8?q?=C3=A5sa?=@example.com", "encoded word");
	canon_bad_says("=?utf-8?b?w6VzYQ==?=@example.com", "encoded word");
	canon_bad_says("x=?iso-8859-1?q?=E5?=y@example.com", "encoded word");
	/* a letter that NFC turns into an ASCII special (U+037E becomes ';'), found by the
	 * fuzzer: the canonical form must itself be an address */
	canon_bad_says("\xcd\xbe\xce\x99@example.com", "normalises to one not allowed");
	/* nothing invisible inside */
	canon_bad_says("an\xc2\x85na@example.com", "control character at byte 3");  /* NEL */
	canon_bad_says("an\xc2\x9fna@example.com", "control character at byte 3");  /* C1 */
	canon_bad_says("an\x01na@example.com", "control character at byte 3");
	canon_bad_says("an\xe2\x80\x8bna@example.com", "formatting character at byte 3"); /* ZWSP */
	canon_bad_says("an\xe2\x80\x8fna@example.com", "formatting character at byte 3"); /* RLM */
	canon_bad_says("an\xc2\xa0na@example.com", "space at byte 3"); /* no-break space */
	/* 64 bytes of local part at most, as written and as canonicalised */
	char l[200];
	memset(l, 0, sizeof(l));
	for (int i = 0; i < 32; i++)
		memcpy(l + 2 * i, "\xc3\x85", 2);
	strcpy(l + 64, "@example.com"); /* lint: allow (test) */
	canon_ok(l, NULL);
	memcpy(l, "\xc3\x85\xc3\x85", 4);
	l[65] = '\0';
	memcpy(l + 64, "A@example.com", 14);
	canon_bad_says(l, "1 to 64 bytes");
}

/* The legacy rules (version 1) stay as they were, for suppression keys made under them. */
static void canonical_legacy(void **state)
{
	(void)state;
	char out[SK_EMAIL_MAX + 1];
	struct sk_errctx e;
	assert_int_equal(sk_email_canonical_legacy(" \xc3\x85sa.\xc3\x96""berg@Example.COM ", out, &e), 0);
	assert_string_equal(out, "\xc3\x85sa.\xc3\x96""berg@example.com"); /* ASCII only lowered */
	assert_int_equal(sk_email_canonical_legacy("\xe5sa@example.com", out, &e), 0);
	assert_string_equal(out, "\xe5sa@example.com"); /* it took any byte */
	assert_int_equal(sk_email_canonical_legacy("user@B\xc3\xbc""cher.example", out, &e), 0);
	assert_string_equal(out, "user@xn--bcher-kva.example");

	/* the old forms of one address: as given, and each non-ASCII letter in either case,
	 * composed and decomposed */
	const char *canon = "\xc3\xa5sa.\xc3\xb6""berg@example.com";
	char forms[SK_EMAIL_LEGACY_MAX][SK_EMAIL_MAX + 1];
	size_t n = sk_email_legacy_forms("A\xcc\x8aSA.\xc3\xb6""berg@example.com", canon, forms,
					 SK_EMAIL_LEGACY_MAX);
	const char *want[] = {
		/* as given: the base letters of a decomposed letter are ASCII, and lowered */
		"a\xcc\x8asa.\xc3\xb6""berg@example.com",
		"a\xcc\x8asa.o\xcc\x88""berg@example.com", /* any case, NFD */
		"\xc3\x85sa.\xc3\xb6""berg@example.com",   /* Åsa.öberg */
		"\xc3\xa5sa.\xc3\x96""berg@example.com",   /* åsa.Öberg */
		"\xc3\x85sa.\xc3\x96""berg@example.com",   /* Åsa.Öberg */
	};
	assert_int_equal(n, 5);
	for (size_t i = 0; i < 5; i++) {
		size_t j = 0;
		while (j < n && strcmp(forms[j], want[i]) != 0)
			j++;
		if (j == n)
			fail_msg("old form %zu missing", i);
	}
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(forms[i], canon);
	/* all-ASCII local part: both rule versions agree, nothing else to ask */
	assert_int_equal(sk_email_legacy_forms(" Anna@Example.com", "anna@example.com", forms,
					       SK_EMAIL_LEGACY_MAX), 0);
	assert_int_equal(sk_email_legacy_forms("anna@B\xc3\xbc""cher.example",
					       "anna@xn--bcher-kva.example", forms,
					       SK_EMAIL_LEGACY_MAX), 0);
	/* more than SK_EMAIL_LEGACY_LETTERS letters: lower, upper, capitalised */
	n = sk_email_legacy_forms("\xc3\x85\xc3\x84\xc3\x96\xc3\x98@example.com",
				  "\xc3\xa5\xc3\xa4\xc3\xb6\xc3\xb8@example.com", forms,
				  SK_EMAIL_LEGACY_MAX);
	assert_true(n >= 2 && n <= 5);
	assert_string_equal(forms[0], "\xc3\x85\xc3\x84\xc3\x96\xc3\x98@example.com");
	/* at most max */
	assert_int_equal(sk_email_legacy_forms("A\xcc\x8aSA.\xc3\xb6""berg@example.com", canon, forms, 2), 2);
}

/* Key rotation at the vault: a data key and a system secret made again under the new key
 * open with it and no longer with the old one alone; the carried keys give the new vault the
 * old email hash key; the old token key verifies only through the carried check, only up to
 * its until, and a token that claims a longer life is refused as forged. */
static void rotation_keys(void **state)
{
	(void)state;
	char k1[128], tmp[160], carried[SK_VAULT_CARRY_HEX], c2[65], subject[SK_TOKEN_MAX];
	char tok[SK_TOKEN_MAX], forged[SK_TOKEN_MAX], *plain = NULL;
	struct sk_vault *v1, *nv, *v2, *other;
	int64_t retired = -1;
	struct sk_errctx e = {0};
	uint8_t dk[SK_VAULT_KEY_LEN], dk2[SK_VAULT_KEY_LEN], w1[SK_VAULT_WRAPPED_LEN];
	uint8_t w2[SK_VAULT_WRAPPED_LEN], h1[32], h2[32], *s1 = NULL, *s2 = NULL;
	size_t l1, l2, plen;
	struct stat st;
	const int64_t now = 1000000, until = now + 100;

	snprintf(k1, sizeof(k1), "%s/rot.key", dir);
	snprintf(tmp, sizeof(tmp), "%s.rotate", k1);
	assert_int_equal(sk_vault_keyfile_create(k1, &e), 0);
	assert_int_equal(sk_vault_open(k1, &v1, &e), 0);
	assert_int_equal(sk_vault_generation(v1), 1);
	sk_vault_datakey_new(v1, "c_1", dk, w1);
	assert_int_equal(sk_vault_seal_system(v1, "webhook/w_1", "whsec_x", 7, &s1, &l1), 0);
	assert_int_equal(sk_vault_token_sign(v1, "unsub", "r_1", until, tok), 0);
	assert_int_equal(sk_vault_token_sign(v1, "unsub", "r_1", until + 1, forged), 0);

	/* the new key file: beside the old, O_EXCL and 0600; a leftover is replaced; one
	 * rotation of a key file at a time (flock), the other's new file left alone */
	assert_int_equal(sk_vault_rotate_begin(v1, &nv, &e), 0);
	assert_int_equal(sk_vault_open(k1, &v2, &e), 0);
	assert_int_equal(sk_vault_rotate_begin(v2, &other, &e), SK_ERR_BUSY);
	assert_int_equal(sk_vault_rotate_begin(v1, &other, &e), SK_ERR_BUSY);
	assert_int_equal(stat(tmp, &st), 0);
	sk_vault_free(nv);
	sk_vault_rotate_unlock(v1);
	assert_int_equal(sk_vault_rotate_begin(v2, &other, &e), 0);
	sk_vault_rotate_abandon(v2, other);
	assert_int_not_equal(stat(tmp, &st), 0);
	sk_vault_free(v2);
	assert_int_equal(sk_vault_rotate_begin(v1, &nv, &e), 0);
	assert_int_equal(stat(tmp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(sk_vault_datakey_rewrap(v1, nv, "c_1", w1, sizeof(w1), w2), 0);
	assert_int_equal(sk_vault_datakey_rewrap(v1, nv, "c_2", w1, sizeof(w1), w2), SK_ERR_CRYPTO);
	assert_int_equal(sk_vault_datakey_rewrap(v1, nv, "c_1", w1, sizeof(w1), w2), 0);
	assert_int_equal(sk_vault_datakey_unwrap(nv, "c_1", w2, sizeof(w2), dk2), 0);
	assert_memory_equal(dk, dk2, sizeof(dk));
	assert_int_equal(sk_vault_datakey_unwrap(v1, "c_1", w2, sizeof(w2), dk2), SK_ERR_CRYPTO);
	assert_int_equal(sk_vault_reseal_system(v1, nv, "webhook/w_1", s1, l1, &s2, &l2), 0);
	assert_int_equal(sk_vault_unseal_system(v1, "webhook/w_1", s2, l2, &plain, &plen),
			 SK_ERR_CRYPTO);
	assert_int_equal(sk_vault_unseal_system(nv, "webhook/w_1", s2, l2, &plain, &plen), 0);
	assert_string_equal(plain, "whsec_x");
	sk_free(plain);

	/* the database commits; the rename; a vault of the new file takes the carried keys */
	assert_int_equal(sk_vault_carry_seal(v1, nv, now, until, 2, carried, sizeof(carried)), 0);
	assert_int_equal(sk_vault_carry_seal(v1, nv, now, until, 2, carried, 16), SK_ERR_INVALID);
	sk_vault_check_value(nv, c2);
	char zero[65];
	memset(zero, '0', 64);
	zero[64] = '\0';
	assert_int_equal(sk_vault_rotate_finish(v1, zero, 0, &e), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_vault_rotate_finish(v1, c2, 0, &e), 0);
	assert_int_not_equal(stat(tmp, &st), 0);
	/* done already (by another process): the key file is the one asked for */
	assert_int_equal(sk_vault_rotate_finish(v1, c2, 0, &e), 0);
	assert_int_equal(sk_vault_rotate_finish(v1, zero, 0, &e), SK_ERR_NOT_FOUND);
	sk_vault_rotate_unlock(v1);
	assert_int_equal(sk_vault_open(k1, &v2, &e), 0);
	sk_vault_email_key(v1, "anna@example.com", h1);
	sk_vault_email_key(v2, "anna@example.com", h2);
	assert_memory_not_equal(h1, h2, 32); /* the file alone: its own email key */
	assert_int_equal(sk_vault_reload(v2, NULL, c2, 3, carried, &e), SK_ERR_KEY); /* wrong gen */
	char bad[65];
	sk_vault_check_value(v1, bad);
	assert_int_equal(sk_vault_reload(v2, NULL, bad, 2, carried, &e), SK_ERR_KEY);
	assert_int_equal(sk_vault_reload(v2, NULL, c2, 2, carried, &e), 0);
	assert_int_equal(sk_vault_generation(v2), 2);
	sk_vault_email_key(v2, "anna@example.com", h2);
	assert_memory_equal(h1, h2, 32);
	assert_int_equal(sk_vault_datakey_unwrap(v2, "c_1", w2, sizeof(w2), dk2), 0);

	/* tokens: the new key signs; the old verifies only carried, only to its until */
	assert_int_equal(sk_vault_token_verify(v2, "unsub", tok, now, subject, NULL), SK_ERR_INVALID);
	assert_int_equal(sk_vault_token_verify_carried(v2, "unsub", tok, now, subject, NULL, &retired), 0);
	assert_true(retired == now); /* the old key matched: retired at the rotation */
	assert_string_equal(subject, "r_1");
	assert_int_equal(sk_vault_token_verify_carried(v2, "unsub", forged, now, subject, NULL, NULL),
			 SK_ERR_INVALID);
	assert_int_equal(sk_vault_token_verify_carried(v2, "unsub", tok, until, subject, NULL, NULL),
			 SK_ERR_INVALID);
	assert_int_equal(sk_vault_token_sign(v2, "unsub", "r_2", until + 1000, tok), 0);
	assert_int_equal(sk_vault_token_verify(v2, "unsub", tok, now, subject, NULL), 0);
	assert_int_equal(sk_vault_token_verify(v1, "unsub", tok, now, subject, NULL), SK_ERR_INVALID);

	/* the vault that was on the old key, reloaded: the old set still opens for the grace
	 * (a snapshot begun before the commit), then never (issue 17, Low 8) */
	assert_int_equal(sk_vault_reload(v1, NULL, c2, 2, carried, &e), 0);
	assert_int_equal(sk_vault_datakey_unwrap(v1, "c_1", w1, sizeof(w1), dk2), 0);
	assert_int_equal(sk_vault_unseal_system(v1, "webhook/w_1", s1, l1, &plain, &plen), 0);
	sk_free(plain);
	sk_vault_set_prev_grace(v1, 0);
	assert_int_equal(sk_vault_datakey_unwrap(v1, "c_1", w1, sizeof(w1), dk2), SK_ERR_CRYPTO);
	assert_int_equal(sk_vault_unseal_system(v1, "webhook/w_1", s1, l1, &plain, &plen),
			 SK_ERR_CRYPTO);
	assert_int_equal(sk_vault_datakey_unwrap(v1, "c_1", w2, sizeof(w2), dk2), 0);

	sk_vault_wipe(dk, sizeof(dk));
	sk_free(s1);
	sk_free(s2);
	sk_vault_free(v1);
	sk_vault_free(nv);
	sk_vault_free(v2);
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

/* The user-space randomness of bulk work (sk_vault_rng_seed): draws never repeat within a
 * seed, two seeds give different streams, sk_random draws from it only while it is on, and
 * values sealed under it open as any others. */
static void *other_thread(void *arg)
{
	/* another thread is never switched: its draws are the kernel's, and it can stop
	 * nothing of ours */
	uint8_t *out = arg;
	sk_vault_rng_stop();
	return sk_random(out, 32) == 0 ? out : NULL;
}

static void rng_batches(void **state)
{
	(void)state;
	uint8_t a[4200], b[4200], c[4200], d[32];
	assert_int_equal(sk_vault_rng_seed(), 0);
	/* more than one 4 KiB block, in odd sizes: no 16-byte window repeats */
	for (size_t off = 0; off < sizeof(a); off += 7)
		assert_int_equal(sk_random(a + off, sizeof(a) - off < 7 ? sizeof(a) - off : 7), 0);
	for (size_t i = 0; i + 16 <= sizeof(a); i += 16)
		for (size_t j = i + 16; j + 16 <= sizeof(a); j += 16)
			assert_false(memcmp(a + i, a + j, 16) == 0);
	/* a fresh seed: another stream */
	assert_int_equal(sk_vault_rng_seed(), 0);
	assert_int_equal(sk_random(b, sizeof(b)), 0);
	assert_false(memcmp(a, b, 64) == 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, other_thread, d), 0);
	void *got;
	assert_int_equal(pthread_join(th, &got), 0);
	assert_ptr_equal(got, d);
	/* still ours after the other thread "stopped": the stream goes on without repeating */
	assert_int_equal(sk_random(c, 64), 0);
	assert_false(memcmp(c, b, 64) == 0);
	/* data keys and nonces come from it, and open as usual */
	struct sk_errctx err = {0};
	char dir[] = "/tmp/sk-vault-rng.XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k", dir);
	assert_int_equal(sk_vault_keyfile_create(path, &err), 0);
	struct sk_vault *v;
	assert_int_equal(sk_vault_open(path, &v, &err), 0);
	uint8_t dk[SK_VAULT_KEY_LEN], dk2[SK_VAULT_KEY_LEN], w[SK_VAULT_WRAPPED_LEN];
	assert_int_equal(sk_vault_datakey_new(v, "ct1", dk, w), 0);
	assert_int_equal(sk_vault_datakey_unwrap(v, "ct1", w, sizeof(w), dk2), 0);
	assert_memory_equal(dk, dk2, sizeof(dk));
	uint8_t *s1, *s2;
	size_t n1, n2;
	assert_int_equal(sk_vault_seal(dk, "f", "same", 4, &s1, &n1), 0);
	assert_int_equal(sk_vault_seal(dk, "f", "same", 4, &s2, &n2), 0);
	assert_false(memcmp(s1, s2, 24) == 0); /* a new nonce each time */
	char *p;
	size_t pl;
	assert_int_equal(sk_vault_unseal(dk, "f", s1, n1, &p, &pl), 0);
	assert_string_equal(p, "same");
	sk_free(p);
	sk_free(s1);
	sk_free(s2);
	sk_vault_free(v);
	unlink(path);
	rmdir(dir);
	/* stopped: the kernel again (and stopping twice is harmless) */
	sk_vault_rng_stop();
	sk_vault_rng_stop();
	assert_int_equal(sk_random(c, 32), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(canonical_forms),
		cmocka_unit_test(canonical_refusals),
		cmocka_unit_test(canonical_unicode),
		cmocka_unit_test(canonical_unicode_refusals),
		cmocka_unit_test(canonical_legacy),
		cmocka_unit_test(keyfile_and_email_key),
		cmocka_unit_test(rotation_keys),
		cmocka_unit_test(rng_batches),
		cmocka_unit_test(datakeys_and_sealing),
		cmocka_unit_test(sha256_known_answer),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
