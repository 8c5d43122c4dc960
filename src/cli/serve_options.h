/* serve_options.h: every option of `samtycke serve`, described once: the flags (getopt), the
 * environment (SAMTYCKE_KEY), the configuration file (key = value) and the usage text all
 * come from SK_SERVE_OPTIONS; the sources are merged flag > environment > file > default
 * (docs/operations.md, "Configuration"). */
#ifndef SK_SERVE_OPTIONS_H
#define SK_SERVE_OPTIONS_H

#include <stddef.h>

#include "http/http.h" /* SK_WRITE_QUEUE_MAX */

struct sk_errctx;

/* X(ID, key, kind, lo, hi, ARG, more, default, reloadable, meaning)
 * kind: TEXT (a word), INT (a whole number lo..hi), NUM (a number lo..hi), FLAG (true or
 * false; a flag without a value), CHOICE (one of ARG's words, "a|b"), LIST (repeatable: one
 * line or flag per value); GLOBAL_TEXT: a global option (before the command), only from the
 * file here (the flag and the environment are main.c's). default NULL: none; reloadable: a
 * SIGHUP applies a new value (else it needs a restart). */
#define SK_SERVE_OPTIONS(X)                                                                   \
	X(LISTEN, "listen", TEXT, 0, 0, "HOST:PORT", "", "127.0.0.1:8080", 0,                  \
	  "address of the API (loopback by default; port 0 picks a free one)")                 \
	X(THREADS, "threads", INT, 1, 64, "N", "", "2", 0, "worker threads")                  \
	X(TIMEOUT, "timeout", INT, 1, 3600, "SECONDS", "", "15", 0,                            \
	  "seconds a silent client is kept")                                                   \
	X(RATE_LIMIT, "rate-limit", NUM, 0, 1e9, "PER_SECOND", "", "100", 1,                   \
	  "requests a second per API key or console session; 0: no limit")                     \
	X(FORM_RATE_LIMIT, "form-rate-limit", NUM, 0, 1e6, "PER_MINUTE", "", "10", 1,          \
	  "form posts a minute per client address; 0: no limit")                               \
	X(PUBLIC_URL, "public-url", TEXT, 0, 0, "URL", "", NULL, 0,                            \
	  "base of the links in mails (default http://LISTEN)")                                \
	X(SMTP_URL, "smtp-url", TEXT, 0, 0, "smtp://HOST:PORT", "", NULL, 0,                   \
	  "the mail server (smtp:// or smtps://); none: no mail is sent")                      \
	X(SMTP_USER, "smtp-user", TEXT, 0, 0, "USER", "", NULL, 0, "the SMTP login")           \
	X(SMTP_PASSWORD_FILE, "smtp-password-file", TEXT, 0, 0, "PATH", "", NULL, 0,           \
	  "a file readable by its owner only whose first line is the SMTP password")           \
	X(SMTP_TLS, "smtp-tls", CHOICE, 0, 0, "required|try", "", NULL, 0,                     \
	  "STARTTLS on smtp:// (default required with smtp-user, else try)")                   \
	X(MAIL_FROM, "mail-from", TEXT, 0, 0, "ADDRESS", "", NULL, 0,                          \
	  "the sender of mails (needed with smtp-url)")                                        \
	X(CONFIRM_DAYS, "confirm-days", INT, 1, 3650, "N", "", "7", 1,                         \
	  "days a confirmation link holds")                                                    \
	X(PENDING_DAYS, "pending-days", INT, 0, 3650, "N", "", "7", 1,                         \
	  "days before an unconfirmed consent expires; 0: never")                              \
	X(PURGE_DAILY, "purge-daily", FLAG, 0, 0, "", "", "false", 0,                          \
	  "run 'samtycke purge' once a day")                                                   \
	X(ALLOW_PRIVATE_WEBHOOKS, "allow-private-webhooks", FLAG, 0, 0, "", "", "false", 0,    \
	  "webhook endpoints on loopback and private networks allowed")                        \
	X(WEBHOOK_BACKOFF, "webhook-backoff", INT, 1, 3600, "SECONDS", "", "5", 1,             \
	  "seconds before the first retry of a failed delivery (doubling up to an hour)")      \
	X(WEBHOOK_RETRY_FOR, "webhook-retry-for", INT, 1, 365 * 86400.0, "SECONDS", "",        \
	  "259200", 1, "seconds a failed delivery is retried")                                 \
	X(WEBHOOK_PROXY, "webhook-proxy", TEXT, 0, 0, "URL", "", NULL, 0,                      \
	  "proxy for webhook deliveries (http://, https://, socks5://, socks5h://)")           \
	X(MAX_CONNECTIONS, "max-connections", INT, 1, 1000000, "N", "", "1000", 0,             \
	  "open connections in all")                                                           \
	X(MAX_CLIENT_CONNECTIONS, "max-client-connections", INT, 1, 1000000, "N", "", "64", 0, \
	  "open connections per client address")                                               \
	X(TRUSTED_PROXY, "trusted-proxy", LIST, 0, 0, "CIDR", "...", NULL, 0,                  \
	  "a reverse proxy whose X-Forwarded-For names the client (one line each)")            \
	X(WRITE_QUEUE, "write-queue", INT, 1, SK_WRITE_QUEUE_MAX, "N", "", "256", 0,           \
	  "API writes waiting for the group commit; one more is answered 503")                 \
	X(LEASE_SECONDS, "lease-seconds", INT, 1, 3600, "N", "", "30", 0,                      \
	  "how long a webhook or mail lease holds among several servers")                      \
	X(CONSOLE_IDLE_MINUTES, "console-idle-minutes", INT, 1, 1440, "N", "", "30", 1,        \
	  "a console session unused this long ends")                                           \
	X(CONSOLE_SESSION_HOURS, "console-session-hours", INT, 1, 168, "N", "", "12", 1,       \
	  "every console session ends this long after sign-in")                                \
	X(IMPORT_DIR, "import-dir", TEXT, 0, 0, "DIR", "", NULL, 0,                            \
	  "the console's import folder (default DATABASE.imports beside a SQLite file)")       \
	X(CAMPAIGN_RATE, "campaign-rate", NUM, 0.01, 10000, "PER_SECOND", "", "10", 1,         \
	  "campaign mails a second at most")                                                   \
	X(LOG_FORMAT, "log-format", CHOICE, 0, 0, "text|json", "", "text", 1,                  \
	  "the access log and the server's own lines: text, or one JSON object per line")      \
	X(METRICS_LISTEN, "metrics-listen", TEXT, 0, 0, "HOST:PORT", "", NULL, 0,              \
	  "a second listener serving only GET /metrics without a key")                         \
	X(DB, "db", GLOBAL_TEXT, 0, 0, "PATH", "", "samtycke.db", 0,                           \
	  "the database: a SQLite file or a store URI (global option --db)")                   \
	X(KEY_FILE, "key-file", GLOBAL_TEXT, 0, 0, "PATH", "", NULL, 0,                        \
	  "the master key file (global option --key-file; default DATABASE.key)")              \
	X(ERASURE_LOG, "erasure-log", GLOBAL_TEXT, 0, 0, "PATH", "", NULL, 0,                  \
	  "the erasure log (global option --erasure-log; default DATABASE.erasures)")

enum sk_serve_opt_id {
#define SK__SO_ID(id, ...) SK_SO_##id,
	SK_SERVE_OPTIONS(SK__SO_ID)
#undef SK__SO_ID
	SK_SO_COUNT
};

enum sk_serve_opt_kind {
	SK_SO_TEXT,
	SK_SO_INT,
	SK_SO_NUM,
	SK_SO_FLAG,
	SK_SO_CHOICE,
	SK_SO_LIST,
	SK_SO_GLOBAL_TEXT
};

struct sk_serve_opt {
	const char *key;
	enum sk_serve_opt_kind kind;
	double lo, hi;
	const char *arg;     /* the value's name in the usage; CHOICE: its words, "a|b" */
	const char *def;     /* NULL: none */
	int reloadable;
	const char *meaning; /* one line, for examples/samtycke.conf */
};

extern const struct sk_serve_opt sk_serve_opts[SK_SO_COUNT];

/* serve's usage, from the table: "[--config FILE] [--listen HOST:PORT] ..." */
#define SK__SO_USAGE_TEXT(id, key, kind, lo, hi, arg, more, ...) " [--" key " " arg "]" more
#define SK__SO_USAGE_FLAG(id, key, kind, lo, hi, arg, more, ...) " [--" key "]"
#define SK__SO_USAGE_INT SK__SO_USAGE_TEXT
#define SK__SO_USAGE_NUM SK__SO_USAGE_TEXT
#define SK__SO_USAGE_CHOICE SK__SO_USAGE_TEXT
#define SK__SO_USAGE_LIST SK__SO_USAGE_TEXT
#define SK__SO_USAGE_GLOBAL_TEXT(...) ""
#define SK__SO_USAGE(id, key, kind, ...) SK__SO_USAGE_##kind(id, key, kind, __VA_ARGS__)
#define SK_SERVE_USAGE                                                                         \
	"[--config FILE]" SK_SERVE_OPTIONS(SK__SO_USAGE)

/* The values one source gives: NULL where it gives none; a LIST's values joined by "\n";
 * line[]: the file's line of each (0 elsewhere). */
struct sk_serve_src {
	char *v[SK_SO_COUNT];
	int line[SK_SO_COUNT];
};

void sk_serve_src_reset(struct sk_serve_src *s);
/* The option named key; -1 when none. */
int sk_serve_opt_find(const char *key);
/* Checks value for option id; SK_ERR_USAGE "WHERE: WHY" ("--threads: must be a whole
 * number from 1 to 64"), where says where it came from. */
int sk_serve_opt_check(int id, const char *value, const char *where, struct sk_errctx *err);
/* Sets (a LIST: adds) value in s after checking it. */
int sk_serve_src_set(struct sk_serve_src *s, int id, const char *value, const char *where,
		     struct sk_errctx *err);
/* Reads the configuration file: SK_ERR_USAGE "PATH:LINE: ..." on an unknown key, a bad
 * value, a key given twice (but a LIST), a secret (smtp-password), or a syntax error. */
int sk_serve_src_file(const char *path, struct sk_serve_src *out, struct sk_errctx *err);
/* Reads SAMTYCKE_KEY for every key (empty: unset); a LIST's values separated by commas or
 * spaces; SK_ERR_USAGE names the variable. */
int sk_serve_src_env(struct sk_serve_src *out, struct sk_errctx *err);
/* "SAMTYCKE_RATE_LIMIT" for "rate-limit". */
void sk_serve_env_name(const char *key, char *out, size_t outlen);

#endif
