/* net.c: IP addresses for every layer: numeric parsing and prefixes (--trusted-proxy), the
 * classifier of special-purpose ranges that webhooks never reach, and the strict split and
 * resolve-and-check of an http(s) URL (getaddrinfo), or its check without the network. */
#include "util/net.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "util/str.h"

/* ---- addresses and prefixes ---- */

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

void sk_ip_truncate(struct sk_ipaddr *ip)
{
	if (ip->family == AF_INET)
		memset(ip->a + 3, 0, 13);
	else if (ip->family == AF_INET6)
		memset(ip->a + 6, 0, 10);
}

void sk_ip_key(const struct sk_ipaddr *ip, uint8_t out[16])
{
	if (ip->family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, ip->a, 4);
	} else {
		memcpy(out, ip->a, 16);
	}
}

void sk_cidr_keys(const struct sk_cidr *c, uint8_t start[16], uint8_t end[16])
{
	unsigned max = c->ip.family == AF_INET ? 32 : 128;
	sk_ip_key(&c->ip, start);
	memcpy(end, start, 16);
	for (unsigned i = c->bits; i < max; i++) {
		unsigned b = i + (128 - max);
		end[b / 8] |= (uint8_t)(0x80u >> (b % 8));
	}
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

/* ---- who may reach an address ---- */

/* One range of the classifier: a prefix, what it is, and who may reach it. embed >= 0: an
 * IPv4 address sits at that byte offset, and the verdict is the stricter of the range's
 * and that address's. The most specific range that holds an address decides. Sources: the
 * IANA IPv4 and IPv6 Special-Purpose Address Registries, RFC 6890, 6052, 7526, 9637, and
 * the metadata addresses of the big clouds (docs/webhooks.md lists them). */
struct addr_range {
	const char *prefix;
	enum sk_addr_verdict verdict;
	signed char embed;
	const char *what;
};

static const struct addr_range ranges[] = {
	/* IPv4: public unless listed */
	{"0.0.0.0/0", SK_ADDR_PUBLIC, -1, "public"},
	{"0.0.0.0/8", SK_ADDR_NEVER, -1, "this network (0.0.0.0 reaches the host itself)"},
	{"10.0.0.0/8", SK_ADDR_PRIVATE, -1, "private (RFC 1918)"},
	{"100.64.0.0/10", SK_ADDR_PRIVATE, -1, "shared address space (CGNAT)"},
	{"100.100.100.200/32", SK_ADDR_NEVER, -1, "cloud metadata (Alibaba Cloud)"},
	{"127.0.0.0/8", SK_ADDR_PRIVATE, -1, "loopback"},
	{"168.63.129.16/32", SK_ADDR_NEVER, -1, "cloud platform service (Azure WireServer)"},
	{"169.254.0.0/16", SK_ADDR_NEVER, -1, "link-local (cloud metadata 169.254.169.254)"},
	{"172.16.0.0/12", SK_ADDR_PRIVATE, -1, "private (RFC 1918)"},
	{"192.0.0.0/24", SK_ADDR_NEVER, -1, "IETF protocol assignments"},
	{"192.0.2.0/24", SK_ADDR_NEVER, -1, "documentation (TEST-NET-1)"},
	{"192.31.196.0/24", SK_ADDR_NEVER, -1, "AS112-v4"},
	{"192.52.193.0/24", SK_ADDR_NEVER, -1, "AMT"},
	{"192.88.99.0/24", SK_ADDR_NEVER, -1, "6to4 relay anycast (deprecated)"},
	{"192.168.0.0/16", SK_ADDR_PRIVATE, -1, "private (RFC 1918)"},
	{"192.175.48.0/24", SK_ADDR_NEVER, -1, "AS112 direct delegation"},
	{"198.18.0.0/15", SK_ADDR_NEVER, -1, "benchmarking"},
	{"198.51.100.0/24", SK_ADDR_NEVER, -1, "documentation (TEST-NET-2)"},
	{"203.0.113.0/24", SK_ADDR_NEVER, -1, "documentation (TEST-NET-3)"},
	{"224.0.0.0/4", SK_ADDR_NEVER, -1, "multicast"},
	{"240.0.0.0/4", SK_ADDR_NEVER, -1, "reserved"},
	{"255.255.255.255/32", SK_ADDR_NEVER, -1, "limited broadcast"},
	/* IPv6: only global unicast (2000::/3) is public */
	{"::/0", SK_ADDR_NEVER, -1, "not global unicast"},
	{"::/128", SK_ADDR_NEVER, -1, "unspecified"},
	{"::1/128", SK_ADDR_PRIVATE, -1, "loopback"},
	{"::/96", SK_ADDR_NEVER, -1, "IPv4-compatible (deprecated)"},
	{"::ffff:0:0/96", SK_ADDR_PUBLIC, 12, "IPv4-mapped"},
	{"64:ff9b::/96", SK_ADDR_PRIVATE, 12, "NAT64 well-known prefix"},
	{"64:ff9b:1::/48", SK_ADDR_NEVER, -1, "NAT64 local use"},
	{"100::/64", SK_ADDR_NEVER, -1, "discard-only"},
	{"2000::/3", SK_ADDR_PUBLIC, -1, "public"},
	{"2001::/23", SK_ADDR_NEVER, -1, "IETF protocol assignments (Teredo, ORCHID, ...)"},
	{"2001:db8::/32", SK_ADDR_NEVER, -1, "documentation"},
	{"2002::/16", SK_ADDR_PUBLIC, 2, "6to4"},
	{"2620:4f:8000::/48", SK_ADDR_NEVER, -1, "AS112 direct delegation"},
	{"3fff::/20", SK_ADDR_NEVER, -1, "documentation"},
	{"5f00::/16", SK_ADDR_NEVER, -1, "segment routing (SRv6) SIDs"},
	{"fc00::/7", SK_ADDR_PRIVATE, -1, "unique local"},
	{"fd00:ec2::/32", SK_ADDR_NEVER, -1, "cloud metadata (AWS, fd00:ec2::254)"},
	{"fd20:ce::254/128", SK_ADDR_NEVER, -1, "cloud metadata (Google Cloud)"},
	{"fe80::/10", SK_ADDR_NEVER, -1, "link-local"},
	{"fec0::/10", SK_ADDR_NEVER, -1, "site-local (deprecated)"},
	{"ff00::/8", SK_ADDR_NEVER, -1, "multicast"},
};
#define NRANGES (sizeof(ranges) / sizeof(ranges[0]))

/* Parses "addr/bits" into family, 16 bytes and bits; -1 when malformed. */
static int range_parse(const char *prefix, int *family, uint8_t a[16], int *bits)
{
	char buf[64];
	const char *slash = strchr(prefix, '/');
	size_t n = slash ? (size_t)(slash - prefix) : 0;
	char *end;
	if (!slash || n >= sizeof(buf))
		return -1;
	memcpy(buf, prefix, n);
	buf[n] = '\0';
	long b = strtol(slash + 1, &end, 10);
	memset(a, 0, 16);
	*family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (*end || b < 0 || b > (*family == AF_INET6 ? 128 : 32) ||
	    inet_pton(*family, buf, a) != 1)
		return -1;
	*bits = (int)b;
	return 0;
}

static int prefix_match(const uint8_t *a, const uint8_t *p, int bits)
{
	int whole = bits / 8, rest = bits % 8;
	if (memcmp(a, p, (size_t)whole) != 0)
		return 0;
	return !rest || ((a[whole] ^ p[whole]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static enum sk_addr_verdict classify(int family, const uint8_t *a, const char **outwhat)
{
	int best = -1;
	enum sk_addr_verdict v = SK_ADDR_NEVER;
	const char *what = "unparsable range table";
	for (size_t i = 0; i < NRANGES; i++) {
		int fam, bits;
		uint8_t p[16];
		if (range_parse(ranges[i].prefix, &fam, p, &bits))
			return SK_ADDR_NEVER; /* fails closed; the unit test parses every entry */
		if (fam != family || bits <= best || !prefix_match(a, p, bits))
			continue;
		best = bits;
		v = ranges[i].verdict;
		what = ranges[i].what;
		if (ranges[i].embed >= 0) {
			const char *w4;
			enum sk_addr_verdict v4 = classify(AF_INET, a + ranges[i].embed, &w4);
			if (v4 >= v) {
				v = v4;
				what = w4;
			}
		}
	}
	if (outwhat)
		*outwhat = what;
	return v;
}

enum sk_addr_verdict sk_net_addr_class(const struct sockaddr *sa, const char **outwhat)
{
	if (outwhat)
		*outwhat = "not an IP address";
	if (sa->sa_family == AF_INET)
		return classify(AF_INET, (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr,
				outwhat);
	if (sa->sa_family == AF_INET6)
		return classify(AF_INET6, ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr,
				outwhat);
	return SK_ADDR_NEVER; /* anything else is not a place to send to */
}

int sk_net_addr_allowed(const struct sockaddr *sa, int allow_private)
{
	enum sk_addr_verdict v = sk_net_addr_class(sa, NULL);
	return v == SK_ADDR_PUBLIC || (allow_private && v == SK_ADDR_PRIVATE);
}

int sk_net_ranges_check(void)
{
	for (size_t i = 0; i < NRANGES; i++) {
		int fam, bits;
		uint8_t p[16];
		if (range_parse(ranges[i].prefix, &fam, p, &bits) ||
		    (ranges[i].embed >= 0 && (fam != AF_INET6 || ranges[i].embed > 12)))
			return (int)i + 1;
	}
	return 0;
}

/* ---- URLs ---- */

static int scheme_char(char ch, int first)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
		return 1;
	return !first && ((ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.');
}

/* The characters of a host name or an IPv4 address in any of its forms; bytes >= 0x80 are
 * an international name, which the resolver judges. */
static int host_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch >= 0x80;
}

enum sk_net_fail sk_net_url_split(const char *url, struct sk_url_parts *out)
{
	size_t len = strlen(url), n = 0;
	memset(out, 0, sizeof(*out));
	if (len >= SK_NET_URL_MAX)
		return SK_NET_BAD_URL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
			return SK_NET_BAD_URL;
	while (scheme_char(url[n], n == 0))
		n++;
	if (!n || url[n] != ':')
		return SK_NET_BAD_URL;
	if (n >= sizeof(out->scheme) ||
	    ((n != 4 || strncasecmp(url, "http", 4) != 0) &&
	     (n != 5 || strncasecmp(url, "https", 5) != 0)))
		return SK_NET_BAD_SCHEME;
	for (size_t i = 0; i < n; i++)
		out->scheme[i] = (char)(url[i] | 0x20);
	if (strncmp(url + n, "://", 3) != 0)
		return SK_NET_BAD_URL;
	const char *auth = url + n + 3;
	size_t alen = strcspn(auth, "/?#");
	const char *at = NULL;
	for (size_t i = 0; i < alen; i++) {
		if (auth[i] == '\\' || (auth[i] == '@' && at))
			return SK_NET_BAD_URL;
		if (auth[i] == '@')
			at = auth + i;
	}
	const char *h = at ? at + 1 : auth, *end = auth + alen, *hend, *port;
	if (h < end && *h == '[') {
		hend = memchr(h, ']', (size_t)(end - h));
		if (!hend || (size_t)(hend - h - 1) >= sizeof(out->host))
			return SK_NET_BAD_URL;
		memcpy(out->host, h + 1, (size_t)(hend - h - 1));
		struct in6_addr a6;
		if (inet_pton(AF_INET6, out->host, &a6) != 1)
			return SK_NET_BAD_URL;
		port = hend + 1;
	} else {
		hend = h;
		while (hend < end && *hend != ':') {
			if (!host_char((unsigned char)*hend))
				return SK_NET_BAD_URL;
			hend++;
		}
		if (hend == h || (size_t)(hend - h) >= sizeof(out->host))
			return SK_NET_BAD_URL;
		memcpy(out->host, h, (size_t)(hend - h));
		port = hend;
	}
	if (port < end && *port != ':')
		return SK_NET_BAD_URL;
	if (port < end)
		port++;
	size_t plen = (size_t)(end - port);
	if (plen) {
		unsigned long p = 0;
		if (plen > 5)
			return SK_NET_BAD_URL;
		for (size_t i = 0; i < plen; i++) {
			if (port[i] < '0' || port[i] > '9')
				return SK_NET_BAD_URL;
			p = p * 10 + (unsigned long)(port[i] - '0');
		}
		if (p > 65535)
			return SK_NET_BAD_URL;
		snprintf(out->port, sizeof(out->port), "%lu", p);
	} else {
		sk_strlcpy(out->port, out->scheme[4] == 's' ? "443" : "80", sizeof(out->port));
	}
	return SK_NET_OK;
}

enum sk_net_fail sk_net_host_check(const char *name, const char *port, int allow_private,
				   char *resolve, size_t resolvelen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	enum sk_net_fail fail = SK_NET_OK;
	size_t used = 0;
	int literal = 0;

	if (resolve && resolvelen)
		resolve[0] = '\0';
	int grc = getaddrinfo(name, port, &hints, &res);
	if (grc != 0 || !res) {
		fail = SK_NET_RESOLVE;
		goto out;
	}
	if (resolve && resolvelen) {
		struct in6_addr a6;
		struct in_addr a4;
		literal = inet_pton(AF_INET6, name, &a6) == 1 || inet_pton(AF_INET, name, &a4) == 1;
		if (!literal) {
			int n = snprintf(resolve, resolvelen, "%s:%s:", name, port);
			used = n > 0 && (size_t)n < resolvelen ? (size_t)n : resolvelen;
		}
	}
	/* Every address is judged: one that may not be reached refuses the whole host. */
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		enum sk_addr_verdict v = sk_net_addr_class(ai->ai_addr, NULL);
		if (v == SK_ADDR_NEVER) {
			fail = SK_NET_ADDR_NEVER;
			goto out;
		}
		if (v == SK_ADDR_PRIVATE && !allow_private)
			fail = SK_NET_ADDR_PRIVATE; /* go on: a NEVER address later says more */
	}
	if (fail)
		goto out;
	for (struct addrinfo *ai = res; ai && resolve && resolvelen && !literal; ai = ai->ai_next) {
		char a[INET6_ADDRSTRLEN];
		const void *p = ai->ai_family == AF_INET6
					? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
					: (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		if (used >= resolvelen || !inet_ntop(ai->ai_family, p, a, sizeof(a)))
			continue;
		int n = snprintf(resolve + used, resolvelen - used,
				 ai->ai_family == AF_INET6 ? "%s[%s]" : "%s%s",
				 resolve[used - 1] == ':' ? "" : ",", a);
		if (n < 0 || (size_t)n >= resolvelen - used)
			break; /* the addresses that fit are all checked too */
		used += (size_t)n;
	}
	if (resolve && resolvelen && !literal && used && resolve[used - 1] == ':')
		resolve[0] = '\0';
out:
	if (fail && resolve && resolvelen)
		resolve[0] = '\0';
	if (res)
		freeaddrinfo(res);
	return fail;
}

/* 1 for "localhost" and names under it, with or without a final dot (RFC 6761 6.3). */
static int is_localhost(const char *host)
{
	size_t n = strlen(host);
	if (n && host[n - 1] == '.')
		n--;
	return (n == 9 && strncasecmp(host, "localhost", 9) == 0) ||
	       (n > 10 && strncasecmp(host + n - 10, ".localhost", 10) == 0);
}

enum sk_net_fail sk_net_url_check_offline(const char *url, int allow_private)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
	struct addrinfo *res = NULL;
	struct sk_url_parts u;
	enum sk_net_fail fail = sk_net_url_split(url, &u);
	if (fail)
		return fail;
	/* Final dots name the same host ("127.0.0.1.", "localhost.."): judge it without them,
	 * so that a written-out address cannot pass as a name until delivery. */
	size_t n = strlen(u.host);
	while (n > 1 && u.host[n - 1] == '.')
		u.host[--n] = '\0';
	if (is_localhost(u.host))
		return allow_private ? SK_NET_OK : SK_NET_ADDR_PRIVATE;
	if (getaddrinfo(u.host, u.port, &hints, &res) != 0 || !res)
		return SK_NET_OK; /* a name: looked up and judged before every delivery */
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		enum sk_addr_verdict v = sk_net_addr_class(ai->ai_addr, NULL);
		if (v == SK_ADDR_NEVER) {
			fail = SK_NET_ADDR_NEVER;
			break;
		}
		if (v == SK_ADDR_PRIVATE && !allow_private)
			fail = SK_NET_ADDR_PRIVATE;
	}
	freeaddrinfo(res);
	return fail;
}

enum sk_net_fail sk_net_url_check(const char *url, int allow_private, char *resolve,
				  size_t resolvelen)
{
	struct sk_url_parts u;
	enum sk_net_fail fail = sk_net_url_split(url, &u);
	if (fail) {
		if (resolve && resolvelen)
			resolve[0] = '\0';
		return fail;
	}
	return sk_net_host_check(u.host, u.port, allow_private, resolve, resolvelen);
}
