/* h_track.c: web tracking and scores (helper track; docs/tracking.md, docs/scoring.md):
 * GET /v1/contacts/{id}/score. Each handler parses, makes one core call and renders. */
#include "http/http_int.h"
#include "util/sktime.h"

/* GET /v1/contacts/{id}/score: the score at now, or null with the gate's reason when the
 * person has not given lead_scoring; 404 for an unknown contact. */
int sk_h_contact_score(struct sk_req *r)
{
	struct sk_score sc;
	int64_t now = sk_time_now();
	int rc = sk_score_get(r->core, r->param, now, &sc, &r->err);
	if (rc)
		return rc;
	return sk_reply_json(r, 200, sk_json_score(r->param, &sc, now));
}
