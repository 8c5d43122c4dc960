/* client.c: who the client is. Numeric IPv4 and IPv6 addresses, --trusted-proxy prefixes,
 * and the X-Forwarded-For rule: only a trusted peer's header counts, read from the right,
 * skipping addresses that are themselves trusted proxies. */
#include "http/http_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address it maps. */
static void unmap(struct sk_ipaddr *ip)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (ip->family == AF_INET6 && memcmp(ip->a, prefix, 12) == 0) {
		memmove(ip->a, ip->a + 12, 4);
		memset(ip->a + 4, 0, 12);
		ip->family = AF_INET;
	}
}

int sk_ip_parse(const char *s, size_t len, struct sk_ipaddr *out)
{
	char buf[INET6_ADDRSTRLEN];
	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, out->a) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, out->a) == 1)
		out->family = AF_INET6;
	else
		return -1;
	unmap(out);
	return 0;
}

int sk_ip_from_sockaddr(const struct sockaddr *sa, struct sk_ipaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa && sa->sa_family == AF_INET) {
		out->family = AF_INET;
		memcpy(out->a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		out->family = AF_INET6;
		memcpy(out->a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		unmap(out);
	} else {
		return -1;
	}
	return 0;
}

void sk_ip_format(const struct sk_ipaddr *ip, char *out, size_t len)
{
	out[0] = '\0';
	if (ip->family && !inet_ntop(ip->family, ip->a, out, (socklen_t)len))
		out[0] = '\0';
}

int sk_cidr_parse(const char *s, struct sk_cidr *out)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	memset(out, 0, sizeof(*out));
	if (sk_ip_parse(s, alen, &out->ip))
		return -1;
	/* A mapped address was given as IPv6; its prefix counts the 96 bits of the mapping. */
	int mapped = out->ip.family == AF_INET && memchr(s, ':', alen) != NULL;
	unsigned max = out->ip.family == AF_INET ? 32 : 128;
	unsigned long bits = mapped ? 128 : max;
	if (slash) {
		char *end;
		if (!slash[1] || slash[1] < '0' || slash[1] > '9')
			return -1;
		bits = strtoul(slash + 1, &end, 10);
		if (*end || bits > (mapped ? 128u : max) || (mapped && bits < 96))
			return -1;
	}
	out->bits = (unsigned)(mapped ? bits - 96 : bits);
	/* the host bits are cleared, so that 10.1.2.3/8 means 10.0.0.0/8 */
	for (unsigned i = out->bits; i < max; i++)
		out->ip.a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	return 0;
}

int sk_cidr_match(const struct sk_cidr *set, size_t n, const struct sk_ipaddr *ip)
{
	for (size_t k = 0; k < n; k++) {
		const struct sk_cidr *c = &set[k];
		if (c->ip.family != ip->family)
			continue;
		unsigned full = c->bits / 8, rest = c->bits % 8;
		if (memcmp(c->ip.a, ip->a, full) != 0)
			continue;
		if (rest && ((c->ip.a[full] ^ ip->a[full]) & (uint8_t)(0xff00u >> rest)))
			continue;
		return 1;
	}
	return 0;
}

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
