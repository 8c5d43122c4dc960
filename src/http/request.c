/* request.c: reading request bodies (JSON with depth and key checks, errors that say where)
 * and running creating writes idempotently. */
#include <string.h>

#include "http/http_int.h"
#include "util/mem.h"

int sk_json_depth_check(const char *p, size_t len, int max, size_t *at)
{
	int depth = 0, in_str = 0;
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > max) {
				*at = i;
				return SK_ERR_TOO_DEEP;
			}
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 0;
}

int sk_req_json(struct sk_req *r, const char *const *allowed, json_t **out)
{
	json_error_t je;
	size_t at;
	const char *body = r->body.data ? r->body.data : "";

	if (sk_json_depth_check(body, r->body.len, SK_JSON_MAX_DEPTH, &at))
		return sk_errf(&r->err, SK_ERR_TOO_DEEP, "JSON is nested deeper than %d levels "
			       "(at byte %zu)", SK_JSON_MAX_DEPTH, at + 1);
	json_t *v = json_loadb(body, r->body.len, JSON_REJECT_DUPLICATES, &je);
	if (!v) {
		/* jansson quotes the text near the error: that may be personal data, so cut it */
		char *near = strstr(je.text, " near ");
		if (near)
			*near = '\0';
		return sk_errf(&r->err, SK_ERR_BAD_JSON, "malformed JSON at line %d, column %d "
			       "(byte %d): %s", je.line, je.column, je.position, je.text);
	}
	if (!json_is_object(v)) {
		json_decref(v);
		return sk_errf(&r->err, SK_ERR_INVALID, "the body must be a JSON object");
	}
	const char *key;
	json_t *val;
	json_object_foreach(v, key, val) {
		int ok = !allowed;
		for (size_t i = 0; allowed && allowed[i] && !ok; i++)
			ok = strcmp(allowed[i], key) == 0;
		if (!ok) {
			sk_errf(&r->err, SK_ERR_INVALID, "unknown key '%.64s' in the body", key);
			json_decref(v);
			return SK_ERR_INVALID;
		}
	}
	*out = v;
	return 0;
}

int sk_json_str(struct sk_req *r, json_t *o, const char *key, int required, const char **out)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return required ? sk_errf(&r->err, SK_ERR_INVALID, "'%s' is required", key) : 0;
	if (!json_is_string(v))
		return sk_errf(&r->err, SK_ERR_INVALID, "'%s' must be a string", key);
	*out = json_string_value(v);
	return 0;
}

struct idem_call {
	struct sk_req *r;
	int (*fn)(struct sk_req *r, void *arg);
	void *arg;
};

static int idem_call(void *arg, int *status, const char **body)
{
	struct idem_call *x = arg;
	int rc = x->fn(x->r, x->arg);
	*status = x->r->status;
	*body = x->r->reply;
	return rc;
}

int sk_idempotent(struct sk_req *r, int (*fn)(struct sk_req *r, void *arg), void *arg)
{
	const char *key = sk_req_header(r, "Idempotency-Key");
	struct idem_call call = {r, fn, arg};
	struct sk_answer replay;
	struct sk_buf req;
	int rc;

	/* The request as hashed: method, route and body. */
	sk_buf_init(&req, r->body.len + 512);
	if (key && ((rc = sk_buf_append_field(&req, r->method, strlen(r->method))) ||
		    (rc = sk_buf_append_field(&req, r->route->path, strlen(r->route->path))) ||
		    (rc = sk_buf_append_field(&req, r->param, strlen(r->param))) ||
		    (rc = sk_buf_append_field(&req, r->body.data, r->body.len)))) {
		sk_buf_reset(&req);
		return sk_errf(&r->err, rc, "out of memory");
	}
	rc = sk_idem_run(r->core, r->key.id, key, req.data, req.len, idem_call, &call, &replay,
			 &r->err);
	if (!rc && replay.status)
		rc = sk_reply_text(r, replay.status, replay.body);
	sk_free(replay.body);
	sk_buf_reset(&req);
	return rc;
}
