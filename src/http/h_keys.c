/* h_keys.c: DELETE /v1/keys/{name}, revoking an API key through the API. The revocation holds
 * for every worker of this server at once (core/keys.c); docs/api.md gives the bound for
 * other servers on the same database. */
#include "http/http_int.h"

int sk_h_key_revoke(struct sk_req *r)
{
	int rc = sk_key_revoke(r->core, r->param, &r->err);
	return rc ? rc : sk_reply_json(r, 200, sk_json_key_revoked(r->param));
}
