/* cmd_serve.c: samtycke serve, the HTTP API. */
#include <stdlib.h>

#include "cli/cli.h"
#include "http/http.h"

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
		{0},
	};
	const struct sk_cmd *cmd = sk_cli_find("serve");
	struct sk_server_config cfg = {.db = cli->db, .listen = "127.0.0.1:8080", .threads = 2,
				       .timeout = 15, .rate_limit = 100, .max_body = 1 << 20};
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
		default: return sk_cli_usage(cmd);
		}
	}
	if (done)
		return SK_EXIT_OK;
	if (optind != argc)
		return sk_cli_usage(cmd);
	/* Open once here, so that a missing database or a wrong key fails before listening. */
	if ((rc = sk_cli_open(cli)))
		return sk_cli_fail(cli, rc);
	cfg.vault = cli->vault;
	if ((rc = sk_server_run(&cfg, &cli->err)))
		return sk_cli_fail(cli, rc);
	return SK_EXIT_OK;
}
