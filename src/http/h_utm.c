/* h_utm.c: the UTM link builder over HTTP (docs/utm.md): GET /v1/utm for a key with scope
 * read, and the console's page GET /console/utm. Both parse the query, call sk_utm_build
 * once and render; nothing is stored and no personal data is involved. */
#include <string.h>

#include "core/utm.h"
#include "http/http_int.h"
#include "util/mem.h"

/* keep_case: absent, "1"/"true" or "0"/"false"; else -1. */
static int keep_case_arg(const char *v)
{
	if (!v || !*v || !strcmp(v, "0") || !strcmp(v, "false"))
		return 0;
	if (!strcmp(v, "1") || !strcmp(v, "true"))
		return 1;
	return -1;
}

static void utm_args(struct sk_req *r, struct sk_utm_in *in)
{
	in->url = sk_req_arg(r, "url");
	in->source = sk_req_arg(r, "source");
	in->medium = sk_req_arg(r, "medium");
	in->campaign = sk_req_arg(r, "campaign");
	in->term = sk_req_arg(r, "term");
	in->content = sk_req_arg(r, "content");
	in->keep_case = keep_case_arg(sk_req_arg(r, "keep_case"));
}

int sk_h_utm(struct sk_req *r)
{
	struct sk_utm_in in;
	char *link = NULL;
	int rc;

	utm_args(r, &in);
	if (in.keep_case < 0)
		return sk_errf(&r->err, SK_ERR_BAD_REQUEST, "keep_case must be true or false");
	rc = sk_utm_build(&in, &link, NULL, &r->err);
	if (rc == SK_ERR_INVALID) /* bad input, named in the message: 400 */
		r->err.code = rc = SK_ERR_BAD_REQUEST;
	if (!rc)
		rc = sk_reply_json(r, 200, sk_json_utm(link));
	sk_free(link);
	return rc;
}

int sk_h_con_utm(struct sk_req *r)
{
	static const char *const names[] = {"url", "source", "medium", "campaign", "term",
					    "content", "keep_case"};
	struct sk_con_frame f;
	struct sk_utm_in in;
	struct sk_utm_fault faults[SK_UTM_NFIELDS];
	struct sk_buf b;
	char *link = NULL;
	size_t nfaults = 0;
	int asked = 0, status = 200, rc = 0;

	sk_con_frame_of(r, SK_NAV_UTM, &f);
	utm_args(r, &in);
	if (in.keep_case < 0)
		in.keep_case = 1; /* a checkbox: any value ticks it */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		asked |= sk_req_arg(r, names[i]) != NULL;
	if (asked) {
		rc = sk_utm_build(&in, &link, NULL, &r->err);
		if (rc == SK_ERR_INVALID) { /* every refusal, each next to its field */
			nfaults = sk_utm_faults(&in, faults);
			status = 400;
		} else if (rc) {
			return rc;
		}
	}
	rc = sk_con_utm(&b, &f, asked ? &in : NULL, link, faults, nfaults);
	sk_free(link);
	return sk_con_reply(r, &b, status, rc);
}
