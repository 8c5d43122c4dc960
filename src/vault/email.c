/* email.c: canonical form of an e-mail address, the one key under which a person is found:
 * valid UTF-8 only, surrounding white space trimmed, the local part in Unicode NFC and fully
 * lowercased (libunistring), the domain in IDNA A-label form (libidn2, IDNA 2008 with UTS #46
 * non-transitional mapping). The rules of canonical form version 1 stay as the legacy
 * function, for suppression keys written before version 2. See docs/internals/vault.md. */
#include "vault/vault.h"

#include <idn2.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "util/err.h"
#include "util/mem.h"

/* Room for the local part while it is normalised and lowercased; a result that does not fit
 * is far over the 64-byte limit and refused. */
#define LOCAL_WORK 256

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Characters a local part may not carry unquoted (RFC 5322 specials, space, controls). */
static int local_char_ok(unsigned char c)
{
	if (c < 0x21 || c == 0x7f)
		return 0;
	return !strchr("\"(),:;<>[\\]@", c);
}

static int domain_ok(const char *d, struct sk_errctx *err)
{
	size_t len = strlen(d), label = 0;
	if (len == 0 || len > 253)
		return sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail domain must be 1 to 253 characters");
	if (!strchr(d, '.'))
		return sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail domain must contain a dot");
	for (size_t i = 0; i <= len; i++) {
		char c = d[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || d[i - 1] == '-' || d[i - label] == '-')
				return sk_errf(err, SK_ERR_INVALID_EMAIL,
					       "e-mail domain has an empty, too long or hyphen-edged label");
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
			label++;
		} else {
			return sk_errf(err, SK_ERR_INVALID_EMAIL,
				       "e-mail domain has a character not allowed at byte %zu", i + 1);
		}
	}
	return 0;
}

/* The domain (dlen bytes at d): ASCII-lowercased, through IDNA when it has a non-ASCII byte,
 * checked, and written to out + pos (the address may not pass SK_EMAIL_MAX). The same in
 * both versions of the rules. */
static int domain_canon(const char *d0, size_t dlen, char out[SK_EMAIL_MAX + 1], size_t pos,
			struct sk_errctx *err)
{
	char *ascii = NULL;
	int rc = 0;
	char *domain = sk_strndup(d0, dlen);
	if (!domain)
		return SK_ERR_NOMEM;
	int ascii_only = 1;
	for (char *p = domain; *p; p++) {
		if ((unsigned char)*p >= 0x80)
			ascii_only = 0;
		else if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	}
	const char *d = domain;
	if (!ascii_only) {
		if (idn2_to_ascii_8z(domain, &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) !=
		    IDN2_OK) {
			rc = sk_errf(err, SK_ERR_INVALID_EMAIL,
				     "e-mail domain is not a valid internationalised domain name");
			goto out;
		}
		for (char *p = ascii; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		d = ascii;
	}
	if ((rc = domain_ok(d, err)) != 0)
		goto out;
	if (pos + strlen(d) > SK_EMAIL_MAX) {
		rc = sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail address is longer than %d bytes",
			     SK_EMAIL_MAX);
		goto out;
	}
	memcpy(out + pos, d, strlen(d) + 1);
out:
	idn2_free(ascii);
	sk_free(domain);
	return rc;
}

int sk_email_ascii_domain(const char *in, char out[SK_EMAIL_MAX + 1], struct sk_errctx *err)
{
	const char *at = in ? strrchr(in, '@') : NULL;
	if (!at || at == in || !at[1])
		return sk_errf(err, SK_ERR_INVALID, "the address lacks a local part or a domain");
	size_t pos = (size_t)(at - in) + 1;
	if (pos > SK_EMAIL_MAX)
		return sk_errf(err, SK_ERR_INVALID, "the address is longer than %d bytes",
			       SK_EMAIL_MAX);
	memcpy(out, in, pos);
	const char *d = at + 1;
	char *ascii = NULL;
	int idn = 0;
	for (const char *p = d; *p; p++)
		idn |= (unsigned char)*p >= 0x80;
	/* an ASCII domain (a name, an A-label, a literal) goes as it is */
	if (idn) {
		if (idn2_to_ascii_8z(d, &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK)
			return sk_errf(err, SK_ERR_INVALID, "the domain is not a valid "
				       "internationalised domain name");
		for (char *p = ascii; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		d = ascii;
	}
	int rc = 0;
	if (pos + strlen(d) > SK_EMAIL_MAX)
		rc = sk_errf(err, SK_ERR_INVALID, "the address is longer than %d bytes",
			     SK_EMAIL_MAX);
	else
		memcpy(out + pos, d, strlen(d) + 1);
	idn2_free(ascii);
	return rc;
}

/* Version 1 (before canonical form version 2): trimmed, ASCII letters lowercased, bytes of
 * 0x80 and above taken as they come, IDNA domain. Kept unchanged: suppression keys made
 * under it cannot be re-keyed. */
int sk_email_canonical_legacy(const char *in, char out[SK_EMAIL_MAX + 1], struct sk_errctx *err)
{
	const char *start = in, *end;

	if (!in)
		return sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail address missing");
	while (is_space((unsigned char)*start))
		start++;
	end = start + strlen(start);
	while (end > start && is_space((unsigned char)end[-1]))
		end--;
	size_t len = (size_t)(end - start);
	if (len == 0)
		return sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail address is empty");
	if (len > SK_EMAIL_MAX)
		return sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail address is longer than %d bytes",
			       SK_EMAIL_MAX);

	const char *at = memchr(start, '@', len);
	if (!at || memchr(at + 1, '@', (size_t)(end - at - 1)))
		return sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail address must contain one '@'");
	size_t llen = (size_t)(at - start);
	if (llen == 0 || llen > 64)
		return sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail local part must be 1 to 64 bytes");
	for (size_t i = 0; i < llen; i++) {
		unsigned char c = (unsigned char)start[i];
		if (!local_char_ok(c))
			return sk_errf(err, SK_ERR_INVALID_EMAIL,
				       "e-mail address has a character not allowed at byte %zu", i + 1);
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : (char)c;
	}
	if (start[0] == '.' || start[llen - 1] == '.' || memmem(start, llen, "..", 2))
		return sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail local part has a misplaced dot");
	out[llen] = '@';
	return domain_canon(at + 1, (size_t)(end - at - 1), out, llen + 1, err);
}

/* White space that surrounds an address in a file or a form: Unicode White_Space (ASCII
 * space, tab and line ends, no-break space, the typographic spaces) and the byte order mark. */
static int trim_space(ucs4_t uc)
{
	if (uc < 0x80) /* ASCII's White_Space: tab, line ends, space */
		return is_space((unsigned char)uc);
	return uc == 0xfeff || uc_is_property_white_space(uc);
}

/* An RFC 2047 encoded word ("=?charset?q?...?="): the text of a mail header, not an address. */
static int has_encoded_word(const char *s, size_t len)
{
	const char *open = memmem(s, len, "=?", 2);
	return open && memmem(open + 2, len - (size_t)(open + 2 - s), "?=", 2) != NULL;
}

int sk_email_forms(const char *in, char written[SK_EMAIL_MAX + 1], char out[SK_EMAIL_MAX + 1],
		   struct sk_errctx *err)
{
	uint8_t nfc_buf[LOCAL_WORK], low_buf[LOCAL_WORK];
	uint8_t *nfc = NULL, *low = NULL;
	size_t nfc_len = sizeof(nfc_buf), low_len = sizeof(low_buf);
	ucs4_t uc;
	int rc = 0;

	if (!in)
		return sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail address missing");
	size_t inlen = strlen(in);
	const uint8_t *bad = u8_check((const uint8_t *)in, inlen);
	if (bad)
		return sk_errf(err, SK_ERR_INVALID_EMAIL,
			       "e-mail address is not valid UTF-8 at byte %zu (a file in another "
			       "encoding, such as Latin-1?)",
			       (size_t)(bad - (const uint8_t *)in) + 1);

	const uint8_t *start = (const uint8_t *)in, *end = start + inlen, *p;
	while (start < end) {
		int n = u8_mbtouc(&uc, start, (size_t)(end - start));
		if (!trim_space(uc))
			break;
		start += n;
	}
	while (end > start) {
		p = u8_prev(&uc, end, start);
		if (!p || !trim_space(uc))
			break;
		end = p;
	}
	size_t len = (size_t)(end - start);
	if (len == 0)
		return sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail address is empty");
	if (len > SK_EMAIL_MAX)
		return sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail address is longer than %d bytes",
			       SK_EMAIL_MAX);
	/* Nothing invisible inside: controls (C0, DEL, C1), format characters (zero-width
	 * spaces and joiners, direction marks, the byte order mark) and spaces of any kind. */
	for (p = start; p < end;) {
		if (*p > 0x20 && *p < 0x7f) { /* printable ASCII, the common case */
			p++;
			continue;
		}
		int n = u8_mbtouc(&uc, p, (size_t)(end - p));
		size_t at = (size_t)(p - (const uint8_t *)in) + 1;
		if (uc_is_general_category(uc, UC_CATEGORY_Cc))
			return sk_errf(err, SK_ERR_INVALID_EMAIL,
				       "e-mail address has a control character at byte %zu", at);
		if (uc_is_general_category(uc, UC_CATEGORY_Cf))
			return sk_errf(err, SK_ERR_INVALID_EMAIL,
				       "e-mail address has an invisible formatting character at byte %zu",
				       at);
		if (trim_space(uc))
			return sk_errf(err, SK_ERR_INVALID_EMAIL,
				       "e-mail address has a space at byte %zu", at);
		p += n;
	}
	if (has_encoded_word((const char *)start, len))
		return sk_errf(err, SK_ERR_INVALID_EMAIL,
			       "e-mail address is an RFC 2047 encoded word (=?...?=), not an address: "
			       "give the address itself");

	const uint8_t *at = memchr(start, '@', len);
	if (!at || memchr(at + 1, '@', (size_t)(end - at - 1)))
		return sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail address must contain one '@'");
	size_t llen = (size_t)(at - start);
	if (llen == 0 || llen > 64)
		return sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail local part must be 1 to 64 bytes");
	for (size_t i = 0; i < llen; i++)
		if (!local_char_ok(start[i]))
			return sk_errf(err, SK_ERR_INVALID_EMAIL,
				       "e-mail address has a character not allowed at byte %zu", i + 1);

	/* The local part: NFC, then full lowercase (the result normalised to NFC again, since
	 * case mapping can leave a decomposed sequence). ASCII is NFC already, and its full
	 * lowercase is its ASCII lowercase: the common case skips both. */
	int ascii = 1;
	for (size_t i = 0; i < llen && ascii; i++)
		ascii = start[i] < 0x80;
	if (ascii) {
		for (size_t i = 0; i < llen; i++)
			out[i] = (char)(start[i] >= 'A' && start[i] <= 'Z' ? start[i] + 32 : start[i]);
		if (start[0] == '.' || start[llen - 1] == '.' || memmem(start, llen, "..", 2))
			return sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail local part has a misplaced dot");
		out[llen] = '@';
		if ((rc = domain_canon((const char *)at + 1, (size_t)(end - at - 1), out, llen + 1, err)))
			return rc;
		goto written;
	}
	nfc = u8_normalize(UNINORM_NFC, start, llen, nfc_buf, &nfc_len);
	if (nfc)
		low = u8_tolower(nfc, nfc_len, NULL, UNINORM_NFC, low_buf, &low_len);
	if (!nfc || !low) {
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory while canonicalising an address");
		goto out;
	}
	if (nfc != nfc_buf || low != low_buf || low_len == 0 || low_len > 64) {
		rc = sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail local part must be 1 to 64 bytes");
		goto out;
	}
	/* NFC can turn a letter into an ASCII special (U+037E GREEK QUESTION MARK becomes ';'):
	 * the result is checked again, so that the canonical form is itself a valid address and
	 * canonicalising it changes nothing. */
	for (size_t i = 0; i < low_len; i++)
		if (low[i] < 0x80 && !local_char_ok(low[i])) {
			rc = sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail local part has a character "
				     "that normalises to one not allowed (an ASCII special)");
			goto out;
		}
	if (low[0] == '.' || low[low_len - 1] == '.' || memmem(low, low_len, "..", 2)) {
		rc = sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail local part has a misplaced dot");
		goto out;
	}
	memcpy(out, low, low_len);
	out[low_len] = '@';
	if ((rc = domain_canon((const char *)at + 1, (size_t)(end - at - 1), out, low_len + 1, err)))
		goto out;
written:
	if (written) {
		memcpy(written, start, len);
		written[len] = '\0';
	}
out:
	/* libunistring allocates with malloc when a result does not fit the buffer given */
	if (nfc && nfc != nfc_buf)
		free(nfc);
	if (low && low != low_buf)
		free(low);
	sk_vault_wipe(nfc_buf, sizeof(nfc_buf));
	sk_vault_wipe(low_buf, sizeof(low_buf));
	return rc;
}

int sk_email_canonical(const char *in, char out[SK_EMAIL_MAX + 1], struct sk_errctx *err)
{
	return sk_email_forms(in, NULL, out, err);
}

/* Letters outside ASCII whose case the old rules kept: the ones that tell old keys apart. */
static int cased_nonascii(ucs4_t uc)
{
	return uc >= 0x80 && uc_toupper(uc) != uc_tolower(uc);
}

/* The local part s (canonical: NFC, lowercase) respelt: with mask >= 0, bit i of mask makes
 * the i-th cased non-ASCII letter upper case; with mask -1 every letter is upper case; with
 * mask -2 the first letter of each run of letters ("Åsa.Öberg"). Simple per-character
 * mappings: the old rules changed no length. */
static int respell(const uint8_t *s, size_t len, long mask, uint8_t *out, size_t cap,
		   size_t *outlen)
{
	size_t n = 0;
	int in_word = 0, i_cased = 0;
	for (size_t i = 0; i < len;) {
		ucs4_t uc;
		int k = u8_mbtouc(&uc, s + i, len - i), up;
		int letter = uc_is_property_alphabetic(uc);
		if (mask == -1)
			up = 1;
		else if (mask == -2)
			up = letter && !in_word;
		else
			up = cased_nonascii(uc) && ((mask >> i_cased++) & 1);
		in_word = letter;
		int w = u8_uctomb(out + n, up ? uc_toupper(uc) : uc, (ptrdiff_t)(cap - n));
		if (w < 0)
			return -1;
		n += (size_t)w;
		i += (size_t)k;
	}
	*outlen = n;
	return 0;
}

/* Adds the legacy form of local@domain, in NFC or NFD, unless it is canon or there already. */
static void legacy_add(const uint8_t *local, size_t llen, int nfd, const char *canon,
		       const char *domain, char out[][SK_EMAIL_MAX + 1], size_t *n)
{
	uint8_t buf[LOCAL_WORK], *v;
	size_t vlen = sizeof(buf);
	char cand[LOCAL_WORK + SK_EMAIL_MAX + 2];
	v = u8_normalize(nfd ? UNINORM_NFD : UNINORM_NFC, local, llen, buf, &vlen);
	if (!v)
		return;
	if (v == buf && vlen + 1 + strlen(domain) < sizeof(cand)) {
		memcpy(cand, v, vlen);
		cand[vlen] = '@';
		memcpy(cand + vlen + 1, domain, strlen(domain) + 1);
		if (sk_email_canonical_legacy(cand, out[*n], NULL) == 0 &&
		    strcmp(out[*n], canon) != 0) {
			int dup = 0;
			for (size_t j = 0; j < *n && !dup; j++)
				dup = strcmp(out[j], out[*n]) == 0;
			if (!dup)
				(*n)++;
		}
		sk_vault_wipe(cand, sizeof(cand));
	}
	if (v != buf)
		free(v);
	sk_vault_wipe(buf, sizeof(buf));
}

size_t sk_email_legacy_forms(const char *in, const char *canon,
			     char out[][SK_EMAIL_MAX + 1], size_t max)
{
	size_t n = 0;
	const char *at = strchr(canon, '@');
	if (!in || !at || max == 0)
		return 0;
	/* 1. what the old rules made of this very input */
	if (sk_email_canonical_legacy(in, out[n], NULL) == 0 && strcmp(out[n], canon) != 0)
		n++;
	/* 2. what they made of the same address spelt otherwise: each cased non-ASCII letter
	 * in either case when there are at most SK_EMAIL_LEGACY_LETTERS of them (else all lower,
	 * all upper, capitalised), each composed (NFC) and decomposed (NFD) */
	const uint8_t *local = (const uint8_t *)canon;
	size_t llen = (size_t)(at - canon);
	int k = 0;
	for (size_t i = 0; i < llen;) {
		ucs4_t uc;
		i += (size_t)u8_mbtouc(&uc, local + i, llen - i);
		k += cased_nonascii(uc);
	}
	long masks[1 << SK_EMAIL_LEGACY_LETTERS];
	size_t nmasks = 0;
	if (k <= SK_EMAIL_LEGACY_LETTERS) {
		for (long m = 0; m < (1L << k); m++)
			masks[nmasks++] = m;
	} else {
		masks[nmasks++] = 0;
		masks[nmasks++] = -1;
		masks[nmasks++] = -2;
	}
	for (size_t i = 0; i < nmasks; i++) {
		uint8_t sp[LOCAL_WORK];
		size_t splen;
		if (respell(local, llen, masks[i], sp, sizeof(sp), &splen) == 0)
			for (int nfd = 0; nfd < 2 && n < max; nfd++)
				legacy_add(sp, splen, nfd, canon, at + 1, out, &n);
		sk_vault_wipe(sp, sizeof(sp));
	}
	return n;
}
