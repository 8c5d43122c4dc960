/* store.c: opening a store by URI through the table of backends (as SQLite finds a VFS by
 * name), and the sk_store_* wrappers generated from SK_STORE_METHOD_LIST: the only way the
 * rest of samtycke reaches a storage backend. */
#include "store/store.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/store_int.h"
#include "util/err.h"
#include "util/str.h"

#define SCHEME_SHOWN_MAX 32 /* bytes of an unknown scheme quoted in an error message */

/* One backend per scheme. open gets the whole URI and what follows "scheme:" (for a plain
 * path, the path); NULL open: the scheme is known but its backend is not built in. file:
 * the local file a URI names, or NULL. */
struct backend {
	const char *scheme;
	int (*open)(const char *uri, const char *rest, int create, struct sk_store **out,
		    struct sk_errctx *err);
	const char *(*file)(const char *rest);
};

/* sqlite:PATH is PATH as written; sqlite://... must have an empty host, so that
 * sqlite:///var/lib/x.db is /var/lib/x.db (file: URIs read so, RFC 8089). NULL: no path. */
static const char *sqlite_file(const char *rest)
{
	if (strncmp(rest, "//", 2) == 0)
		rest += 2;
	else
		return rest[0] ? rest : NULL;
	return rest[0] == '/' ? rest : NULL;
}

static int sqlite_open(const char *uri, const char *rest, int create, struct sk_store **out,
		       struct sk_errctx *err)
{
	const char *path = sqlite_file(rest);
	(void)uri;
	if (!path && strncmp(rest, "//", 2) == 0 && rest[2])
		return sk_errf(err, SK_ERR_USAGE,
			       "a sqlite:// store URI takes no host: write sqlite:///ABSOLUTE/PATH, or "
			       "sqlite:PATH for a relative one");
	if (!path)
		return sk_errf(err, SK_ERR_USAGE, "the sqlite store URI names no file");
	return sk__store_open_sqlite(path, create, out, err);
}

/* The whole URI goes to libpq (which takes both spellings); it is never printed. */
static int pg_open(const char *uri, const char *rest, int create, struct sk_store **out,
		   struct sk_errctx *err)
{
	(void)rest;
	return sk__store_open_pg(uri, create, out, err);
}

static const struct backend backends[] = {
	{"sqlite", sqlite_open, sqlite_file},
	{"postgresql", pg_open, NULL},
	{"postgres", pg_open, NULL},
};
#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

/* Length of uri's scheme (a letter, then letters, digits, '+', '-' or '.', then ':'); 0
 * when it has none and so is a plain path ("./a:b" and "/x/a:b" have none). */
static size_t scheme_len(const char *uri)
{
	size_t i = 0;
	if (!((uri[0] >= 'a' && uri[0] <= 'z') || (uri[0] >= 'A' && uri[0] <= 'Z')))
		return 0;
	while ((uri[i] >= 'a' && uri[i] <= 'z') || (uri[i] >= 'A' && uri[i] <= 'Z') ||
	       (uri[i] >= '0' && uri[i] <= '9') || uri[i] == '+' || uri[i] == '-' || uri[i] == '.')
		i++;
	return uri[i] == ':' ? i : 0;
}

/* The backend for uri and where its part after "scheme:" starts; NULL for an unknown
 * scheme. A plain path is SQLite's, whole. */
static const struct backend *backend_for(const char *uri, const char **rest)
{
	size_t n = scheme_len(uri);
	if (n == 0) {
		*rest = uri;
		return &backends[0];
	}
	*rest = uri + n + 1;
	for (size_t i = 0; i < NBACKENDS; i++)
		if (strlen(backends[i].scheme) == n && strncasecmp(uri, backends[i].scheme, n) == 0)
			return &backends[i];
	return NULL;
}

int sk_store_open(const char *uri, int create, struct sk_store **out, struct sk_errctx *err)
{
	const char *rest;
	const struct backend *b;

	*out = NULL;
	if (!uri || !uri[0])
		return sk_errf(err, SK_ERR_USAGE, "the store URI is empty");
	if (!(b = backend_for(uri, &rest))) {
		int n = (int)scheme_len(uri);
		return sk_errf(err, SK_ERR_USAGE,
			       "unknown store URI scheme '%.*s%s': this samtycke opens sqlite:PATH or "
			       "a file path (a file whose name has a ':' before any '/' is ./NAME)",
			       n > SCHEME_SHOWN_MAX ? SCHEME_SHOWN_MAX : n, uri,
			       n > SCHEME_SHOWN_MAX ? "..." : "");
	}
	if (!b->open)
		return sk_errf(err, SK_ERR_USAGE,
			       "store URI scheme '%s' is not built in this version: this samtycke "
			       "opens sqlite:PATH or a file path", b->scheme);
	return b->open(uri, rest, create, out, err);
}

/* 1 when the query parameter at p is libpq's password, its name read as libpq reads it
 * (percent-decoded: ?pass%77ord= is the password too); *len is then the name's length up to
 * and including its '='. */
static int param_is_password(const char *p, size_t *len)
{
	static const char want[] = "password";
	size_t i = 0, n = 0;
	for (; p[i] && p[i] != '=' && p[i] != '&'; n++) {
		int c = (unsigned char)p[i];
		if (c == '%' && isxdigit((unsigned char)p[i + 1]) && isxdigit((unsigned char)p[i + 2])) {
			char hex[3] = {p[i + 1], p[i + 2], 0};
			c = (int)strtol(hex, NULL, 16);
			i += 3;
		} else {
			i++;
		}
		if (n >= sizeof(want) - 1 || tolower(c) != want[n])
			return 0;
	}
	*len = i + 1;
	return n == sizeof(want) - 1 && p[i] == '=';
}

void sk_store_uri_shown(const char *uri, char *out, size_t cap)
{
	size_t o = 0;
	const char *p = uri ? uri : "", *auth = strstr(p, "://");
	const char *at = NULL, *colon = NULL;
	if (auth) { /* the authority: up to the first '/', '?' or '#' after "://" */
		auth += 3;
		size_t alen = strcspn(auth, "/?#");
		for (size_t i = 0; i < alen; i++)
			if (auth[i] == '@')
				at = auth + i; /* the last '@': a password may hold one */
		if (at)
			colon = memchr(auth, ':', (size_t)(at - auth));
	}
	for (; *p && o + 1 < cap; p++) {
		if (colon && p == colon + 1) {
			o += (size_t)snprintf(out + o, cap - o, "***");
			p = at - 1;
			continue;
		}
		int is_param = (p > uri && (p[-1] == '?' || p[-1] == '&'));
		size_t nlen;
		if (is_param && param_is_password(p, &nlen)) {
			o += (size_t)snprintf(out + o, cap - o, "password=***");
			for (p += nlen; *p && *p != '&'; p++)
				;
			p--; /* the loop steps onto the '&' or the end */
			continue;
		}
		out[o++] = *p;
	}
	if (o >= cap)
		o = cap - 1;
	out[o] = '\0';
}

/* The table and column of the last corrupt text read on this thread, for both backends. */
static _Thread_local char corrupt_where[64];

const char *sk_store_corrupt_where(void)
{
	return corrupt_where;
}

void sk__store_corrupt(const char *where)
{
	sk_strlcpy(corrupt_where, where, sizeof(corrupt_where));
}

const char *sk_store_uri_file(const char *uri)
{
	const char *rest;
	const struct backend *b;
	if (!uri || !uri[0] || !(b = backend_for(uri, &rest)) || !b->file)
		return NULL;
	return b->file(rest);
}

/* The tables once: X(name, columns, ncols, order). From this list come sk_store_tables and
 * each backend's SELECT and INSERT of rows_each and rows_put (sk__store_rows_sql), constant
 * strings put together by the preprocessor: no SQL is ever built at run time. */
#define SK__TABLE_LIST(X)                                                                   \
	X(meta, "key, value", 2, "key")                                                       \
	X(policy_versions, "version, applied_at, text", 3, "version")                         \
	X(notices, "purpose, version, lang, text, sha256, created_at", 6,                     \
	  "purpose, version, lang")                                                           \
	X(contacts, "id, email_key, created_at, updated_at", 4, "id")                         \
	X(contact_keys, "contact_id, wrapped", 2, "contact_id")                               \
	X(contact_fields, "contact_id, name, sealed", 3, "contact_id, name")                  \
	X(consent_ledger,                                                                     \
	  "seq, id, contact_id, purpose, action, occurred_at, recorded_at, method, source,"  \
	  " notice_version, notice_sha256, lang, valid_until, actor, flags, evidence,"       \
	  " prev_hash, hash, hash_version", 19, "seq")                                       \
	X(consent_state,                                                                      \
	  "email_key, purpose, contact_id, status, seq, event_id, updated_at, valid_until,"  \
	  " notice_version", 9, "email_key, purpose")                                        \
	X(suppressions, "email_key, reason, at", 3, "email_key")                              \
	X(changes, "seq, type, contact_id, purpose, status, at", 6, "seq")                    \
	X(api_keys, "id, name, scopes, secret_hash, created_at, revoked_at", 6, "id")         \
	X(idempotency, "key_id, idem_key, request_hash, status, body, created_at", 6,         \
	  "key_id, idem_key")                                                                 \
	X(rectifications, "contact_id, at, actor, fields", 4, "contact_id, at, actor, fields") \
	X(webhooks,                                                                           \
	  "id, name, url, events, secret, created_at, enabled, cursor, failures,"            \
	  " first_failure_at, next_attempt_at, last_status, last_error, last_attempt_at,"    \
	  " nfailed, last_failed_seq", 16, "id")                                             \
	X(form_requests, "id, email_key, purposes, created_at, expires_at, payload", 6, "id") \
	X(mail_outbox,                                                                        \
	  "id, email_key, kind, ref, created_at, next_attempt_at, attempts, sent_at,"        \
	  " failed_at, last_error", 10, "id")                                                \
	X(staff_users, "name, role, hash, created_at, disabled, failed, locked_until", 7,    \
	  "name")                                                                             \
	X(staff_audit, "seq, at, who, role, action, target, detail", 7, "seq")               \
	X(visitors, "id, contact_id, created_at, last_seen_at", 4, "id")                      \
	X(visitor_answers,                                                                    \
	  "seq, visitor_id, purpose, action, at, banner_version, notice_version,"            \
	  " notice_sha256, lang, page, signal, ua_class", 12, "seq")                         \
	X(track_events,                                                                       \
	  "id, at, type, name, url, utm_source, utm_medium, utm_campaign, utm_term,"         \
	  " utm_content, visitor_id, contact_id, campaign_id, ip, company", 15, "id")        \
	X(company_ranges, "start_key, end_key, name", 3, "start_key, end_key")                \
	X(scores, "contact_id, score, computed_at, nevents, last_at", 5, "contact_id")        \
	X(campaigns, "id, name, purpose, status, created_at, updated_at, spec", 7, "id")      \
	X(campaign_sends,                                                                     \
	  "id, campaign_id, contact_id, state, reason, consent_id, lang, queued_at, sent_at", \
	  9, "id")

/* The parameters of an INSERT of n columns: SQLite's ?N and PostgreSQL's $N. */
#define SK__Q1 "?1"
#define SK__Q2 SK__Q1 ", ?2"
#define SK__Q3 SK__Q2 ", ?3"
#define SK__Q4 SK__Q3 ", ?4"
#define SK__Q5 SK__Q4 ", ?5"
#define SK__Q6 SK__Q5 ", ?6"
#define SK__Q7 SK__Q6 ", ?7"
#define SK__Q8 SK__Q7 ", ?8"
#define SK__Q9 SK__Q8 ", ?9"
#define SK__Q10 SK__Q9 ", ?10"
#define SK__Q11 SK__Q10 ", ?11"
#define SK__Q12 SK__Q11 ", ?12"
#define SK__Q13 SK__Q12 ", ?13"
#define SK__Q14 SK__Q13 ", ?14"
#define SK__Q15 SK__Q14 ", ?15"
#define SK__Q16 SK__Q15 ", ?16"
#define SK__Q17 SK__Q16 ", ?17"
#define SK__Q18 SK__Q17 ", ?18"
#define SK__Q19 SK__Q18 ", ?19"
#define SK__D1 "$1"
#define SK__D2 SK__D1 ", $2"
#define SK__D3 SK__D2 ", $3"
#define SK__D4 SK__D3 ", $4"
#define SK__D5 SK__D4 ", $5"
#define SK__D6 SK__D5 ", $6"
#define SK__D7 SK__D6 ", $7"
#define SK__D8 SK__D7 ", $8"
#define SK__D9 SK__D8 ", $9"
#define SK__D10 SK__D9 ", $10"
#define SK__D11 SK__D10 ", $11"
#define SK__D12 SK__D11 ", $12"
#define SK__D13 SK__D12 ", $13"
#define SK__D14 SK__D13 ", $14"
#define SK__D15 SK__D14 ", $15"
#define SK__D16 SK__D15 ", $16"
#define SK__D17 SK__D16 ", $17"
#define SK__D18 SK__D17 ", $18"
#define SK__D19 SK__D18 ", $19"

/* Keep in step with both backends' migrations: a column added to a table is added here too
 * (tests/unit/test_store.c checks that a copy holds every column of every row). The tables
 * come each after the ones its rows refer to. */
#define SK__TABLE_ENTRY(name, cols, n, order) {#name, cols, n, order},
const struct sk_store_table sk_store_tables[] = {SK__TABLE_LIST(SK__TABLE_ENTRY)};
#undef SK__TABLE_ENTRY

#define SK__TABLE_SQL(name, cols, n, order)                                              \
	{"SELECT " cols " FROM " #name " ORDER BY " order,                                   \
	 "INSERT INTO " #name "(" cols ") VALUES(" SK__Q##n ")",                             \
	 "INSERT INTO " #name "(" cols ") VALUES(" SK__D##n ") ON CONFLICT DO NOTHING"},
const struct sk__store_rows_sql sk__store_rows_sql[] = {SK__TABLE_LIST(SK__TABLE_SQL)};
#undef SK__TABLE_SQL
const int sk_store_ntables = (int)(sizeof(sk_store_tables) / sizeof(sk_store_tables[0]));

const struct sk_store_table *sk_store_table(const char *name)
{
	for (int i = 0; name && i < sk_store_ntables; i++)
		if (strcmp(sk_store_tables[i].name, name) == 0)
			return &sk_store_tables[i];
	return NULL;
}

#define SK__STORE_WRAPPER(name, params, args)                     \
	int sk_store_##name params                                \
	{                                                         \
		if (!s || !s->m || !s->m->name)                   \
			return SK_ERR_STORAGE;                    \
		return s->m->name args;                           \
	}
SK_STORE_METHOD_LIST(SK__STORE_WRAPPER)
#undef SK__STORE_WRAPPER

void sk_store_close(struct sk_store *s)
{
	if (s && s->m && s->m->close)
		s->m->close(s);
}

int sk_store_open_resident(const char *uri, struct sk_store **out, struct sk_errctx *err)
{
	int rc = sk_store_open(uri, 0, out, err);
	if (!rc && (rc = sk_store_bound_memory(*out))) {
		sk_errf(err, rc, "bounding the store's memory: %s", sk_err_message(rc));
		sk_store_close(*out);
		*out = NULL;
	}
	return rc;
}

void sk_store_versions(sk_version_fn *fn, void *arg)
{
	char pq[24];
	int v = PQlibVersion(); /* 150018 for 15.18 (from 10 on: major * 10000 + minor) */
	if (v >= 100000)
		snprintf(pq, sizeof(pq), "%d.%d", v / 10000, v % 10000);
	else
		snprintf(pq, sizeof(pq), "%d.%d.%d", v / 10000, v / 100 % 100, v % 100);
	fn(arg, "sqlite3", sqlite3_libversion());
	fn(arg, "libpq", pq);
}
