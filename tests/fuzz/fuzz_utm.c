/* fuzz_utm.c: libFuzzer target for the UTM link builder (core/utm.c): no input crashes; a
 * refusal names a field and a reason, and is the first of the list of every refusal; a link built is printable ASCII without space, keeps
 * the URL's fragment as its end, and is a fixed point (building it again with the same
 * values gives the same link: the utm_* it carries are replaced, nothing else moves).
 * Built from meson.build (-Dfuzz=true, clang) and run by scripts/fuzz.sh (make fuzz). */
#include <stdint.h>
#include <string.h>

#include "core/utm.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the first byte's low bit: keep_case; then url, source, medium, campaign, term and
	 * content, split at NUL bytes (a part missing is NULL) */
	const char *part[6] = {0};
	struct sk_utm_fault fault;
	struct sk_errctx err;
	char *s, *link = NULL, *again = NULL;
	if (!size)
		return 0;
	if (!(s = sk_malloc(size)))
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	for (size_t i = 0, at = 0; i < 6 && at < size; i++) {
		part[i] = s + at;
		at += strlen(s + at) + 1;
	}
	struct sk_utm_in in = {part[0], part[1], part[2], part[3], part[4], part[5], data[0] & 1};
	int rc = sk_utm_build_why(&in, &link, &fault, &err);
	/* the console's list of every refusal: empty exactly when the link is built, its first
	 * the build's */
	struct sk_utm_fault all[SK_UTM_NFIELDS];
	size_t nall = sk_utm_faults(&in, all);
	if ((nall == 0) != (rc == 0) || nall > SK_UTM_NFIELDS ||
	    (nall && (all[0].field != fault.field || all[0].why != fault.why)))
		__builtin_trap();
	if (rc) {
		if (rc != SK_ERR_INVALID || !fault.field || fault.why <= SK_UTM_OK ||
		    fault.why >= SK_UTM_NWHY || link ||
		    strncmp(err.msg, fault.field, strlen(fault.field)) != 0)
			__builtin_trap();
		goto out;
	}
	if (fault.field || !link)
		__builtin_trap();
	for (const char *p = link; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			__builtin_trap();
	const char *hash = strchr(in.url, '#');
	if (hash && (strlen(link) < strlen(hash) ||
		     strcmp(link + strlen(link) - strlen(hash), hash) != 0))
		__builtin_trap();
	/* a fixed point: the link with the same values (the same case rule) */
	struct sk_utm_in in2 = in;
	in2.url = link;
	if (strlen(link) <= SK_UTM_URL_MAX &&
	    (sk_utm_build_why(&in2, &again, &fault, &err) || strcmp(again, link) != 0))
		__builtin_trap();
out:
	sk_free(again);
	sk_free(link);
	sk_free(s);
	return 0;
}
