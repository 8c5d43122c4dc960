/* http_int.h: what the files of src/http share: the request, the route table, the reply
 * helpers, and the handlers. Handlers return 0 after replying, or an SK_ERR_* code with a
 * message in r->err; server.c turns that into the error envelope, in one place. */
#ifndef SK_HTTP_INT_H
#define SK_HTTP_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "http/http.h"
#include "render/console.h"
#include "render/render.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/net.h"

#define SK_JSON_MAX_DEPTH 32

struct MHD_Connection;

struct sk_req {
	struct MHD_Connection *conn;
	const char *method;
	const struct sk_route *route;
	char param[256];           /* the {id} of the path, when the route has one */
	struct sk_buf body;
	int too_large;
	size_t received;           /* body bytes read, kept or not */
	struct sk_core *core;      /* this worker thread's */
	struct sk_key_rec key;     /* the authenticated key */
	/* a console route's (scope "@CAN"): who is signed in, and the session's CSRF token */
	struct sk_staff staff;
	char csrf[SK_CSRF_STRLEN];
	int con_text;              /* a console refusal's text: an enum sk_con_msg + 1; 0: the
				    * error's own message (server.c) */
	char set_cookie[192];      /* a Set-Cookie header, "" for none (h_console_auth.c) */
	struct sk_errctx err;
	/* the reply */
	int status;
	char *reply;               /* owned until handed to libmicrohttpd */
	size_t reply_len;
	char allow[64];            /* Allow header for 405 */
	const char *content_type;  /* NULL: application/json */
	char location[1024];       /* Location header for redirects, "" for none */
	char cors_origin[256];     /* Access-Control-Allow-Origin, "" for none */
	/* text/html answers: the Content-Security-Policy the page chose (owned; NULL: the
	 * strict default, SK_PAGE_CSP_DEFAULT), and the form whose pages these are (its
	 * allowed_origins may frame them; set by the form handlers before the page reply) */
	char *csp;
	const struct sk_form *page_form;
	struct sk_policy page_pol;  /* sk_page_policy's copy, for a page holding a link token */
	const char *cache_control; /* NULL: no-store */
	const char *disposition;   /* Content-Disposition (a static string), NULL for none */
	int vary_lang;             /* the answer follows Accept-Language: Vary says so */
	const char *vary;          /* another request header the answer follows (a static
				    * string, such as "Sec-GPC" for /c.js), NULL for none */
	char ip[64];               /* the client's address (evidence and per-IP limits only):
				    * the TCP peer, or X-Forwarded-For from a --trusted-proxy */
	int retry_after;           /* seconds, for 429 */
	int64_t start_ns;
	/* what the first call (headers only) decided */
	int early_rc;              /* route or key error found before the body: answered at once */
	int authed;                /* the key was checked on the first call */
	int answered;              /* a response is queued */
	int metrics_only;          /* on the --metrics-listen listener: GET /metrics only, no key */
	size_t max_body;           /* this route's body cap */
	/* group commit (SK_ROUTE_GROUP): the write handed to the daemon's writer; while
	 * writing is set the request is suspended, and the writer's thread owns it */
	struct sk_http_write write;
	int writing;
};

struct sk_route {
	const char *method;
	const char *path;          /* "/v1/contacts/{id}": at most one {param} segment */
	const char *scope;         /* NULL: no key needed; "@CAN" (a console route): a signed-in
				    * staff session whose role may CAN (sk_can_name), and on a
				    * POST the session's CSRF token (docs/console.md) */
	int (*handler)(struct sk_req *r);
	size_t max_body;           /* bytes; 0: the server's --max-body; SK_NO_BODY: none */
	int flags;                 /* SK_ROUTE_* */
};

#define SK_ROUTE_NO_DB 1 /* answered without the database (no core, no key) */
#define SK_ROUTE_JSON 2  /* the body is JSON: any other Content-Type is 415 */
#define SK_ROUTE_CSV 4   /* with SK_ROUTE_JSON: text/csv is taken too */
#define SK_ROUTE_GROUP 8 /* a write whose handler runs on the daemon's writer, committed with
			  * others in one group (docs/internals/group-commit.md) */
/* A GET whose handler asks one question of the store (the check), or takes its own
 * snapshot and then writes (the audit, which records its result for the console): its key
 * check and handler run without the shared read snapshot of the other GETs, so that the
 * store may answer from its hot cache (store/sqlite.c), each read current as of its own
 * start. */
#define SK_ROUTE_ONE_READ 16
/* A console POST whose body is not a form post (the import's multipart upload): the server
 * checks its session, role and Origin but not its CSRF token, which its handler checks with
 * sk_con_csrf_ok once it has read its parts. */
#define SK_ROUTE_CSRF_SELF 32

#define SK_NO_BODY SIZE_MAX
#define SK_PREF_BODY_MAX 8192 /* a preference-centre form post (h_prefs.c) */
#define SK_CON_BODY_MAX 65536 /* a console form post (not an import's upload) */

/* The running server's configuration. */
const struct sk_server_config *sk_server_cfg(void);
/* The daemon's rate limit (struct sk_http_env): 0 when key may go on, else the seconds
 * to wait. rate per second; 0: off. */
int sk_http_rate(const char *key, double rate, double burst);

/* ---- the public pages (public.c: shared by h_forms.c and h_prefs.c) ---- */

/* The page's language: given (a submission's lang), else ?lang=, else the first of sv or en
 * in Accept-Language, else en. The answer then says Vary: Accept-Language. */
int sk_page_lang(struct sk_req *r, const char *given);
/* 1 when origin (an Origin header; NULL: none) is absent or the server's own: --public-url's
 * origin, or without one the request's Host. */
int sk_origin_own(struct sk_req *r, const char *origin);
/* The rate-limit bucket of the request's client address: "ip:ADDRESS", an IPv6 client by
 * its /64. */
void sk_client_bucket(const struct sk_req *r, char *out, size_t outlen);
/* Parses an application/x-www-form-urlencoded body (a=b&c=d, + for space, %XX escapes),
 * calling take for each pair; *store (sk_free it, also on error) holds the decoded text the
 * pairs point into. A pair without a name is SK_ERR_INVALID; take's error stops the parse. */
typedef int (*sk_pair_fn)(void *arg, struct sk_req *r, const char *k, const char *v);
int sk_req_urlencoded(struct sk_req *r, sk_pair_fn take, void *arg, char **store);
/* A form post's field: its name and where its value goes (NULL: taken and left, as the csrf
 * of a console form, which the server checked). */
struct sk_post_field {
	const char *name;
	const char **value;
};
/* Parses an urlencoded body (sk_req_urlencoded) into fields, a list ended by {NULL}: each
 * value slot is set to NULL first, then to its field's value; a field given twice or not in
 * the list is SK_ERR_INVALID naming it. */
int sk_req_form(struct sk_req *r, const struct sk_post_field *fields, char **store);

/* ---- the staff console (console.c; the pages are render/console*.c) ---- */

/* The frame of a console page of section nav for this request: the policy, the language
 * (sk_page_lang), the signed-in staff member and the session's CSRF token. */
void sk_con_frame_of(struct sk_req *r, enum sk_con_nav nav, struct sk_con_frame *out);
/* Ends the console page in b and makes it the reply (text/html, the console's CSP,
 * Cache-Control: no-store); frees b. rc is the error of building it, if any. */
int sk_con_reply(struct sk_req *r, struct sk_buf *b, int status, int rc);
/* The console's session cookie (docs/console.md): "sk_session=ID.SECRET". */
#define SK_CON_COOKIE "sk_session"
/* Sets the reply's cookie to value (NULL: clears it): Path=/console; HttpOnly;
 * SameSite=Strict, and Secure when --public-url is https (h_console_auth.c). */
void sk_con_cookie(struct sk_req *r, const char *value);
/* 1 when token is the CSRF token of the request's session (constant time). Otherwise 0,
 * with SK_ERR_FORBIDDEN and its message in r->err: the handler returns r->err.code, and the
 * server answers the console's 403 page. For SK_ROUTE_CSRF_SELF routes (server.c checks
 * every other console POST itself). */
int sk_con_csrf_ok(struct sk_req *r, const char *token);
/* The session options of the running server (--console-idle-minutes,
 * --console-session-hours). */
struct sk_session_opts sk_con_session_opts(void);

/* ---- client addresses (client.c; the addresses themselves are util/net.h) ---- */

/* The client of a request from peer with the X-Forwarded-For list xff (NULL: none; several
 * headers joined with ','): the peer itself unless it is a trusted proxy; then the right-most
 * address of xff that is not a trusted proxy (or the left-most when all are). Returns 1 when
 * an entry that is not an address stopped the walk (out is then the last trusted hop). */
int sk_client_ip(const struct sk_ipaddr *peer, const char *xff, const struct sk_cidr *trusted,
		 size_t ntrusted, struct sk_ipaddr *out);

extern const struct sk_route sk_routes[];
extern const size_t sk_nroutes;

/* Replies with v (taking its reference) as JSON. Returns 0 or SK_ERR_NOMEM. */
int sk_reply_json(struct sk_req *r, int status, json_t *v);
/* Replies with an already serialised JSON text (copied). */
int sk_reply_text(struct sk_req *r, int status, const char *json);
/* A query argument, or NULL. */
const char *sk_req_arg(struct sk_req *r, const char *name);
const char *sk_req_header(struct sk_req *r, const char *name);

/* The body as a JSON object: 400 bad_json (with line, column and byte), 400 too_deep, or 422
 * invalid when it is not an object or has a key outside allowed (NULL-terminated; NULL
 * allows any key, for bodies whose keys the caller checks, such as form fields). */
int sk_req_json(struct sk_req *r, const char *const *allowed, json_t **out);
/* A string member of o, or NULL when absent; SK_ERR_INVALID naming key when not a string. */
int sk_json_str(struct sk_req *r, json_t *o, const char *key, int required, const char **out);
/* Checks nesting depth of a JSON text without parsing it: 0 or SK_ERR_TOO_DEEP. */
int sk_json_depth_check(const char *p, size_t len, int max, size_t *at);

/* Runs fn inside a batch, honouring an Idempotency-Key header: a stored answer is replayed;
 * otherwise fn runs and its answer is saved with its writes, in one transaction. */
int sk_idempotent(struct sk_req *r, int (*fn)(struct sk_req *r, void *arg), void *arg);

/* Handlers (h_*.c). */
int sk_h_healthz(struct sk_req *r);
int sk_h_metrics(struct sk_req *r); /* h_metrics.c */
int sk_h_purposes(struct sk_req *r);
int sk_h_contact_create(struct sk_req *r);
int sk_h_contact_find(struct sk_req *r);
int sk_h_contact_get(struct sk_req *r);
int sk_h_contact_patch(struct sk_req *r);
int sk_h_contact_consents(struct sk_req *r);
int sk_h_consent_create(struct sk_req *r);
int sk_h_receipt(struct sk_req *r);
int sk_h_check(struct sk_req *r);
int sk_h_check_bulk(struct sk_req *r);
int sk_h_changes(struct sk_req *r);
int sk_h_audit(struct sk_req *r);
int sk_h_contact_export(struct sk_req *r);
int sk_h_contact_pref_link(struct sk_req *r);
int sk_h_contact_delete(struct sk_req *r);
int sk_h_suppression_check(struct sk_req *r);
int sk_h_form_page(struct sk_req *r);
int sk_h_form_post(struct sk_req *r);
int sk_h_form_preflight(struct sk_req *r);
int sk_h_confirm_page(struct sk_req *r);
int sk_h_confirm_post(struct sk_req *r);
int sk_h_webhook_create(struct sk_req *r);
int sk_h_webhook_get(struct sk_req *r);
int sk_h_webhook_delete(struct sk_req *r);
int sk_h_imports(struct sk_req *r);
int sk_h_key_revoke(struct sk_req *r);
int sk_h_asset_css(struct sk_req *r);
int sk_h_asset_embed(struct sk_req *r);
int sk_h_pref_ask(struct sk_req *r);
int sk_h_pref_request(struct sk_req *r);
int sk_h_pref_page(struct sk_req *r);
int sk_h_pref_consent(struct sk_req *r);
int sk_h_pref_export(struct sk_req *r);
int sk_h_pref_export_json(struct sk_req *r);
int sk_h_pref_erase_page(struct sk_req *r);
int sk_h_pref_erase(struct sk_req *r);
int sk_h_pref_renew(struct sk_req *r);
int sk_h_asset_console_css(struct sk_req *r);

/* the console (h_console_*.c), one block per file */
/* h_console_auth.c */
int sk_h_con_sign_in_page(struct sk_req *r);
int sk_h_con_sign_in(struct sk_req *r);
int sk_h_con_sign_out(struct sk_req *r);
int sk_h_con_audit(struct sk_req *r);
int sk_h_con_audit_csv(struct sk_req *r);
int sk_h_con_audit_json(struct sk_req *r);


/* h_console_overview.c */
int sk_h_con_overview(struct sk_req *r);
int sk_h_con_verify(struct sk_req *r);
int sk_h_con_purposes(struct sk_req *r);

/* h_console_person.c */
int sk_h_con_person_ask(struct sk_req *r);
int sk_h_con_person_find(struct sk_req *r);
int sk_h_con_person(struct sk_req *r);
int sk_h_con_person_record(struct sk_req *r);
int sk_h_con_person_withdraw(struct sk_req *r);
int sk_h_con_person_rectify(struct sk_req *r);
int sk_h_con_person_link(struct sk_req *r);
int sk_h_con_person_export(struct sk_req *r);
int sk_h_con_person_export_json(struct sk_req *r);
int sk_h_con_person_erase_page(struct sk_req *r);
int sk_h_con_person_erase(struct sk_req *r);
int sk_h_con_receipt(struct sk_req *r);

/* h_console_import.c */
/* The import pages (docs/console.md, "Importing"); the worker thread that runs the jobs. */
int sk_h_con_import_form(struct sk_req *r);
int sk_h_con_import_upload(struct sk_req *r);
int sk_h_con_import_job(struct sk_req *r);
int sk_h_con_import_progress(struct sk_req *r);
int sk_h_con_import_rejects(struct sk_req *r);
int sk_h_con_import_run(struct sk_req *r);
int sk_h_asset_console_js(struct sk_req *r);
/* Stops the import worker (sk_http_stop, before the cores close): the running import is
 * stopped after its last committed batch, to be resumed. */
void sk_con_import_stop(void);
/* The calling thread's core, as the daemon lends it (server.c): for the import worker. */
struct sk_core *sk_http_thread_core(struct sk_errctx *err);
#define SK_CON_UPLOAD_MAX (64u << 20) /* an import's upload (POST /console/import) */


/* h_console_admin.c */
int sk_h_con_audiences(struct sk_req *r);
int sk_h_con_audience_export(struct sk_req *r);
int sk_h_con_retention(struct sk_req *r);
int sk_h_con_retention_run(struct sk_req *r);
int sk_h_con_admin(struct sk_req *r);
int sk_h_con_admin_post(struct sk_req *r);


/* h_banner.c (helper visitor) */
#define SK_VISITOR_BODY_MAX 4096 /* a banner answer or identify post */
int sk_h_banner_js(struct sk_req *r);
int sk_h_visitor_answer(struct sk_req *r);
int sk_h_visitor_identify(struct sk_req *r);
int sk_h_visitor_preflight(struct sk_req *r);
int sk_h_visitor_get(struct sk_req *r);

/* h_track.c (helper track) */
#define SK_TRACK_BODY_MAX 4096 /* POST /t: an event is a few hundred bytes */
int sk_h_track_post(struct sk_req *r);
int sk_h_track_preflight(struct sk_req *r);
int sk_h_contact_score(struct sk_req *r);

/* h_campaigns.c (helper campaign) */
int sk_h_campaign_create(struct sk_req *r);
int sk_h_campaign_list(struct sk_req *r);
int sk_h_campaign_get(struct sk_req *r);
int sk_h_campaign_preview(struct sk_req *r);
int sk_h_campaign_send(struct sk_req *r);
int sk_h_suppression_add(struct sk_req *r);
int sk_h_unsub_page(struct sk_req *r);
int sk_h_unsub_post(struct sk_req *r);
int sk_h_mail_open(struct sk_req *r);
int sk_h_mail_click(struct sk_req *r);

/* h_utm.c (helper utm) */
int sk_h_utm(struct sk_req *r);
int sk_h_con_utm(struct sk_req *r);


#endif
