/* str.h: small string helpers: hex, random ids, bounded copies. */
#ifndef SK_STR_H
#define SK_STR_H

#include <stddef.h>
#include <stdint.h>

#define SK_ID_LEN 26 /* prefix (2) + 24 base32 characters; buffers are SK_ID_LEN + 1 */

/* Lowercase hex of len bytes into out (2 * len + 1 bytes). */
void sk_hex(const uint8_t *p, size_t len, char *out);
/* Parses exactly 2 * len hex digits; returns 0 or SK_ERR_INVALID. */
int sk_unhex(const char *s, uint8_t *out, size_t len);
/* An opaque id such as "c_k3x...": a two-character prefix, 10 base32 characters of the time
 * in milliseconds (ids sort by creation), 14 of randomness (70 bits). */
int sk_id_new(const char prefix[2], char out[SK_ID_LEN + 1]);
/* The same for a given time in milliseconds since the epoch. */
int sk_id_new_at(const char prefix[2], uint64_t ms, char out[SK_ID_LEN + 1]);
/* Copies at most outlen - 1 bytes and terminates; returns 0 or SK_ERR_TOO_LARGE when cut. */
int sk_strlcpy(char *out, const char *s, size_t outlen);
/* s without leading and trailing white space: the start, and its length in *outlen. */
const char *sk_trim(const char *s, size_t *outlen);
/* Length of the valid UTF-8 character at p (at most n bytes available, n >= 1), or 0 when p
 * does not start one (stray continuation, overlong form, surrogate, beyond U+10FFFF, cut). */
size_t sk_utf8_char(const unsigned char *p, size_t n);
/* A URL reduced to what identifies a page, not a person: scheme, host (with its port) and
 * path are kept; userinfo ("user:pass@"), query and fragment are dropped. A URL with a scheme
 * but no "//" authority (mailto:, tel:, data:) keeps only "scheme:". Bytes that are not valid
 * UTF-8 and control characters are dropped, so the result is valid UTF-8 and never longer
 * than in. At most outlen - 1 bytes are written, cut on a character boundary, and the
 * result is always terminated; returns 0, or SK_ERR_TOO_LARGE when it had to be cut
 * (outlen 0 writes nothing and returns SK_ERR_TOO_LARGE). */
int sk_url_strip(const char *in, char *out, size_t outlen);
/* A free-text source label (docs/rights.md) with every URL in it reduced: each
 * white-space-separated word that holds "://" goes through sk_url_strip; a word that starts
 * with '/' or holds '?' loses everything from its first '?' or '#'. Other words are kept as
 * they are (invalid UTF-8 and control characters dropped). Same output rules and result as
 * sk_url_strip. */
int sk_source_strip(const char *in, char *out, size_t outlen);
/* Fills len random bytes from the kernel; returns 0 or SK_ERR_IO. */
int sk_random(void *p, size_t len);
/* A source that sk_random draws from on this thread instead of the kernel (NULL: the
 * kernel again). The vault sets it for bulk work (sk_vault_rng_seed); util knows no crypto. */
void sk_random_set_source(int (*fn)(void *p, size_t len));

#endif
