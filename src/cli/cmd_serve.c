/* cmd_serve.c: samtycke serve, the HTTP API: merges the options' sources (flags, environment,
 * configuration file, defaults: serve_options.h) into the server's configuration, and
 * re-reads the file on SIGHUP. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/serve_options.h"
#include "serve/serve.h"
#include "store/store.h"
#include "mail/mail.h"
#include "sync/sync.h"
#include "util/curl_dl.h"
#include "util/log.h"
#include "util/mem.h"
#include "vault/vault.h"

/* The console's import folder when --import-dir is not given: beside a SQLite database,
 * PATH.imports; none for PostgreSQL (several servers share no folder: name one). */
static const char *import_dir_of(const char *db, char *out, size_t outlen)
{
	if (!db || strncmp(db, "postgres", 8) == 0)
		return NULL;
	if (strncmp(db, "sqlite://", 9) == 0)
		db += 9;
	else if (strncmp(db, "sqlite:", 7) == 0)
		db += 7;
	int n = snprintf(out, outlen, "%s.imports", db);
	return n > 9 && (size_t)n < outlen ? out : NULL;
}

/* One run of serve: its sources, the values in effect, and what the server was given. Static:
 * the SIGHUP hook (reload) reaches it on the daemon's main thread. */
static struct serve_run {
	struct sk_server_config cfg;
	struct sk_mail_config mail;
	struct sk_serve_src flags, env, file;
	const char *config;     /* the file read; NULL: none */
	char *cur[SK_SO_COUNT]; /* in effect: a reloadable key's latest, the others' at start */
	char *proxy_buf;
	const char *proxies[SK_MAX_TRUSTED_PROXIES];
	char public_url[300], import_dir[4096], password[1024];
} run;

/* The one value of key id: flag, else environment, else file, else the default. */
static const char *merged(int id, const struct sk_serve_src *file)
{
	if (run.flags.v[id])
		return run.flags.v[id];
	if (run.env.v[id])
		return run.env.v[id];
	if (file->v[id])
		return file->v[id];
	return sk_serve_opts[id].def;
}

/* Puts key id's value (checked; NULL: none) where the server reads it. */
static void apply(int id, const char *v)
{
	struct sk_server_config *cfg = &run.cfg;
	double n = v ? strtod(v, NULL) : 0;
	int on = v && strcmp(v, "true") == 0;
	switch (id) {
	case SK_SO_LISTEN: cfg->listen = v; break;
	case SK_SO_THREADS: cfg->threads = (unsigned)n; break;
	case SK_SO_TIMEOUT: cfg->timeout = (unsigned)n; break;
	case SK_SO_RATE_LIMIT: cfg->rate_limit = n; break;
	case SK_SO_FORM_RATE_LIMIT: cfg->form_rate = n; break;
	case SK_SO_PUBLIC_URL: cfg->public_url = v; break;
	case SK_SO_SMTP_URL: run.mail.url = v; break;
	case SK_SO_SMTP_USER: run.mail.user = v; break;
	case SK_SO_SMTP_TLS: run.mail.tls_required = v && strcmp(v, "required") == 0; break;
	case SK_SO_MAIL_FROM: run.mail.from = v; break;
	case SK_SO_CONFIRM_DAYS: cfg->confirm_days = (int)n; break;
	case SK_SO_PENDING_DAYS: cfg->pending_days = (int)n; break;
	case SK_SO_PURGE_DAILY: cfg->purge_daily = on; break;
	case SK_SO_ALLOW_PRIVATE_WEBHOOKS: cfg->allow_private_webhooks = on; break;
	case SK_SO_WEBHOOK_BACKOFF: cfg->webhook_backoff = (int)n; break;
	case SK_SO_WEBHOOK_RETRY_FOR: cfg->webhook_retry_for = (long)n; break;
	case SK_SO_WEBHOOK_PROXY: cfg->webhook_proxy = v; break;
	case SK_SO_MAX_CONNECTIONS: cfg->max_connections = (unsigned)n; break;
	case SK_SO_MAX_CLIENT_CONNECTIONS: cfg->max_client_connections = (unsigned)n; break;
	case SK_SO_TRUSTED_PROXY: /* the values joined by "\n" (serve_options.h) */
		cfg->ntrusted_proxies = 0;
		cfg->trusted_proxies = run.proxies;
		for (char *p = v ? run.proxy_buf = sk_strdup(v) : NULL; p;) {
			char *nl = strchr(p, '\n');
			if (nl)
				*nl++ = '\0';
			run.proxies[cfg->ntrusted_proxies++] = p;
			p = nl;
		}
		break;
	case SK_SO_WRITE_QUEUE: cfg->write_queue = (unsigned)n; break;
	case SK_SO_LEASE_SECONDS: cfg->lease_seconds = (unsigned)n; break;
	case SK_SO_CONSOLE_IDLE_MINUTES: cfg->console_idle_minutes = (unsigned)n; break;
	case SK_SO_CONSOLE_SESSION_HOURS: cfg->console_session_hours = (unsigned)n; break;
	case SK_SO_IMPORT_DIR: cfg->import_dir = v; break;
	case SK_SO_CAMPAIGN_RATE: run.mail.campaign_rate = n; break;
	case SK_SO_LOG_FORMAT:
		cfg->log_format = v && strcmp(v, "json") == 0 ? SK_LOG_JSON : SK_LOG_TEXT;
		break;
	case SK_SO_METRICS_LISTEN: cfg->metrics_listen = v; break;
	default: break; /* db, key-file, smtp-password-file: run_serve's own */
	}
}

static int same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* What a reload line may show of a value: not the mail settings (a login, a server URL with
 * credentials, an address), and any URL (db, webhook-proxy) with the password of its userinfo
 * and a password= parameter as "***" (sk_store_uri_shown). */
static const char *shown(int id, const char *v, char *buf, size_t cap)
{
	if (id == SK_SO_SMTP_URL || id == SK_SO_SMTP_USER || id == SK_SO_SMTP_PASSWORD_FILE ||
	    id == SK_SO_MAIL_FROM)
		return "as at start";
	if (!v)
		return "unset";
	if (!strstr(v, "://") && !strstr(v, "password"))
		return v;
	sk_store_uri_shown(v, buf, cap);
	return buf;
}

/* SIGHUP (serve.c calls it on its main thread): reads the file again; a bad file changes
 * nothing. A changed reloadable key is applied; any other changed key is named with
 * "needs a restart". Flags and the environment still win over the file. */
static void reload(void *arg)
{
	(void)arg;
	struct sk_serve_src nf;
	struct sk_errctx err = {0};
	char said[512] = "", buf[1024];
	size_t len = 0;
	if (!run.config)
		return; /* no file: SIGHUP reloads the policy only */
	if (sk_serve_src_file(run.config, &nf, &err)) {
		sk_log(SK_LOG_ERROR, "%s; the configuration in effect is kept", err.msg);
		return;
	}
	for (int id = 0; id < SK_SO_COUNT; id++) {
		const char *v = merged(id, &nf);
		if (same(v, run.cur[id]))
			continue;
		if (!sk_serve_opts[id].reloadable) {
			sk_log(SK_LOG_WARN, "%s changed in %s: needs a restart (still %s)",
			       sk_serve_opts[id].key, run.config,
			       shown(id, run.cur[id], buf, sizeof(buf)));
			continue;
		}
		char *copy = v ? sk_strdup(v) : NULL;
		if (v && !copy) {
			sk_log(SK_LOG_ERROR, "out of memory: %s not reloaded", sk_serve_opts[id].key);
			continue;
		}
		apply(id, copy);
		if (id == SK_SO_LOG_FORMAT)
			sk_log_set_json(run.cfg.log_format == SK_LOG_JSON);
		sk_free(run.cur[id]);
		run.cur[id] = copy;
		int n = snprintf(said + len, sizeof(said) - len, "%s%s=%s", len ? ", " : "",
				 sk_serve_opts[id].key, shown(id, copy, buf, sizeof(buf)));
		if (n > 0 && (size_t)n < sizeof(said) - len)
			len += (size_t)n;
	}
	sk_serve_src_reset(&run.file);
	run.file = nf;
	sk_log(SK_LOG_INFO, "configuration reloaded from %s: %s", run.config,
	       len ? said : "nothing that applies while running changed");
}

/* The configuration file: serve's --config, else the one main.c read (the global --config,
 * else $SAMTYCKE_CONFIG, either must be readable, else SK_CONFIG_DEFAULT when it exists). */
static int read_config(const char *given, const char *global, struct sk_errctx *err)
{
	if (!given || !*given)
		given = global;
	if (!given || !*given) {
		given = getenv("SAMTYCKE_CONFIG");
		if ((!given || !*given) && access(SK_CONFIG_DEFAULT, F_OK) == 0)
			given = SK_CONFIG_DEFAULT;
	}
	if (!given || !*given)
		return 0;
	run.config = given;
	return sk_serve_src_file(given, &run.file, err);
}

/* The mail settings: smtp-url needs mail-from; the password from --smtp-password-file, else
 * $SAMTYCKE_SMTP_PASSWORD, else smtp-password-file of the environment or the file. */
static int mail_settings(struct sk_errctx *err)
{
	struct sk_mail_sender sender;
	const char *pwfile = run.cur[SK_SO_SMTP_PASSWORD_FILE];
	const char *pwenv = getenv("SAMTYCKE_SMTP_PASSWORD");
	if (!run.mail.url)
		return 0;
	if (!run.mail.from)
		return sk_errf(err, SK_ERR_USAGE, "smtp-url needs mail-from");
	struct sk_errctx why = {0};
	if (sk_mail_from_parse(run.mail.from, &sender, &why))
		return sk_errf(err, SK_ERR_USAGE, "mail-from: %s", why.msg);
	if (pwfile && (run.flags.v[SK_SO_SMTP_PASSWORD_FILE] || !pwenv || !*pwenv)) {
		int rc = sk_vault_secret_read(pwfile, "smtp-password-file", run.password,
					      sizeof(run.password), err);
		if (rc)
			return rc;
		run.mail.password = run.password;
	} else {
		run.mail.password = pwenv;
	}
	/* A password never crosses the network in clear unless asked for. */
	if (run.mail.user && !run.cur[SK_SO_SMTP_TLS])
		run.mail.tls_required = 1;
	run.cfg.mail = &run.mail;
	return 0;
}

static int run_serve(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	struct option opts[SK_SO_COUNT + 2];
	size_t nopts = 0;
	const char *config = NULL;
	char where[64];
	int c, done = 0, rc;

	/* the flags: every option of the table but the global ones (main.c's --db, --key-file) */
	opts[nopts++] = (struct option){"config", required_argument, NULL, 'c'};
	for (int id = 0; id < SK_SO_COUNT; id++)
		if (sk_serve_opts[id].kind != SK_SO_GLOBAL_TEXT)
			opts[nopts++] = (struct option){
				sk_serve_opts[id].key,
				sk_serve_opts[id].kind == SK_SO_FLAG ? no_argument : required_argument,
				NULL, 256 + id};
	opts[nopts] = (struct option){0};
	if (cli->db_flag)
		run.flags.v[SK_SO_DB] = sk_strdup(cli->db_flag);
	if (cli->keyfile_flag)
		run.flags.v[SK_SO_KEY_FILE] = sk_strdup(cli->keyfile_flag);
	if (cli->erasure_log_flag)
		run.flags.v[SK_SO_ERASURE_LOG] = sk_strdup(cli->erasure_log_flag);
	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		if (c == 'c') {
			config = optarg;
			continue;
		}
		if (c < 256 || c >= 256 + SK_SO_COUNT)
			return sk_cli_usage(cmd);
		int id = c - 256;
		snprintf(where, sizeof(where), "--%s", sk_serve_opts[id].key);
		if (sk_serve_src_set(&run.flags, id, optarg ? optarg : "true", where, &cli->err))
			return sk_cli_fail(cli, cli->err.code);
	}
	if (done)
		return SK_EXIT_OK;
	if (optind != argc)
		return sk_cli_usage(cmd);
	/* the environment, then the file: errors name the variable, or the file and line */
	if ((rc = sk_serve_src_env(&run.env, &cli->err)) || (rc = read_config(config, cli->config, &cli->err)))
		return sk_cli_fail(cli, rc);
	run.cfg.max_body = 1 << 20;
	run.mail.timeout = 30;
	for (int id = 0; id < SK_SO_COUNT; id++) {
		const char *v = merged(id, &run.file);
		if (v && !(run.cur[id] = sk_strdup(v)))
			return sk_cli_fail(cli, SK_ERR_NOMEM);
		apply(id, run.cur[id]);
	}
	/* db and key-file: the file may name them when neither flag nor environment did */
	cli->db = run.cur[SK_SO_DB];
	if (run.cur[SK_SO_KEY_FILE])
		cli->keyfile = run.cur[SK_SO_KEY_FILE];
	else if (sk_cli_keyfile_default(cli))
		return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE, "a PostgreSQL store needs its key "
				    "file named: give key-file (or --key-file PATH)");
	sk_cli_erasure_log(cli, run.cur[SK_SO_ERASURE_LOG]);
	run.cfg.db = cli->db;
	if ((rc = mail_settings(&cli->err)))
		return sk_cli_fail(cli, rc);
	if (!run.cfg.import_dir)
		run.cfg.import_dir = import_dir_of(cli->db, run.import_dir, sizeof(run.import_dir));
	if (!run.cfg.public_url) {
		snprintf(run.public_url, sizeof(run.public_url), "http://%s", run.cfg.listen);
		run.cfg.public_url = run.public_url;
		run.cfg.public_url_default = 1;
	}
	run.cfg.reload = reload;
	/* Open once here, so that a missing database or a wrong key fails before listening. */
	if ((rc = sk_cli_open(cli)))
		return sk_cli_fail(cli, rc);
	/* every erasure is logged before it commits: a log that cannot be written to would
	 * fail each one, so the server does not start (docs/operations.md, 4) */
	if ((rc = sk_erasure_log_writable(sk_erasure_log_path(), &cli->err)))
		return sk_cli_fail(cli, rc);
	run.cfg.vault = cli->vault;
	/* The server sends mail and delivers webhooks: load libcurl (and its global init) now,
	 * before the threads, and refuse to start without it rather than fail each send. */
	if ((rc = sk_curl_load(&cli->err)))
		return sk_cli_fail(cli, rc);
	rc = sk_serve_run(&run.cfg, &cli->err);
	sk_vault_wipe(run.password, sizeof(run.password));
	if (rc)
		return sk_cli_fail(cli, rc);
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_serve = {
	.name = "serve",
	.summary = "run the HTTP API, the forms and the mail worker",
	.usage = SK_SERVE_USAGE,
	.help = "Serve the HTTP API (docs/api.md). Listens on 127.0.0.1:8080 unless told "
		"otherwise; port 0 picks a free one. --threads (default 2) worker threads, "
		"--timeout (default 15) seconds a silent client is kept, --rate-limit (default "
		"100, 0 for none) requests per second per key. Prints 'listening on "
		"http://HOST:PORT' when ready and one access-log line per request on stderr. "
		"SIGTERM or SIGINT stop it after in-flight requests. Every option may also come "
		"from the environment (SAMTYCKE_ and the option's name, upper case, '-' as '_') or "
		"the configuration file (--config FILE, else $SAMTYCKE_CONFIG, else "
		"/etc/samtycke/samtycke.conf when it exists; key = value lines named as the "
		"options, plus db and key-file): a flag wins over the environment, which wins "
		"over the file (docs/operations.md). SIGHUP reloads the policy and the file: "
		"--rate-limit, --form-rate-limit, --confirm-days, --pending-days, "
		"--console-idle-minutes, --console-session-hours, --webhook-backoff, "
		"--webhook-retry-for, --campaign-rate and --log-format apply at once, "
		"any other change is logged as needing a restart. "
		"Forms (docs/forms.md): --form-rate-limit (default 10) posts per minute per "
		"address; double opt-in mails go through --smtp-url from --mail-from (password: the "
		"first line of --smtp-password-file PATH, mode 600, else $SAMTYCKE_SMTP_PASSWORD) with links under --public-url (default http://LISTEN) "
		"that hold --confirm-days (default 7); consents unconfirmed after --pending-days "
		"(default 7, 0 never) expire hourly. --purge-daily runs 'samtycke purge' once a "
		"day. Webhooks (docs/webhooks.md) are delivered by a thread of their own; a "
		"failed delivery is retried after --webhook-backoff (default 5) seconds, doubling "
		"up to an hour, for --webhook-retry-for (default 259200, 3 days) seconds; "
		"--allow-private-webhooks lets endpoints on loopback and private networks be "
		"added and reached (link-local and cloud metadata addresses never); deliveries "
		"ignore http_proxy, https_proxy and all_proxy and go through --webhook-proxy "
		"(http://, https://, socks5://, socks5h://) only. Limits "
		"(docs/internals/http.md): --max-connections (default 1000) open connections in "
		"all, --max-client-connections (default 64) per client address; --trusted-proxy "
		"CIDR (repeatable) names reverse proxies whose X-Forwarded-For gives the client "
		"address. API writes (POST /v1/consents, POST /v1/contacts, PATCH "
		"/v1/contacts/ID) are committed in groups by one writer "
		"(docs/internals/group-commit.md); --write-queue (default 256, at most 65536) "
		"writes may wait for it, one more is answered 503 with Retry-After. Several "
		"servers may share one store (docs/internals/serve.md): each webhook endpoint "
		"and the mail are served by one server at a time, the holder of a lease that "
		"holds --lease-seconds (default 30, 1 to 3600) and passes to another server "
		"when its holder stops or dies; a policy applied anywhere is loaded by every "
		"server within 2 seconds. The staff console (docs/console.md) is under /console: "
		"a session ends after --console-idle-minutes (default 30, 1 to 1440) unused, and "
		"--console-session-hours (default 12, 1 to 168) after sign-in. The console's "
		"imports keep their staged uploads, progress, rejects and saved mappings in "
		"--import-dir (default: DATABASE.imports beside a SQLite file; none for "
		"PostgreSQL, where the console cannot import without it). Campaign mails "
		"(docs/campaigns.md) go out at most --campaign-rate (default 10, 0.01 to 10000) "
		"a second. Operations (docs/operations.md): --log-format json writes the access "
		"log and the server's own lines as one JSON object per line; GET /metrics "
		"(Prometheus text) answers a key with the scope metrics, or anyone on "
		"--metrics-listen HOST:PORT, a second listener that serves nothing else.",
	.run = run_serve,
};
