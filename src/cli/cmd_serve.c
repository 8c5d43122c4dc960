/* cmd_serve.c: samtycke serve, the HTTP API. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "serve/serve.h"
#include "mail/mail.h"
#include "sync/sync.h"
#include "util/curl_dl.h"

static int number(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (!*s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

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

static int run_serve(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"threads", required_argument, NULL, 't'},
		{"timeout", required_argument, NULL, 'T'},
		{"rate-limit", required_argument, NULL, 'r'},
		{"form-rate-limit", required_argument, NULL, 'F'},
		{"public-url", required_argument, NULL, 'u'},
		{"smtp-url", required_argument, NULL, 'S'},
		{"smtp-user", required_argument, NULL, 'U'},
		{"smtp-tls", required_argument, NULL, 'L'},
		{"mail-from", required_argument, NULL, 'M'},
		{"confirm-days", required_argument, NULL, 'c'},
		{"pending-days", required_argument, NULL, 'p'},
		{"purge-daily", no_argument, NULL, 'P'},
		{"allow-private-webhooks", no_argument, NULL, 'W'},
		{"webhook-backoff", required_argument, NULL, 'B'},
		{"webhook-retry-for", required_argument, NULL, 'R'},
		{"max-connections", required_argument, NULL, 'C'},
		{"max-client-connections", required_argument, NULL, 'K'},
		{"trusted-proxy", required_argument, NULL, 'X'},
		{"webhook-proxy", required_argument, NULL, 'Y'},
		{"write-queue", required_argument, NULL, 'Q'},
		{"lease-seconds", required_argument, NULL, 'E'},
		{"console-idle-minutes", required_argument, NULL, 'i'},
		{"console-session-hours", required_argument, NULL, 'H'},
		{"import-dir", required_argument, NULL, 'I'},
		{"campaign-rate", required_argument, NULL, 'G'},
		{"log-format", required_argument, NULL, 'O'},
		{"metrics-listen", required_argument, NULL, 'N'},
		{0},
	};
	struct sk_mail_config mail = {.timeout = 30, .campaign_rate = 10};
	int tls_given = 0;
	char public_url[300], import_dir[4096];
	struct sk_server_config cfg = {.db = cli->db, .listen = "127.0.0.1:8080", .threads = 2,
				       .timeout = 15, .rate_limit = 100, .max_body = 1 << 20,
				       .form_rate = 10, .confirm_days = 7, .pending_days = 7,
				       .max_connections = SK_MAX_CONNECTIONS,
				       .max_client_connections = SK_MAX_CLIENT_CONNECTIONS,
				       .write_queue = SK_WRITE_QUEUE,
				       .lease_seconds = SK_LEASE_SECONDS};
	const char *proxies[SK_MAX_TRUSTED_PROXIES];
	double v;
	int c, done = 0, rc;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		switch (c) {
		case 'l': cfg.listen = optarg; break;
		case 't':
			if (number(optarg, 1, 64, &v))
				return sk_cli_usage(cmd);
			cfg.threads = (unsigned)v;
			break;
		case 'T':
			if (number(optarg, 1, 3600, &v))
				return sk_cli_usage(cmd);
			cfg.timeout = (unsigned)v;
			break;
		case 'r':
			if (number(optarg, 0, 1e9, &cfg.rate_limit))
				return sk_cli_usage(cmd);
			break;
		case 'F':
			if (number(optarg, 0, 1e6, &cfg.form_rate))
				return sk_cli_usage(cmd);
			break;
		case 'c':
		case 'p':
			if (number(optarg, c == 'c' ? 1 : 0, 3650, &v))
				return sk_cli_usage(cmd);
			*(c == 'c' ? &cfg.confirm_days : &cfg.pending_days) = (int)v;
			break;
		case 'u': cfg.public_url = optarg; break;
		case 'P': cfg.purge_daily = 1; break;
		case 'W': cfg.allow_private_webhooks = 1; break;
		case 'B':
			if (number(optarg, 1, 3600, &v))
				return sk_cli_usage(cmd);
			cfg.webhook_backoff = (int)v;
			break;
		case 'R':
			if (number(optarg, 1, 365 * 86400.0, &v))
				return sk_cli_usage(cmd);
			cfg.webhook_retry_for = (long)v;
			break;
		case 'C':
		case 'K':
			if (number(optarg, 1, 1000000, &v))
				return sk_cli_usage(cmd);
			*(c == 'C' ? &cfg.max_connections : &cfg.max_client_connections) = (unsigned)v;
			break;
		case 'Q':
			if (number(optarg, 1, SK_WRITE_QUEUE_MAX, &v))
				return sk_cli_usage(cmd);
			cfg.write_queue = (unsigned)v;
			break;
		case 'E':
			if (number(optarg, 1, 3600, &v))
				return sk_cli_usage(cmd);
			cfg.lease_seconds = (unsigned)v;
			break;
		case 'i':
			if (number(optarg, 1, 24 * 60, &v))
				return sk_cli_usage(cmd);
			cfg.console_idle_minutes = (unsigned)v;
			break;
		case 'H':
			if (number(optarg, 1, 24 * 7, &v))
				return sk_cli_usage(cmd);
			cfg.console_session_hours = (unsigned)v;
			break;
		case 'X':
			if (cfg.ntrusted_proxies == SK_MAX_TRUSTED_PROXIES)
				return sk_cli_usage(cmd);
			proxies[cfg.ntrusted_proxies++] = optarg;
			cfg.trusted_proxies = proxies;
			break;
		case 'Y':
			if (sk_delivery_proxy_check(optarg, &cli->err)) {
				return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE, "%s", cli->err.msg);
			}
			cfg.webhook_proxy = optarg;
			break;
		case 'I': cfg.import_dir = optarg; break;
		case 'G':
			if (number(optarg, 0.01, 10000, &mail.campaign_rate))
				return sk_cli_usage(cmd);
			break;
		case 'O':
			if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0)
				return sk_cli_usage(cmd);
			cfg.log_format = strcmp(optarg, "json") == 0 ? SK_LOG_JSON : SK_LOG_TEXT;
			break;
		case 'N': cfg.metrics_listen = optarg; break;
		case 'S': mail.url = optarg; break;
		case 'U': mail.user = optarg; break;
		case 'M': mail.from = optarg; break;
		case 'L':
			if (strcmp(optarg, "required") != 0 && strcmp(optarg, "try") != 0)
				return sk_cli_usage(cmd);
			mail.tls_required = strcmp(optarg, "required") == 0;
			tls_given = 1;
			break;
		default: return sk_cli_usage(cmd);
		}
	}
	if (done)
		return SK_EXIT_OK;
	if (optind != argc)
		return sk_cli_usage(cmd);
	if (mail.url) {
		struct sk_mail_sender sender;
		if (!mail.from) {
			return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE, "--smtp-url needs --mail-from");
		}
		if (sk_mail_from_parse(mail.from, &sender, &cli->err)) {
			return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE, "--mail-from: %s", cli->err.msg);
		}
		mail.password = getenv("SAMTYCKE_SMTP_PASSWORD");
		/* A password never crosses the network in clear unless asked for. */
		if (mail.user && !tls_given)
			mail.tls_required = 1;
		cfg.mail = &mail;
	}
	if (!cfg.import_dir)
		cfg.import_dir = import_dir_of(cli->db, import_dir, sizeof(import_dir));
	if (!cfg.public_url) {
		snprintf(public_url, sizeof(public_url), "http://%s", cfg.listen);
		cfg.public_url = public_url;
		cfg.public_url_default = 1;
	}
	/* Open once here, so that a missing database or a wrong key fails before listening. */
	if ((rc = sk_cli_open(cli)))
		return sk_cli_fail(cli, rc);
	cfg.vault = cli->vault;
	/* The server sends mail and delivers webhooks: load libcurl (and its global init) now,
	 * before the threads, and refuse to start without it rather than fail each send. */
	if ((rc = sk_curl_load(&cli->err)))
		return sk_cli_fail(cli, rc);
	if ((rc = sk_serve_run(&cfg, &cli->err)))
		return sk_cli_fail(cli, rc);
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_serve = {
	.name = "serve",
	.summary = "run the HTTP API, the forms and the mail worker",
	.usage = "[--listen HOST:PORT] [--threads N] [--timeout SECONDS] [--rate-limit "
		"PER_SECOND] [--form-rate-limit PER_MINUTE] [--public-url URL] [--smtp-url "
		"smtp://HOST:PORT --mail-from ADDRESS [--smtp-user USER] [--smtp-tls "
		"required|try]] [--confirm-days N] [--pending-days N] [--purge-daily] "
		"[--allow-private-webhooks] [--webhook-backoff SECONDS] [--webhook-retry-for "
		"SECONDS] [--webhook-proxy URL] [--max-connections N] [--max-client-connections "
		"N] [--trusted-proxy CIDR]... [--write-queue N] [--lease-seconds N] "
		"[--console-idle-minutes N] [--console-session-hours N] [--import-dir DIR] "
		"[--campaign-rate PER_SECOND] [--log-format text|json] [--metrics-listen "
		"HOST:PORT]",
	.help = "Serve the HTTP API (docs/api.md). Listens on 127.0.0.1:8080 unless told "
		"otherwise; port 0 picks a free one. --threads (default 2) worker threads, "
		"--timeout (default 15) seconds a silent client is kept, --rate-limit (default "
		"100, 0 for none) requests per second per key. Prints 'listening on "
		"http://HOST:PORT' when ready and one access-log line per request on stderr. "
		"SIGTERM or SIGINT stop it after in-flight requests; SIGHUP reloads the policy. "
		"Forms (docs/forms.md): --form-rate-limit (default 10) posts per minute per "
		"address; double opt-in mails go through --smtp-url from --mail-from (password in "
		"$SAMTYCKE_SMTP_PASSWORD) with links under --public-url (default http://LISTEN) "
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
