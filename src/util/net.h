/* net.h: IP addresses (numeric parsing, prefixes), the classifier of special-purpose address
 * ranges that webhooks may not reach, and the resolve-and-check of an http(s) URL. libc
 * only: used by core (adding a webhook endpoint), sync (before each delivery) and http
 * (--trusted-proxy). */
#ifndef SK_NET_H
#define SK_NET_H

#include <stddef.h>
#include <stdint.h>

struct sockaddr;

/* ---- addresses and prefixes ---- */

struct sk_ipaddr {
	int family;                /* AF_INET or AF_INET6; 0: none */
	uint8_t a[16];             /* network order; IPv4 in the first 4 bytes */
};

struct sk_cidr {
	struct sk_ipaddr ip;       /* host bits cleared */
	unsigned bits;
};

/* A numeric address of len bytes (no port, no brackets); -1 when it is not one. An
 * IPv4-mapped IPv6 address becomes IPv4. */
int sk_ip_parse(const char *s, size_t len, struct sk_ipaddr *out);
int sk_ip_from_sockaddr(const struct sockaddr *sa, struct sk_ipaddr *out);
void sk_ip_format(const struct sk_ipaddr *ip, char *out, size_t len);
/* "ADDRESS" or "ADDRESS/BITS", IPv4 or IPv6; -1 when malformed. */
int sk_cidr_parse(const char *s, struct sk_cidr *out);
/* The address as tracking keeps it without ip_tracking (docs/tracking.md): IPv4 to its /24,
 * IPv6 to its /48 (an IPv4-mapped IPv6 address was made IPv4 by sk_ip_parse). */
void sk_ip_truncate(struct sk_ipaddr *ip);
/* ip as a 16-byte big-endian key, IPv4 mapped (::ffff:a.b.c.d), so that bytewise order is
 * numeric order: the company ranges compare these. */
void sk_ip_key(const struct sk_ipaddr *ip, uint8_t out[16]);
/* The first and last address of a prefix, as keys. */
void sk_cidr_keys(const struct sk_cidr *c, uint8_t start[16], uint8_t end[16]);
/* 1 when ip is inside one of the n prefixes. */
int sk_cidr_match(const struct sk_cidr *set, size_t n, const struct sk_ipaddr *ip);

/* ---- who may reach an address ---- */

/* The verdict of the classifier (the IANA special-purpose registries and the cloud metadata
 * addresses; docs/webhooks.md has the table). */
enum sk_addr_verdict {
	SK_ADDR_PUBLIC,  /* reachable */
	SK_ADDR_PRIVATE, /* loopback, private, unique-local, CGNAT: only with allow_private */
	SK_ADDR_NEVER,   /* link-local, metadata, multicast, documentation, ...: never */
};
/* The verdict on an address (IPv4, IPv6; IPv4-mapped, NAT64 and 6to4 addresses are judged
 * by the IPv4 address inside as well); outwhat (may be NULL) gets the name of the range. */
enum sk_addr_verdict sk_net_addr_class(const struct sockaddr *sa, const char **outwhat);
/* 1 when a connection to the address is allowed. */
int sk_net_addr_allowed(const struct sockaddr *sa, int allow_private);
/* 0 when every range of the classifier's table parses; else the 1-based bad entry. */
int sk_net_ranges_check(void);

/* ---- URLs ---- */

/* Why a target was refused. */
enum sk_net_fail {
	SK_NET_OK,
	SK_NET_BAD_URL,      /* not an absolute URL with a host */
	SK_NET_BAD_SCHEME,   /* not http or https */
	SK_NET_RESOLVE,      /* the host does not resolve */
	SK_NET_ADDR_PRIVATE, /* an address is private and allow_private is 0 */
	SK_NET_ADDR_NEVER,   /* an address is never reachable */
	SK_NET_NOMEM,
};

#define SK_NET_URL_MAX 1024     /* longer URLs are refused */
#define SK_NET_RESOLVE_MAX 1400 /* a CURLOPT_RESOLVE entry: host:port:addr,addr.. */

/* The parts of an absolute URL that a connection needs: scheme (lowercase), host (an IPv6
 * literal without its brackets) and port (the scheme's default when none is given). */
struct sk_url_parts {
	char scheme[8];
	char host[256];
	char port[8];
};
/* Splits scheme://[userinfo@]host[:port][/path][?query][#fragment]; strict: no spaces or
 * control bytes anywhere, one '@' at most, a host of the characters a host name or an
 * address may hold, a port of at most 65535. SK_NET_BAD_SCHEME when the scheme is not http
 * or https, SK_NET_BAD_URL for anything else wrong. */
enum sk_net_fail sk_net_url_split(const char *url, struct sk_url_parts *out);
/* Resolves host (getaddrinfo) and judges every address: one that may not be reached refuses
 * the host. resolve (may be NULL) gets "host:port:addr,addr" for CURLOPT_RESOLVE when host
 * is a name ("" for a literal or after a failure), so that the request goes to the
 * addresses checked. */
enum sk_net_fail sk_net_host_check(const char *host, const char *port, int allow_private,
				   char *resolve, size_t resolvelen);
/* sk_net_url_split, then sk_net_host_check. */
enum sk_net_fail sk_net_url_check(const char *url, int allow_private, char *resolve,
				  size_t resolvelen);
/* The check of a URL without the network (when a webhook endpoint is added): the split, and
 * a host that is an address in any form the resolver reads without DNS (127.1, 2130706433,
 * 0x7f.1, [::1]) or a name in the localhost domain (RFC 6761: always loopback) judged as
 * sk_net_host_check would; any other name is not looked up (SK_NET_OK): it is judged at every
 * delivery. */
enum sk_net_fail sk_net_url_check_offline(const char *url, int allow_private);

#endif
