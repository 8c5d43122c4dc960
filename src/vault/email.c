/* email.c: canonical form of an e-mail address, the one key under which a person is found:
 * surrounding white space trimmed, ASCII letters lowercased, the domain in IDNA A-label form
 * (libidn2, IDNA 2008 with UTS #46 non-transitional mapping). */
#include "vault/vault.h"

#include <idn2.h>
#include <string.h>

#include "util/err.h"
#include "util/mem.h"

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

int sk_email_canonical(const char *in, char out[SK_EMAIL_MAX + 1], struct sk_errctx *err)
{
	const char *start = in, *end;
	char *ascii = NULL;
	int rc = 0;

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

	char *domain = sk_strndup(at + 1, (size_t)(end - at - 1));
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
	if (llen + 1 + strlen(d) > SK_EMAIL_MAX) {
		rc = sk_errf(err, SK_ERR_INVALID_EMAIL, "e-mail address is longer than %d bytes",
			     SK_EMAIL_MAX);
		goto out;
	}
	memcpy(out + llen + 1, d, strlen(d) + 1);
out:
	idn2_free(ascii);
	sk_free(domain);
	return rc;
}
