/* client.c: who the client is: the X-Forwarded-For rule. Only a trusted peer's header
 * counts, read from the right, skipping addresses that are themselves trusted proxies (the
 * addresses and --trusted-proxy prefixes themselves are util/net.h). */
#include "http/http_int.h"

#include <string.h>

int sk_client_ip(const struct sk_ipaddr *peer, const char *xff, const struct sk_cidr *trusted,
		 size_t ntrusted, struct sk_ipaddr *out)
{
	*out = *peer;
	if (!xff || !ntrusted || !sk_cidr_match(trusted, ntrusted, peer))
		return 0;
	/* From the right: each address was written by the hop to its right, which is trusted so
	 * far; the first address that is not a trusted proxy is the client. */
	size_t end = strlen(xff);
	while (end > 0) {
		size_t start = end;
		while (start > 0 && xff[start - 1] != ',')
			start--;
		size_t a = start, b = end;
		while (a < b && (xff[a] == ' ' || xff[a] == '\t'))
			a++;
		while (b > a && (xff[b - 1] == ' ' || xff[b - 1] == '\t'))
			b--;
		struct sk_ipaddr ip;
		if (a < b) {
			/* Not an address: the trusted hop to its right wrote something else; the
			 * last trusted hop is as far as the chain can be believed. */
			if (sk_ip_parse(xff + a, b - a, &ip))
				return 1;
			*out = ip;
			if (!sk_cidr_match(trusted, ntrusted, &ip))
				return 0;
		}
		end = start ? start - 1 : 0;
	}
	return 0;
}
