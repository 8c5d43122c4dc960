/* test_score.c: the lead-scoring rules (core/score.c, docs/scoring.md) as the policy gives
 * them: URL patterns with '*', event type and name, UTM match, points, the half-life decay,
 * and the policy's refusals of bad rules with file:line. */
#include "testlib.h"

#include "core/policy.h"

#define DAY 86400
#define T0 1767225600

static struct sk_policy *example(void)
{
	size_t len;
	char *text = t_example_policy(&len);
	struct sk_policy *p = NULL;
	struct sk_errctx err = {0};
	assert_int_equal(sk_policy_parse(text, len, "policy.yaml", &p, &err), 0);
	free(text);
	return p;
}

static void ev(struct sk_track_rec *e, const char *type, const char *name, const char *url,
	       const char *campaign, int64_t at)
{
	memset(e, 0, sizeof(*e));
	sk_strlcpy(e->type, type, sizeof(e->type));
	sk_strlcpy(e->name, name ? name : "", sizeof(e->name));
	sk_strlcpy(e->url, url ? url : "", sizeof(e->url));
	sk_strlcpy(e->utm[SK_UTM_CAMPAIGN], campaign ? campaign : "", sizeof(e->utm[0]));
	e->at = at;
}

static void test_url_patterns(void **state)
{
	(void)state;
	assert_true(sk_score_url_match("https://www.example.com/pricing*",
				       "https://www.example.com/pricing"));
	assert_true(sk_score_url_match("https://www.example.com/pricing*",
				       "https://www.example.com/pricing/team?x=1"));
	assert_false(sk_score_url_match("https://www.example.com/pricing*",
					"https://www.example.com/about/pricing"));
	assert_true(sk_score_url_match("*/pricing*", "https://www.example.com/about/pricing"));
	assert_true(sk_score_url_match("https://*.example.com/*",
				       "https://shop.example.com/cart"));
	assert_false(sk_score_url_match("https://*.example.com/*", "https://example.org/"));
	assert_true(sk_score_url_match("HTTPS://WWW.EXAMPLE.COM/A", "https://www.example.com/a"));
	assert_false(sk_score_url_match("https://www.example.com/a", "https://www.example.com/ab"));
	assert_true(sk_score_url_match("*", ""));
	assert_false(sk_score_url_match("a*b*c", "aXbY"));
	assert_true(sk_score_url_match("a*b*c", "aXbYc"));
	/* many stars against a long text: answered, not exponential */
	char url[2001];
	memset(url, 'a', 2000);
	url[2000] = '\0';
	assert_false(sk_score_url_match("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", url));
}

static void test_rules(void **state)
{
	struct sk_policy *p = example();
	struct sk_track_rec e;
	(void)state;
	assert_int_equal(p->score_cap, 100);
	assert_int_equal(p->track_retention.n, 90);
	/* a pricing page view: 10 */
	ev(&e, "page_view", NULL, "https://www.example.com/pricing/team", NULL, T0);
	assert_true(sk_score_event(p, &e, T0) == 10.0);
	/* the same page from the spring campaign: 10 + 5, every matching rule counts */
	ev(&e, "page_view", NULL, "https://www.example.com/pricing", "Spring_Launch", T0);
	assert_true(sk_score_event(p, &e, T0) == 15.0);
	/* another page from the campaign: 5 */
	ev(&e, "page_view", NULL, "https://www.example.com/blog", "spring_launch", T0);
	assert_true(sk_score_event(p, &e, T0) == 5.0);
	/* another campaign: nothing */
	ev(&e, "page_view", NULL, "https://www.example.com/blog", "autumn", T0);
	assert_true(sk_score_event(p, &e, T0) == 0.0);
	/* a custom event by name */
	ev(&e, "event", "demo_request", NULL, NULL, T0);
	assert_true(sk_score_event(p, &e, T0) == 30.0);
	ev(&e, "event", "newsletter_signup", NULL, NULL, T0);
	assert_true(sk_score_event(p, &e, T0) == 0.0);
	/* the type must match: a click on a pricing link is a click (5), not a view (10) */
	ev(&e, "mail_click", NULL, "https://www.example.com/pricing", NULL, T0);
	assert_true(sk_score_event(p, &e, T0) == 5.0);
	sk_policy_free(p);
}

static void test_decay(void **state)
{
	struct sk_policy *p = example();
	struct sk_track_rec e;
	(void)state;
	ev(&e, "page_view", NULL, "https://www.example.com/pricing", NULL, T0);
	double one = sk_score_event(p, &e, T0 + 30 * DAY); /* one half-life */
	assert_true(one > 4.999 && one < 5.001);
	double two = sk_score_event(p, &e, T0 + 60 * DAY);
	assert_true(two > 2.499 && two < 2.501);
	/* a rule without half_life does not decay */
	ev(&e, "page_view", NULL, "https://www.example.com/blog", "spring_launch", T0);
	assert_true(sk_score_event(p, &e, T0 + 365 * DAY) == 5.0);
	/* an event "in the future" (a clock ahead) is not worth more */
	ev(&e, "page_view", NULL, "https://www.example.com/pricing", NULL, T0 + DAY);
	assert_true(sk_score_event(p, &e, T0) == 10.0);
	sk_policy_free(p);
}

/* The example policy with from replaced by to: the error (file:line: key: what), or "". */
static const char *parse_with(const char *from, const char *to)
{
	static char msg[512];
	size_t len;
	char *text = t_example_policy(&len);
	const char *changed = t_policy_with(text, from, to);
	struct sk_policy *p = NULL;
	struct sk_errctx err = {0};
	int rc = sk_policy_parse(changed, strlen(changed), "policy.yaml", &p, &err);
	free(text);
	sk_policy_free(p);
	snprintf(msg, sizeof(msg), "%s", rc ? err.msg : "");
	return msg;
}

static void test_policy_refusals(void **state)
{
	(void)state;
	const char *m = parse_with("  cap: 100\n", "  cap: -5\n");
	assert_non_null(strstr(m, "policy.yaml:"));
	assert_non_null(strstr(m, "scoring.cap"));
	m = parse_with("      points: 30\n", "      points: lots\n");
	assert_non_null(strstr(m, "scoring.rules[1].points"));
	m = parse_with("      points: 30\n", "      points: 5000\n");
	assert_non_null(strstr(m, "points"));
	m = parse_with("    - type: mail_open\n", "    - type: mail_read\n");
	assert_non_null(strstr(m, "scoring.rules[3].type"));
	assert_non_null(strstr(m, "expected one of"));
	m = parse_with("      half_life: 60 days\n", "      half_life: soon\n");
	assert_non_null(strstr(m, "half_life"));
	m = parse_with("      utm: {campaign: spring_launch}\n", "      utm: {kampanj: x}\n");
	assert_non_null(strstr(m, "kampanj"));
	m = parse_with("      points: 30\n", "      points: 30\n      weight: 2\n");
	assert_non_null(strstr(m, "weight"));
	assert_non_null(strstr(m, "unknown key"));
	m = parse_with("  retention: 90 days\n", "  retention: forever\n");
	assert_non_null(strstr(m, "tracking.retention"));
	/* the line is the rule's line */
	m = parse_with("    - type: mail_open\n", "    - type: 7\n");
	assert_non_null(strstr(m, "policy.yaml:"));
	/* and a sound policy parses */
	assert_string_equal(parse_with("  cap: 100\n", "  cap: 250\n"), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_patterns),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_decay),
		cmocka_unit_test(test_policy_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
