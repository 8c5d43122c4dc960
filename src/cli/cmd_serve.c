/* cmd_serve.c: samtycke serve, the HTTP API. */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli/cli.h"
#include "serve/serve.h"
#include "mail/mail.h"
#include "sync/sync.h"

static int number(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (!*s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int sk_cmd_serve(struct sk_cli *cli, int argc, char **argv)
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
		{0},
	};
	struct sk_mail_config mail = {.timeout = 30};
	int tls_given = 0;
	char public_url[300];
	const struct sk_cmd *cmd = sk_cli_find("serve");
	struct sk_server_config cfg = {.db = cli->db, .listen = "127.0.0.1:8080", .threads = 2,
				       .timeout = 15, .rate_limit = 100, .max_body = 1 << 20,
				       .form_rate = 10, .confirm_days = 7, .pending_days = 7,
				       .max_connections = SK_MAX_CONNECTIONS,
				       .max_client_connections = SK_MAX_CLIENT_CONNECTIONS};
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
		case 'X':
			if (cfg.ntrusted_proxies == SK_MAX_TRUSTED_PROXIES)
				return sk_cli_usage(cmd);
			proxies[cfg.ntrusted_proxies++] = optarg;
			cfg.trusted_proxies = proxies;
			break;
		case 'Y':
			if (sk_delivery_proxy_check(optarg, &cli->err)) {
				fprintf(stderr, "samtycke: %s\n", cli->err.msg);
				return SK_EXIT_USAGE;
			}
			cfg.webhook_proxy = optarg;
			break;
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
			fprintf(stderr, "samtycke: --smtp-url needs --mail-from\n");
			return SK_EXIT_USAGE;
		}
		if (sk_mail_from_parse(mail.from, &sender, &cli->err)) {
			fprintf(stderr, "samtycke: --mail-from: %s\n", cli->err.msg);
			return SK_EXIT_USAGE;
		}
		mail.password = getenv("SAMTYCKE_SMTP_PASSWORD");
		/* A password never crosses the network in clear unless asked for. */
		if (mail.user && !tls_given)
			mail.tls_required = 1;
		cfg.mail = &mail;
	}
	if (!cfg.public_url) {
		snprintf(public_url, sizeof(public_url), "http://%s", cfg.listen);
		cfg.public_url = public_url;
	}
	/* Open once here, so that a missing database or a wrong key fails before listening. */
	if ((rc = sk_cli_open(cli)))
		return sk_cli_fail(cli, rc);
	cfg.vault = cli->vault;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((rc = sk_serve_run(&cfg, &cli->err)))
		return sk_cli_fail(cli, rc);
	return SK_EXIT_OK;
}
