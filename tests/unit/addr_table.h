/* addr_table.h: addresses with the verdict the classifier (util/net.c) must give them, shared
 * by test_net.c (the classifier) and test_webhook.c (the URL check of new endpoints). */
#ifndef SK_TEST_ADDR_TABLE_H
#define SK_TEST_ADDR_TABLE_H

#include "util/net.h"

#define PUB SK_ADDR_PUBLIC
#define PRIV SK_ADDR_PRIVATE
#define NEVER SK_ADDR_NEVER

/* Every address with the verdict expected: PUB reachable, PRIV only with allow_private,
 * NEVER not even then. */
static const struct {
	const char *addr;
	int verdict;
} address_table[] = {
	/* IPv4 public */
	{"8.8.8.8", PUB}, {"1.1.1.1", PUB}, {"11.0.0.1", PUB}, {"100.63.255.255", PUB},
	{"100.128.0.0", PUB}, {"126.255.255.255", PUB}, {"128.0.0.1", PUB},
	{"169.253.255.255", PUB}, {"169.255.0.0", PUB}, {"172.15.255.255", PUB},
	{"172.32.0.1", PUB}, {"192.0.1.255", PUB}, {"192.0.3.0", PUB}, {"192.167.255.255", PUB},
	{"192.169.0.1", PUB}, {"198.17.255.255", PUB}, {"198.20.0.0", PUB},
	{"198.51.99.255", PUB}, {"203.0.112.255", PUB}, {"223.255.255.255", PUB},
	{"100.100.100.199", PRIV}, /* CGNAT, beside Alibaba Cloud's metadata address */
	/* IPv4 private: loopback, RFC 1918, CGNAT */
	{"127.0.0.1", PRIV}, {"127.255.255.254", PRIV}, {"10.0.0.1", PRIV},
	{"10.255.255.255", PRIV}, {"172.16.0.1", PRIV}, {"172.31.255.255", PRIV},
	{"192.168.0.1", PRIV}, {"192.168.255.255", PRIV}, {"100.64.0.1", PRIV},
	{"100.127.255.254", PRIV},
	/* IPv4 never */
	{"0.0.0.0", NEVER}, {"0.1.2.3", NEVER}, {"169.254.169.254", NEVER},
	{"169.254.170.2", NEVER}, {"169.254.0.1", NEVER}, {"100.100.100.200", NEVER},
	{"168.63.129.16", NEVER}, {"192.0.0.1", NEVER}, {"192.0.0.170", NEVER},
	{"192.0.2.1", NEVER}, {"192.31.196.1", NEVER}, {"192.52.193.1", NEVER},
	{"192.88.99.1", NEVER}, {"192.175.48.1", NEVER}, {"198.18.0.1", NEVER},
	{"198.19.255.255", NEVER}, {"198.51.100.7", NEVER}, {"203.0.113.9", NEVER},
	{"224.0.0.1", NEVER}, {"233.252.0.1", NEVER}, {"239.255.255.250", NEVER},
	{"240.0.0.1", NEVER}, {"254.1.2.3", NEVER}, {"255.255.255.255", NEVER},
	/* IPv6 public */
	{"2001:4860:4860::8888", PUB}, {"2606:4700:4700::1111", PUB}, {"2a00:1450::1", PUB},
	{"2001:200::1", PUB}, {"3ffe::1", PUB}, {"2002:808:808::1", PUB},
	{"::ffff:8.8.8.8", PUB}, {"2620:4f:7fff::1", PUB},
	/* IPv6 private */
	{"::1", PRIV}, {"fc00::1", PRIV}, {"fdff:ffff::1", PRIV}, {"fd00:ec3::254", PRIV},
	{"::ffff:127.0.0.1", PRIV}, {"::ffff:10.1.2.3", PRIV}, {"::ffff:192.168.1.1", PRIV},
	{"::ffff:100.64.0.1", PRIV}, {"64:ff9b::808:808", PRIV}, {"64:ff9b::a00:1", PRIV},
	{"2002:7f00:1::", PRIV}, {"2002:c0a8:101::1", PRIV},
	/* IPv6 never */
	{"::", NEVER}, {"::2", NEVER}, {"::8.8.8.8", NEVER}, {"::127.0.0.1", NEVER},
	{"::ffff:169.254.169.254", NEVER}, {"::ffff:0.0.0.0", NEVER},
	{"::ffff:224.0.0.1", NEVER}, {"::ffff:0:808:808", NEVER}, {"64:ff9b::a9fe:a9fe", NEVER},
	{"64:ff9b:1::808:808", NEVER}, {"100::1", NEVER}, {"2001::1", NEVER},
	{"2001:0:4136:e378:8000:63bf:3fff:fdd2", NEVER}, {"2001:1::1", NEVER},
	{"2001:2::1", NEVER}, {"2001:20::1", NEVER}, {"2001:db8::1", NEVER},
	{"2001:db8:ffff::1", NEVER}, {"2002:a9fe:a9fe::1", NEVER}, {"2002::1", NEVER},
	{"2620:4f:8000::1", NEVER}, {"3fff::1", NEVER}, {"3fff:fff::1", NEVER},
	{"5f00::1", NEVER}, {"fd00:ec2::254", NEVER}, {"fd00:ec2::23", NEVER},
	{"fd20:ce::254", NEVER}, {"fe80::1", NEVER}, {"febf:ffff::1", NEVER},
	{"fec0::1", NEVER}, {"feff::1", NEVER}, {"ff02::1", NEVER}, {"ff0e::1", NEVER},
	{"4000::1", NEVER}, {"e000::1", NEVER}, {"fbff::1", NEVER},
};

#endif
