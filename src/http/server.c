/* server.c: the HTTP adapter on libmicrohttpd (epoll thread pool). One route table, one place
 * that turns errors into the error envelope, authentication (before a body is read), per-key
 * rate limits, body and connection limits, the client address behind a trusted proxy, the
 * access log. Each request runs on its thread's core, which the daemon (src/serve) lends. */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/accesslog.h"
#include "http/http_int.h"
#include "render/page.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/metrics.h"
#include "util/str.h"
#include "util/sktime.h"

static const struct sk_server_config *config;
static const struct sk_http_env *env; /* what the daemon lends: cores, rate limits */
/* --trusted-proxy, parsed once at start */
static struct sk_cidr trusted[SK_MAX_TRUSTED_PROXIES];
static size_t ntrusted;
static unsigned per_client_cap; /* --max-client-connections */
static atomic_long inflight;

struct conn_count;

/* What the server keeps per connection (libmicrohttpd's socket context). */
struct conn_state {
	struct conn_count *count;  /* this peer's open connections */
	int linger;                /* a body was refused unread: close it gently */
};

const struct sk_server_config *sk_server_cfg(void)
{
	return config;
}

struct sk_core *sk_http_thread_core(struct sk_errctx *err)
{
	return env->core(err);
}

int sk_http_rate(const char *key, double rate, double burst)
{
	return env->rate(key, rate, burst);
}

/* ---- replies ---- */

int sk_reply_text(struct sk_req *r, int status, const char *json)
{
	size_t len = strlen(json);
	char *p = sk_malloc(len + 1);
	if (!p)
		return sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	memcpy(p, json, len + 1);
	sk_free(r->reply);
	r->reply = p;
	r->reply_len = len;
	r->status = status;
	return 0;
}

int sk_reply_json(struct sk_req *r, int status, json_t *v)
{
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	if (!text)
		return sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	int rc = sk_reply_text(r, status, text);
	free(text);
	return rc;
}

static void console_error(struct sk_req *r, int code);

static int console_route(const struct sk_req *r)
{
	return r->route && r->route->scope && r->route->scope[0] == '@';
}

/* The one place an error becomes the envelope (a console route's: a page, console_error). */
static void reply_error(struct sk_req *r, int code)
{
	if (console_route(r)) {
		console_error(r, code);
		return;
	}
	const char *msg = r->err.code == code && r->err.msg[0] ? r->err.msg : sk_err_message(code);
	json_t *v = json_pack("{s:{s:s,s:s}}", "error", "code", sk_err_name(code), "message", msg);
	if (sk_reply_json(r, sk_err_http_status(code), v))
		r->status = 503; /* no memory even for the envelope: an empty 503 */
	r->status = sk_err_http_status(code);
}

const char *sk_req_arg(struct sk_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *sk_req_header(struct sk_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* ---- routing ---- */

/* 1 when path matches pattern; the {param} segment is copied into param. */
static int path_match(const char *pattern, const char *path, char *param, size_t plen)
{
	while (*pattern && *path) {
		if (*pattern == '{') {
			size_t n = strcspn(path, "/");
			if (n == 0 || n >= plen)
				return 0;
			memcpy(param, path, n);
			param[n] = '\0';
			path += n;
			pattern = strchr(pattern, '}') + 1;
		} else if (*pattern++ != *path++) {
			return 0;
		}
	}
	return !*pattern && !*path;
}

/* HEAD is answered on every GET route (RFC 9110 9.3.2): the GET's handler runs, and
 * libmicrohttpd sends its status and headers without the body. */
static int route_find(struct sk_req *r, const char *url)
{
	int path_known = 0;
	const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
	r->allow[0] = '\0';
	/* the --metrics-listen listener serves GET /metrics and nothing else */
	if (r->metrics_only && strcmp(url, "/metrics") != 0)
		return sk_errf(&r->err, SK_ERR_NOT_FOUND, "this listener serves only GET /metrics");
	for (size_t i = 0; i < sk_nroutes; i++) {
		if (!path_match(sk_routes[i].path, url, r->param, sizeof(r->param)))
			continue;
		if (strcmp(sk_routes[i].method, method) == 0) {
			r->route = &sk_routes[i];
			return 0;
		}
		int get = strcmp(sk_routes[i].method, "GET") == 0;
		size_t n = strlen(r->allow);
		snprintf(r->allow + n, sizeof(r->allow) - n, "%s%s%s", path_known ? ", " : "",
			 sk_routes[i].method, get ? ", HEAD" : "");
		path_known = 1;
	}
	if (path_known)
		return sk_errf(&r->err, SK_ERR_METHOD_NOT_ALLOWED, "%s is not allowed here; allowed: %s",
			       r->method, r->allow);
	return sk_errf(&r->err, SK_ERR_NOT_FOUND, "no such route");
}

/* The key of an "Authorization: Bearer KEY" header, or NULL. The scheme's name is matched
 * case-insensitively and may be followed by several spaces (RFC 9110 11.1, 11.4). */
static const char *bearer_key(const char *h)
{
	if (!h || strncasecmp(h, "Bearer", 6) != 0 || h[6] != ' ')
		return NULL;
	h += 6;
	h += strspn(h, " ");
	return *h ? h : NULL;
}

/* The key and the route's scope, on r->core. */
static int key_check(struct sk_req *r)
{
	const char *key = bearer_key(sk_req_header(r, MHD_HTTP_HEADER_AUTHORIZATION));
	if (!key)
		return sk_errf(&r->err, SK_ERR_UNAUTHORIZED, "send 'Authorization: Bearer KEY'");
	int rc = sk_key_authenticate(r->core, key, &r->key, &r->err);
	if (rc)
		return rc;
	if (!sk_key_has_scope(&r->key, r->route->scope))
		return sk_errf(&r->err, SK_ERR_FORBIDDEN, "this route needs the '%s' scope",
			       r->route->scope);
	return 0;
}

/* ---- the staff console (docs/console.md, docs/internals/http.md "The console's
 * session check") ---- */

struct sk_session_opts sk_con_session_opts(void)
{
	return (struct sk_session_opts){
		.idle = (int64_t)config->console_idle_minutes * 60,
		.absolute = (int64_t)config->console_session_hours * 3600,
	};
}

/* The permission a console route's scope "@CAN" names; -1 when none. */
static int can_of(const char *scope)
{
	for (int i = 0; i < SK_CAN_COUNT; i++)
		if (strcmp(scope + 1, sk_can_name((enum sk_can)i)) == 0)
			return i;
	return -1;
}

/* The session of the cookie, then the role's permission, on r->core (outside any
 * transaction: the check notes the session's use). */
static int console_check(struct sk_req *r)
{
	const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, SK_CON_COOKIE);
	struct sk_session_opts o = sk_con_session_opts();
	int rc = sk_staff_session_check(r->core, cookie, &o, &r->staff, r->csrf, &r->err);
	if (rc)
		return rc;
	int can = can_of(r->route->scope);
	if (can < 0 || !sk_role_may(r->staff.role, (enum sk_can)can)) {
		r->con_text = SK_CON_FORBIDDEN_TEXT + 1;
		return sk_errf(&r->err, SK_ERR_FORBIDDEN, "the role %s may not %s",
			       sk_role_name(r->staff.role), r->route->scope + 1);
	}
	return 0;
}

int sk_con_csrf_ok(struct sk_req *r, const char *token)
{
	if (r->core && sk_staff_csrf_ok(r->core, &r->staff, token))
		return 1;
	r->con_text = SK_CON_CSRF_TEXT + 1;
	sk_errf(&r->err, SK_ERR_FORBIDDEN, "the form's CSRF token is missing or not this session's");
	return 0;
}

struct csrf_find {
	char token[SK_CSRF_STRLEN];
	int n;
};

static int csrf_take(void *arg, struct sk_req *r, const char *k, const char *v)
{
	struct csrf_find *f = arg;
	(void)r;
	if (strcmp(k, "csrf") == 0) {
		f->n++;
		sk_strlcpy(f->token, v, sizeof(f->token));
	}
	return 0;
}

/* A console POST: from our own origin, and (unless its handler checks it,
 * SK_ROUTE_CSRF_SELF) carrying its session's CSRF token as the form field csrf, exactly
 * once. Nothing of the route runs otherwise. */
static int console_post_check(struct sk_req *r)
{
	if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0)
		return 0;
	if (!sk_origin_own(r, sk_req_header(r, "Origin"))) {
		r->con_text = SK_CON_CSRF_TEXT + 1;
		return sk_errf(&r->err, SK_ERR_FORBIDDEN, "the form was posted from another site");
	}
	if (r->route->flags & SK_ROUTE_CSRF_SELF)
		return 0;
	struct csrf_find f = {0};
	char *store = NULL;
	int rc = sk_req_urlencoded(r, csrf_take, &f, &store);
	sk_free(store);
	if (rc || f.n != 1)
		f.token[0] = '\0';
	return sk_con_csrf_ok(r, f.token) ? 0 : SK_ERR_FORBIDDEN;
}

/* s into out with every byte outside [A-Za-z0-9/._~-] as %XX (cut short to fit outlen). */
static void url_encode(char *out, size_t outlen, const char *s)
{
	size_t n = 0;
	for (; *s && n + 4 < outlen; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    strchr("/._~-", ch))
			out[n++] = (char)ch;
		else
			n += (size_t)snprintf(out + n, outlen - n, "%%%02X", ch);
	}
	out[n] = '\0';
}

/* The request's path, from its route and parameter (the URL itself is not kept). */
static void request_path(const struct sk_req *r, char *out, size_t outlen)
{
	const char *p = r->route->path, *open = strchr(p, '{'), *close = open ? strchr(open, '}') : NULL;
	if (!close)
		snprintf(out, outlen, "%s", p);
	else
		snprintf(out, outlen, "%.*s%s%s", (int)(open - p), p, r->param, close + 1);
}

/* A console route's error: no session: 303 to the sign-in page (with next=PATH for a GET);
 * any other: a console page with the status, the catalogue's text for a refusal (role,
 * CSRF) or the error's message (which never holds personal data). */
static void console_error(struct sk_req *r, int code)
{
	struct sk_buf b;
	struct sk_con_frame f;
	if (code == SK_ERR_UNAUTHORIZED) {
		char path[300], enc[900];
		request_path(r, path, sizeof(path));
		url_encode(enc, sizeof(enc), path);
		if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0)
			snprintf(r->location, sizeof(r->location), "/console/sign-in?next=%s", enc);
		else
			snprintf(r->location, sizeof(r->location), "/console/sign-in");
		if (MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, SK_CON_COOKIE))
			sk_con_cookie(r, NULL); /* an ended session's: cleared */
		if (sk_reply_text(r, 303, ""))
			r->status = 503;
		r->content_type = "text/html; charset=utf-8";
		return;
	}
	if (code != SK_ERR_FORBIDDEN)
		r->con_text = 0;
	sk_con_frame_of(r, SK_NAV_NONE, &f);
	const char *title = sk_con_msg(f.lang, code == SK_ERR_FORBIDDEN ? SK_CON_FORBIDDEN
								  : SK_CON_ERROR_TITLE);
	const char *text = r->con_text ? sk_con_msg(f.lang, (enum sk_con_msg)(r->con_text - 1))
		: r->err.code == code && r->err.msg[0] ? r->err.msg : sk_err_message(code);
	int rc = sk_con_message(&b, &f, title, text);
	if (sk_con_reply(r, &b, sk_err_http_status(code), rc))
		r->status = 503;
	else
		r->status = sk_err_http_status(code);
	if (code == SK_ERR_RATE_LIMITED || code == SK_ERR_BUSY)
		r->retry_after = r->retry_after ? r->retry_after : 1;
}

static int authenticate(struct sk_req *r)
{
	if (console_route(r)) {
		int rc = console_check(r);
		if (!rc && (r->retry_after = sk_http_rate(r->staff.session_id, config->rate_limit,
							  2 * config->rate_limit)))
			rc = sk_errf(&r->err, SK_ERR_RATE_LIMITED, "too many requests; retry after %d s",
				     r->retry_after);
		return rc;
	}
	int rc = key_check(r);
	if (rc)
		return rc;
	if ((r->retry_after = sk_http_rate(r->key.id, config->rate_limit, 2 * config->rate_limit)))
		return sk_errf(&r->err, SK_ERR_RATE_LIMITED, "more than %g requests per second; "
			       "retry after %d s", config->rate_limit, r->retry_after);
	return 0;
}

/* The cap of a route's body. */
static size_t body_cap(const struct sk_route *route)
{
	if (route->max_body == SK_NO_BODY)
		return 0;
	return route->max_body ? route->max_body : config->max_body;
}

static int too_large(struct sk_req *r)
{
	if (r->max_body == 0)
		return sk_errf(&r->err, SK_ERR_TOO_LARGE, "%s %s takes no body", r->method,
			       r->route->path);
	return sk_errf(&r->err, SK_ERR_TOO_LARGE, "the body is larger than %zu bytes", r->max_body);
}

/* ---- group commit (docs/internals/group-commit.md) ---- */

/* On the writer's thread, in the group's transaction: the route's handler on the writer's
 * core. Its answer (or error, in r->err) waits in r until the group has committed. The
 * request is suspended meanwhile: libmicrohttpd leaves its headers and body alone. */
static int group_job(struct sk_core *c, void *arg, struct sk_errctx *err)
{
	struct sk_req *r = arg;
	(void)err; /* r->err, the job's errctx */
	r->core = c;
	/* The key once more, as of this group: a key revoked while its write waited in the
	 * queue writes nothing (the bound of a revocation stays that of the key check). */
	/* (a console route's session was checked before the queue) */
	int rc = console_route(r) ? 0 : key_check(r);
	return rc ? rc : r->route->handler(r);
}

/* On the writer's thread, once the group has committed or failed: the request goes on,
 * and on_request answers it (a group that could not take the write lock: busy, with
 * Retry-After as for a full queue). */
static void group_done(struct sk_http_write *w)
{
	struct sk_req *r = (struct sk_req *)((char *)w - offsetof(struct sk_req, write));
	if (w->job.rc == SK_ERR_BUSY)
		r->retry_after = 1;
	MHD_resume_connection(r->conn);
}

/* Hands the request to the writer; suspended until group_done (or at once, answered 503
 * with Retry-After, when the queue is full). Suspended first: the writer may finish the
 * job before this returns. */
static void group_submit(struct sk_req *r)
{
	r->write.job = (struct sk_group_job){.run = group_job, .arg = r, .err = &r->err};
	r->write.done = group_done;
	r->writing = 1;
	MHD_suspend_connection(r->conn);
	/* from a 0 here on, r belongs to the writer until group_done: not a field is touched */
	int rc = env->write(&r->write, &r->err);
	if (rc) {
		r->write.job.rc = rc;
		r->retry_after = 1;
		MHD_resume_connection(r->conn);
	}
}

/* The last call: the whole request is here. */
static int dispatch(struct sk_req *r)
{
	int rc;
	if (r->early_rc)
		return r->early_rc;
	if (r->too_large)
		return too_large(r);
	if (r->route->flags & SK_ROUTE_NO_DB)
		return r->route->handler(r);
	if (!(r->core = env->core(&r->err)))
		return r->err.code ? r->err.code : SK_ERR_STORAGE;
	/* A GET reads only: its key check and its handler share one read snapshot, instead of
	 * a read transaction per statement; except the check (SK_ROUTE_ONE_READ), whose one
	 * question the store may answer from its hot cache outside a transaction. */
	/* A console page's GET neither: its session check notes the session's use, and its
	 * handler audits reads of personal data (sk_staff_audit), both writes. */
	int snapshot = strcmp(r->route->method, "GET") == 0 &&
		       !(r->route->flags & SK_ROUTE_ONE_READ) && !console_route(r) &&
		       sk_core_read_begin(r->core, NULL) == 0;
	if (!r->route->scope || r->authed || r->metrics_only || !(rc = authenticate(r))) {
		rc = console_route(r) ? console_post_check(r) : 0;
		if (rc)
			; /* refused: nothing of the route runs */
		else if ((r->route->flags & SK_ROUTE_GROUP) && env->write)
			group_submit(r); /* answered when the handler's group has committed */
		else
			rc = r->route->handler(r);
	}
	if (snapshot)
		sk_core_read_end(r->core);
	return rc;
}

static enum MHD_Result count_host(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	(void)kind;
	(void)value;
	if (key && strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
		(*(int *)cls)++;
	return MHD_YES;
}

/* RFC 9112 3.2: an HTTP/1.1 request without Host, and any request with more than one, is
 * answered 400. */
static int host_check(struct sk_req *r, const char *version)
{
	int n = 0;
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_host, &n);
	if (n > 1)
		return sk_errf(&r->err, SK_ERR_BAD_REQUEST, "the request has %d Host headers; "
			       "send exactly one", n);
	if (n == 0 && version && strcmp(version, MHD_HTTP_VERSION_1_0) != 0)
		return sk_errf(&r->err, SK_ERR_BAD_REQUEST, "an HTTP/1.1 request needs a Host "
			       "header");
	return 0;
}

/* 1 when the Content-Type header names media type want (case-insensitive, parameters such
 * as "; charset=utf-8" allowed after it). */
static int media_is(const char *ct, const char *want)
{
	size_t n = strlen(want);
	if (!ct)
		return 0;
	ct += strspn(ct, " \t");
	return strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' || strchr(" \t;", ct[n]));
}

/* A JSON route's body must say Content-Type: application/json (a route that also takes CSV:
 * or text/csv); anything else, or none, is 415 before the body is read. */
static int media_check(struct sk_req *r)
{
	const char *ct = sk_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!(r->route->flags & SK_ROUTE_JSON) || media_is(ct, "application/json"))
		return 0;
	if ((r->route->flags & SK_ROUTE_CSV) && media_is(ct, "text/csv"))
		return 0;
	return sk_errf(&r->err, SK_ERR_UNSUPPORTED_MEDIA, "%s %s takes Content-Type: "
		       "application/json%s", r->route->method, r->route->path,
		       (r->route->flags & SK_ROUTE_CSV) ? " or text/csv" : "");
}

/* The first call: headers only. A request with a body has its route, key, scope, rate,
 * Content-Type and declared length checked here, so that a body that would be refused is
 * never read: the answer goes at once, and the connection closes after it. A request
 * without a body keeps its checks for the last call, so that its connection stays open. */
static int headers_check(struct sk_req *r, const char *url, const char *version)
{
	int rc = host_check(r, version);
	const char *cl = sk_req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = sk_req_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	unsigned long long len = cl ? strtoull(cl, NULL, 10) : 0;
	int has_body = len > 0 || te;

	if (!rc)
		rc = route_find(r, url);
	if (rc) {
		r->early_rc = rc;
		return has_body ? rc : 0;
	}
	r->max_body = body_cap(r->route);
	sk_buf_init(&r->body, r->max_body);
	if (!has_body)
		return 0;
	if (r->route->scope && !r->metrics_only) {
		if (!(r->core = env->core(&r->err)))
			return r->err.code ? r->err.code : SK_ERR_STORAGE;
		if ((rc = authenticate(r)))
			return rc;
		r->authed = 1;
	}
	if (len > r->max_body) {
		r->too_large = 1;
		return too_large(r);
	}
	return media_check(r);
}

/* ---- libmicrohttpd callbacks ---- */

/* A chunked body past its cap is read and dropped up to this many bytes, so that the client
 * gets its 413 at the end of it; past this the connection is closed. libmicrohttpd 0.9.75
 * cannot queue an answer while a body is half read. */
#define DISCARD_MAX (16u << 20)

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#define XFF_MAX (64u << 10)

/* Joins every X-Forwarded-For header in order, with ','. */
static enum MHD_Result xff_collect(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct sk_buf *b = cls;
	(void)kind;
	if (key && value && strcasecmp(key, "X-Forwarded-For") == 0 &&
	    ((b->len && sk_buf_append(b, ",", 1)) || sk_buf_appends(b, value))) {
		sk_buf_clear(b); /* cannot happen below libmicrohttpd's header pool; use the peer */
		return MHD_NO;
	}
	return MHD_YES;
}

/* The client's address: the TCP peer, or the one X-Forwarded-For names when the peer is a
 * --trusted-proxy (client.c). */
static void client_addr(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct sk_ipaddr peer, ip;
	out[0] = '\0';
	if (!ci || sk_ip_from_sockaddr(ci->client_addr, &peer))
		return;
	ip = peer;
	if (ntrusted && sk_cidr_match(trusted, ntrusted, &peer)) {
		struct sk_buf xff;
		sk_buf_init(&xff, XFF_MAX);
		MHD_get_connection_values(conn, MHD_HEADER_KIND, xff_collect, &xff);
		sk_client_ip(&peer, xff.len ? xff.data : NULL, trusted, ntrusted, &ip);
		sk_buf_reset(&xff);
	}
	sk_ip_format(&ip, out, len);
}

static enum MHD_Result queue_reply(struct MHD_Connection *conn, struct sk_req *r)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		r->reply_len, r->reply, MHD_RESPMEM_MUST_FREE);
	if (!resp)
		return MHD_NO;
	r->reply = NULL;
	r->answered = 1;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				r->content_type ? r->content_type : "application/json");
	if (r->location[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->disposition)
		MHD_add_response_header(resp, "Content-Disposition", r->disposition);
	if (r->set_cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->set_cookie);
	/* Vary names what chose this answer besides the URL: the Origin (CORS) and, on the
	 * public pages, the language (page_lang in h_forms.c). */
	if (r->cors_origin[0] || r->vary_lang || r->vary) {
		char vary[96];
		snprintf(vary, sizeof(vary), "%s%s%s%s%s", r->cors_origin[0] ? "Origin" : "",
			 r->cors_origin[0] && r->vary_lang ? ", " : "",
			 r->vary_lang ? "Accept-Language" : "",
			 r->vary && (r->cors_origin[0] || r->vary_lang) ? ", " : "",
			 r->vary ? r->vary : "");
		MHD_add_response_header(resp, "Vary", vary);
	}
	if (r->cors_origin[0]) {
		MHD_add_response_header(resp, "Access-Control-Allow-Origin", r->cors_origin);
		if (strcmp(r->method, "OPTIONS") == 0) {
			MHD_add_response_header(resp, "Access-Control-Allow-Methods", "POST");
			MHD_add_response_header(resp, "Access-Control-Allow-Headers", "Content-Type");
			MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
		}
	}
	/* Answers carry personal data (the API) or credentials (a confirmation page holds its
	 * link's token): no cache, shared or private, keeps them. Only the public assets
	 * (h_assets.c) say otherwise. */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				r->cache_control ? r->cache_control : "no-store");
	/* A page's CSP is the renderer's choice (sk_page_csp, through sk_page_reply); any other
	 * HTML answer gets the strictest: nothing inline, no framing. */
	if (r->content_type && strncmp(r->content_type, "text/html", 9) == 0) {
		MHD_add_response_header(resp, "Content-Security-Policy",
					r->csp ? r->csp : SK_PAGE_CSP_DEFAULT);
		/* No Referer to other sites (a page's URL may hold its link's token); not
		 * no-referrer, with which a browser posts a page's own forms with `Origin: null`,
		 * which the origin checks refuse (tests/e2e/forms.sh found it). */
		MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	}
	/* every answer is what its Content-Type says (the assets' script and stylesheet too) */
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (r->status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->status == MHD_HTTP_TOO_MANY_REQUESTS ||
	    (r->status == MHD_HTTP_SERVICE_UNAVAILABLE && r->retry_after)) {
		char s[16];
		snprintf(s, sizeof(s), "%d", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, s);
	}
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct sk_req *r = *con_cls;
	int rc;

	/* First call: headers only. Answering here makes libmicrohttpd close the connection
	 * after the answer, so only a request whose body is refused unread is answered here. */
	if (!r) {
		if (!(r = sk_calloc(1, sizeof(*r))))
			return MHD_NO;
		r->conn = conn;
		r->method = method;
		r->metrics_only = cls != NULL; /* the --metrics-listen listener's */
		client_addr(conn, r->ip, sizeof(r->ip));
		r->start_ns = mono_ns();
		atomic_fetch_add(&inflight, 1);
		*con_cls = r;
		if ((rc = headers_check(r, url, version))) {
			const union MHD_ConnectionInfo *ci =
				MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
			struct conn_state *st = ci ? ci->socket_context : NULL;
			if (st)
				st->linger = 1;
			reply_error(r, rc);
			return queue_reply(conn, r);
		}
		return MHD_YES;
	}
	if (r->answered) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		r->received += *upload_size;
		if (!r->too_large && sk_buf_append(&r->body, upload, *upload_size)) {
			r->too_large = 1;
			sk_buf_reset(&r->body);
		}
		*upload_size = 0;
		if (!r->too_large || r->received <= DISCARD_MAX)
			return MHD_YES;
		return MHD_NO;
	}

	if (r->writing) { /* resumed: the writer has run it, and its group has committed or not */
		r->writing = 0;
		if (r->write.job.rc)
			reply_error(r, r->write.job.rc);
		return queue_reply(conn, r);
	}
	if ((rc = dispatch(r)))
		reply_error(r, rc);
	if (r->writing)
		return MHD_YES; /* suspended: group_done resumes it */
	return queue_reply(conn, r);
}

/* The time of a log line, formatted once per second per thread. */
static const char *log_time(void)
{
	static _Thread_local int64_t at = -1;
	static _Thread_local char t[SK_TIME_STRLEN];
	int64_t now = sk_time_now();
	if (now != at) {
		sk_time_format(now, t);
		at = now;
	}
	return t;
}

/* The access-log line of r, as text or (serve --log-format json) one JSON object, with the
 * same fields: time, method (from the metrics' list, else "other"), route pattern, status,
 * duration, key name, and whether the connection ended early. Never a query string, path
 * parameter, address or a client's method bytes. Returns its
 * length (cut to fit, still one line). */
static int access_line(const struct sk_req *r, int64_t us, int early, char *line, size_t cap)
{
	int n;
	const char *method = sk_metrics_method(r->method); /* a known method, else "other" */
	if (config && config->log_format == SK_LOG_JSON) {
		n = snprintf(line, cap, "{\"time\":\"%s\",\"method\":\"%s\",\"route\":%s%s%s,"
			     "\"status\":%d,\"duration_ms\":%lld.%03lld,\"key\":%s%s%s,"
			     "\"ended_early\":%s}\n", log_time(), method,
			     r->route ? "\"" : "", r->route ? r->route->path : "null",
			     r->route ? "\"" : "", r->status, (long long)(us / 1000),
			     (long long)(us % 1000), r->key.name[0] ? "\"" : "",
			     r->key.name[0] ? r->key.name : "null", r->key.name[0] ? "\"" : "",
			     early ? "true" : "false");
	} else {
		n = snprintf(line, cap, "%s %s %s %d %lld.%03lldms key=%s%s\n", log_time(),
			     method, r->route ? r->route->path : "-", r->status,
			     (long long)(us / 1000), (long long)(us % 1000),
			     r->key.name[0] ? r->key.name : "-",
			     early ? " (connection ended early)" : "");
	}
	if (n > 0 && (size_t)n >= cap) { /* cut, but still one line */
		n = (int)cap - 1;
		line[n - 1] = '\n';
	}
	return n;
}

/* One access-log line per request, handed to the buffered writer (accesslog.c), which writes
 * it within SK_ALOG_FLUSH_MS; and the request counted for GET /metrics (by its route's index
 * in the table, never its path). */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	struct sk_req *r = *con_cls;
	if (!r)
		return;
	char line[512];
	/* the duration in microseconds, rounded, printed as milliseconds with 3 decimals */
	int64_t us = (mono_ns() - r->start_ns + 500) / 1000;
	sk_metrics_request(r->route ? (size_t)(r->route - sk_routes) : SK_METRICS_NO_ROUTE,
			   r->method, r->status, us);
	int n = access_line(r, us, toe != MHD_REQUEST_TERMINATED_COMPLETED_OK, line, sizeof(line));
	if (n > 0)
		sk_alog_line(line, (size_t)n);
	sk_buf_reset(&r->body);
	sk_free(r->reply);
	sk_free(r->csp);
	sk_free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&inflight, 1);
}

/* ---- connections per client ---- */

/* Open connections per TCP peer address. An entry lives while its peer has a connection, so
 * the table holds at most --max-connections entries. The accept policy refuses a peer at its
 * cap (a --trusted-proxy is exempt: it carries many clients); the count itself moves when
 * libmicrohttpd starts and closes a connection, so that every counted connection is also
 * uncounted. Threads accepting at the same moment can pass the cap by at most threads - 1. */

#define CONN_SLOTS 1024

struct conn_count {
	struct sk_ipaddr ip;
	unsigned n;
	struct conn_count *next;
};

static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conn_count *conns[CONN_SLOTS];


static size_t ip_slot(const struct sk_ipaddr *ip)
{
	uint32_t h = 2166136261u ^ (uint32_t)ip->family;
	for (size_t i = 0; i < sizeof(ip->a); i++)
		h = (h ^ ip->a[i]) * 16777619u;
	return h % CONN_SLOTS;
}

static struct conn_count **conn_find(const struct sk_ipaddr *ip)
{
	struct conn_count **pp = &conns[ip_slot(ip)];
	while (*pp && ((*pp)->ip.family != ip->family || memcmp((*pp)->ip.a, ip->a, 16) != 0))
		pp = &(*pp)->next;
	return pp;
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct sk_ipaddr ip;
	(void)cls;
	(void)addrlen;
	if (sk_ip_from_sockaddr(addr, &ip) || (ntrusted && sk_cidr_match(trusted, ntrusted, &ip)))
		return MHD_YES;
	pthread_mutex_lock(&conns_lock);
	struct conn_count *e = *conn_find(&ip);
	unsigned n = e ? e->n : 0;
	pthread_mutex_unlock(&conns_lock);
	return n < per_client_cap ? MHD_YES : MHD_NO;
}

/* ---- closing a connection whose body was refused unread ---- */

/* A request whose body is refused before it is read is answered at once, and libmicrohttpd
 * then closes the connection with the body still arriving. Closed at once, the socket would
 * answer the body with a reset, and a client that is still sending (node's http module, for
 * one) loses the answer with it. So such a socket is kept (a dup of it) for LINGER_MS after
 * the answer and its FIN, and closed then, as nginx's lingering_close does; at most
 * LINGER_MAX at a time, beyond that they are closed at once. Nothing is read from it. */

#define LINGER_MAX 256
#define LINGER_MS 2000

static pthread_mutex_t linger_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t linger_cond = PTHREAD_COND_INITIALIZER;
static struct {
	int fd;
	int64_t until_ns;
} lingering[LINGER_MAX];
static int nlingering, linger_stop;

static void linger_add(int fd)
{
	pthread_mutex_lock(&linger_lock);
	if (nlingering < LINGER_MAX && !linger_stop) {
		int d = dup(fd);
		if (d >= 0) {
			shutdown(d, SHUT_WR);
			lingering[nlingering].fd = d;
			lingering[nlingering].until_ns = mono_ns() + (int64_t)LINGER_MS * 1000000;
			nlingering++;
			pthread_cond_signal(&linger_cond);
		}
	}
	pthread_mutex_unlock(&linger_lock);
}

static void *linger_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&linger_lock);
	for (;;) {
		int64_t now = mono_ns(), next = now + 1000000000;
		for (int i = 0; i < nlingering;) {
			if (linger_stop || lingering[i].until_ns <= now) {
				close(lingering[i].fd);
				lingering[i] = lingering[--nlingering];
			} else {
				if (lingering[i].until_ns < next)
					next = lingering[i].until_ns;
				i++;
			}
		}
		if (linger_stop)
			break;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		int64_t ns = until.tv_nsec + (next - now);
		until.tv_sec += ns / 1000000000;
		until.tv_nsec = ns % 1000000000;
		pthread_cond_timedwait(&linger_cond, &linger_lock, &until);
	}
	pthread_mutex_unlock(&linger_lock);
	return NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		sk_metrics_conn(1);
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		struct sk_ipaddr ip;
		struct conn_state *st = sk_calloc(1, sizeof(*st));
		*socket_context = st;
		if (!st || !ci || sk_ip_from_sockaddr(ci->client_addr, &ip))
			return;
		pthread_mutex_lock(&conns_lock);
		struct conn_count **pp = conn_find(&ip);
		if (!*pp && (*pp = sk_calloc(1, sizeof(**pp))))
			(*pp)->ip = ip;
		if (*pp) {
			(*pp)->n++;
			st->count = *pp;
		}
		pthread_mutex_unlock(&conns_lock);
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		sk_metrics_conn(-1);
		if (!*socket_context)
			return;
		struct conn_state *st = *socket_context;
		struct conn_count *e = st->count;
		if (e) {
			pthread_mutex_lock(&conns_lock);
			if (--e->n == 0) {
				struct conn_count **pp = conn_find(&e->ip);
				*pp = e->next;
				sk_free(e);
			}
			pthread_mutex_unlock(&conns_lock);
		}
		if (st->linger) {
			/* libmicrohttpd closes its descriptor after this call */
			const union MHD_ConnectionInfo *ci =
				MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
			if (ci && ci->connect_fd >= 0)
				linger_add(ci->connect_fd);
		}
		sk_free(st);
		*socket_context = NULL;
	}
}

/* Raises the open-file limit to its hard limit and returns how many connections fit in it:
 * a socket each, and room for the listening socket, the databases of every thread (file,
 * WAL, shared memory, journal), the webhook and mail workers and the lingering sockets. */
static unsigned connections_that_fit(unsigned threads)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t want = rl.rlim_max;
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	rlim_t reserve = 64 + 8 * (rlim_t)threads + LINGER_MAX;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > reserve + 1000000)
		return 1000000;
	return rl.rlim_cur > reserve ? (unsigned)(rl.rlim_cur - reserve) : 0;
}

/* ---- start and stop ---- */

static int parse_listen(const char *opt, const char *s, struct sockaddr_storage *ss,
			struct sk_errctx *err)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	const char *h = s;
	size_t hlen = colon ? (size_t)(colon - s) : 0;
	if (hlen && s[0] == '[' && s[hlen - 1] == ']') {
		h = s + 1;
		hlen -= 2;
	}
	char *end;
	long port = colon ? strtol(colon + 1, &end, 10) : -1;
	if (!colon || hlen == 0 || hlen >= sizeof(host) || *end || port < 0 || port > 65535)
		return sk_errf(err, SK_ERR_USAGE, "%s takes HOST:PORT, such as 127.0.0.1:8080", opt);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
	} else {
		return sk_errf(err, SK_ERR_USAGE, "%s needs a numeric IPv4 or IPv6 address", opt);
	}
	return 0;
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	sk_log(SK_LOG_ERROR, "libmicrohttpd: %s", msg);
}

static struct sockaddr_storage listen_addr;
static struct sockaddr_storage metrics_addr; /* --metrics-listen */

struct sk_http {
	struct MHD_Daemon *d;
	pthread_t lingerer;
	int have_lingerer;
	unsigned timeout;
	int fd; /* the listening socket (ours: MHD_OPTION_LISTEN_SOCKET) */
	struct MHD_Daemon *metrics; /* the --metrics-listen listener; NULL: none */
};

/* The listening socket on listen_addr, made here rather than by libmicrohttpd so that a
 * failure names the address and port it tried (libmicrohttpd's message says "port 0" when
 * given a socket address) and why. Returns the descriptor, or -1 with err set. */
static int listen_socket(const struct sockaddr_storage *addr, const char *listen_text,
			 struct sk_errctx *err)
{
	socklen_t len = addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						    : sizeof(struct sockaddr_in);
	int on = 1;
	int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		sk_errf(err, SK_ERR_IO, "cannot listen on %s: %s", listen_text, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (addr->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (const struct sockaddr *)addr, len) != 0 || listen(fd, SOMAXCONN) != 0) {
		sk_errf(err, SK_ERR_IO, "cannot listen on %s: %s", listen_text, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static unsigned max_conns;

int sk_http_listen_check(const char *listen, struct sk_errctx *err)
{
	struct sockaddr_storage ss;
	return parse_listen("--listen", listen, &ss, err);
}

int sk_http_check(const struct sk_server_config *cfg, struct sk_errctx *err)
{
	int rc;
	config = cfg;
	if ((rc = parse_listen("--listen", cfg->listen, &listen_addr, err)))
		return rc;
	if (cfg->metrics_listen &&
	    (rc = parse_listen("--metrics-listen", cfg->metrics_listen, &metrics_addr, err)))
		return rc;
	if (cfg->ntrusted_proxies > SK_MAX_TRUSTED_PROXIES)
		return sk_errf(err, SK_ERR_USAGE, "at most %d --trusted-proxy prefixes",
			       SK_MAX_TRUSTED_PROXIES);
	for (ntrusted = 0; ntrusted < cfg->ntrusted_proxies; ntrusted++)
		if (sk_cidr_parse(cfg->trusted_proxies[ntrusted], &trusted[ntrusted]))
			return sk_errf(err, SK_ERR_USAGE, "--trusted-proxy '%.64s' is not an IPv4 or "
				       "IPv6 address with an optional /PREFIX-LENGTH",
				       cfg->trusted_proxies[ntrusted]);
	unsigned threads = cfg->threads ? cfg->threads : 2;
	max_conns = cfg->max_connections ? cfg->max_connections : SK_MAX_CONNECTIONS;
	per_client_cap = cfg->max_client_connections ? cfg->max_client_connections
						      : SK_MAX_CLIENT_CONNECTIONS;
	unsigned fit = connections_that_fit(threads);
	if (max_conns > fit) {
		if (fit < threads)
			return sk_errf(err, SK_ERR_IO, "the open-file limit leaves no room for "
				       "connections (ulimit -n)");
		sk_log(SK_LOG_WARN, "--max-connections %u lowered to %u by the open-file limit "
		       "(ulimit -n)", max_conns, fit);
		max_conns = fit;
	}
	return 0;
}

/* The --metrics-listen listener: its own socket and one thread, answering GET /metrics
 * without a key and 404 to any other path (on_request with a non-NULL cls); it says where it
 * listens on stderr, so that stdout keeps its one line. */
/* 1 when a is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z). */
static int is_loopback(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24 == 127;
	const struct in6_addr *v6 = &((const struct sockaddr_in6 *)a)->sin6_addr;
	return a->ss_family == AF_INET6 &&
	       (IN6_IS_ADDR_LOOPBACK(v6) || (IN6_IS_ADDR_V4MAPPED(v6) && v6->s6_addr[12] == 127));
}

static int metrics_start(struct sk_http *h, const char *text, struct sk_errctx *err)
{
	static int marker;
	int fd = listen_socket(&metrics_addr, text, err);
	if (fd < 0)
		return err->code;
	h->metrics = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
			(metrics_addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
		0, NULL, NULL, on_request, &marker,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, NULL,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_CONNECTION_TIMEOUT, config->timeout,
		MHD_OPTION_CONNECTION_LIMIT, 16u,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_END);
	if (!h->metrics) {
		close(fd);
		return sk_errf(err, SK_ERR_IO, "cannot serve metrics on %s", text);
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->metrics,
							       MHD_DAEMON_INFO_BIND_PORT);
	const char *colon = strrchr(text, ':');
	sk_log(SK_LOG_INFO, "metrics on http://%.*s:%u/metrics", (int)(colon - text), text,
	       info ? info->port : 0);
	/* allowed (a monitoring network may need it), but said: it has no key */
	if (!is_loopback(&metrics_addr))
		sk_log(SK_LOG_WARN, "--metrics-listen %s is not a loopback address: whoever "
		       "reaches it reads the metrics, without a key", text);
	return 0;
}

int sk_http_start(const struct sk_server_config *cfg, const struct sk_http_env *e,
		  struct sk_http **out, struct sk_errctx *err)
{
	struct sk_http *h = sk_calloc(1, sizeof(*h));
	if (!h)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	config = cfg;
	env = e;
	h->timeout = cfg->timeout;
	signal(SIGPIPE, SIG_IGN);
	int fd = listen_socket(&listen_addr, cfg->listen, err);
	if (fd < 0) {
		sk_free(h);
		return err->code;
	}
	/* the access log's writer thread; without it, lines are written at once */
	struct sk_errctx lerr = {0};
	if (sk_alog_start(STDERR_FILENO, &lerr))
		sk_log(SK_LOG_WARN, "%s; access-log lines are written one by one", lerr.msg);
	h->d = MHD_start_daemon(
		MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
			(listen_addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
		0, on_accept, NULL, on_request, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, NULL,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_THREAD_POOL_SIZE, cfg->threads ? cfg->threads : 2,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout,
		MHD_OPTION_CONNECTION_LIMIT, max_conns,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_END);
	if (!h->d) {
		sk_alog_stop();
		close(fd);
		sk_free(h);
		return sk_errf(err, SK_ERR_IO, "cannot serve on %s", cfg->listen);
	}
	h->fd = fd;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	const char *colon = strrchr(cfg->listen, ':');
	printf("listening on http://%.*s:%u\n", (int)(colon - cfg->listen), cfg->listen,
	       info ? info->port : 0);
	fflush(stdout);
	if (cfg->metrics_listen && metrics_start(h, cfg->metrics_listen, err)) {
		MHD_stop_daemon(h->d); /* it closes fd, as it owns it (not quiesced) */
		sk_alog_stop();
		sk_free(h);
		return err->code;
	}
	h->have_lingerer = pthread_create(&h->lingerer, NULL, linger_main, NULL) == 0;
	if (!h->have_lingerer) {
		pthread_mutex_lock(&linger_lock);
		linger_stop = 1; /* no thread to close them: sockets close at once */
		pthread_mutex_unlock(&linger_lock);
	}
	*out = h;
	return 0;
}

void sk_http_stop(struct sk_http *h)
{
	if (!h)
		return;
	if (h->metrics) /* a scrape in flight is answered first; its socket closes with it */
		MHD_stop_daemon(h->metrics);
	/* Stop accepting; let what is in flight finish (at most the timeout), then stop. */
	MHD_socket lfd = MHD_quiesce_daemon(h->d);
	for (unsigned waited = 0; atomic_load(&inflight) > 0 && waited < 100 * h->timeout; waited++)
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	/* Writes still queued are run and their requests resumed (a suspended request must
	 * not meet MHD_stop_daemon); later ones are answered 503. Then a short wait for those
	 * answers to go out. */
	sk_con_import_stop(); /* the import worker uses a core of the daemon's */
	if (env->write_stop) {
		env->write_stop();
		for (unsigned waited = 0; atomic_load(&inflight) > 0 && waited < 200; waited++)
			nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	MHD_stop_daemon(h->d);
	if (lfd != MHD_INVALID_SOCKET) /* quiesced: the listening socket is ours to close */
		close(lfd);
	sk_alog_stop(); /* after the daemon: the last requests' lines are in the buffer */
	if (h->have_lingerer) {
		pthread_mutex_lock(&linger_lock);
		linger_stop = 1;
		pthread_cond_signal(&linger_cond);
		pthread_mutex_unlock(&linger_lock);
		pthread_join(h->lingerer, NULL);
	}
	sk_free(h);
}

void sk_http_versions(sk_version_fn *fn, void *arg)
{
	fn(arg, "libmicrohttpd", MHD_get_version());
}
