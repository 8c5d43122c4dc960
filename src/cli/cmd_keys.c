/* cmd_keys.c: samtycke keys create|list|revoke, the API keys. A new key is printed alone on
 * stdout, once; only its hash is kept. */
#include "cli/cli.h"
#include "util/sktime.h"

static int run_keys_create(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"scope", required_argument, NULL, 's'},
		{0},
	};
	const char *name = NULL, *scope = NULL;
	char key[SK_KEY_STRLEN];
	int c, done = 0, rc;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		if (c == 'n')
			name = optarg;
		else if (c == 's')
			scope = optarg;
		else
			return sk_cli_usage(cmd);
	}
	if (done)
		return SK_EXIT_OK;
	if (optind != argc || !name || !scope)
		return sk_cli_usage(cmd);
	if ((rc = sk_cli_open(cli)) || (rc = sk_key_create(cli->core, name, scope, key, &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json)
		sk_cli_print_json(sk_json_key_created(name, scope, key));
	else
		printf("%s\n", key);
	return SK_EXIT_OK;
}

static int print_key(void *arg, const struct sk_key_rec *k)
{
	char t1[SK_TIME_STRLEN], t2[SK_TIME_STRLEN];
	if (arg)
		return sk_json_list_key(arg, k);
	printf("%-20s %-24s created %s%s%s\n", k->name, k->scopes, sk_cli_time(k->created_at, t1),
	       k->revoked_at ? ", revoked " : "", k->revoked_at ? sk_cli_time(k->revoked_at, t2) : "");
	return 0;
}

static int run_keys_list(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	int rc;
	if ((rc = sk_cli_plain(cli, cmd, argc, argv, 0)) >= 0)
		return rc;
	if ((rc = sk_cli_open(cli)))
		return sk_cli_fail(cli, rc);
	json_t *arr = cli->json ? json_array() : NULL;
	if ((rc = sk_key_list(cli->core, print_key, arr, &cli->err))) {
		json_decref(arr);
		return sk_cli_fail(cli, rc);
	}
	if (arr)
		sk_cli_print_json(sk_json_keys(arr));
	return SK_EXIT_OK;
}

static int run_keys_revoke(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	int rc;
	if ((rc = sk_cli_plain(cli, cmd, argc, argv, 1)) >= 0)
		return rc;
	if ((rc = sk_cli_open(cli)) || (rc = sk_key_revoke(cli->core, argv[optind], &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json)
		sk_cli_print_json(sk_json_key_revoked(NULL));
	else
		printf("revoked %s\n", argv[optind]);
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_keys_create = {
	.name = "keys create",
	.summary = "create an API key",
	.usage = "--name NAME --scope SCOPES",
	.help = "Create an API key. SCOPES is a comma-separated set of read, write, dsr, admin, metrics. "
		"The key is printed alone on stdout, once; only its hash is stored.",
	.run = run_keys_create,
};

const struct sk_cmd sk_cmd_entry_keys_list = {
	.name = "keys list",
	.summary = "list API keys",
	.usage = "",
	.help = "List API keys (names, scopes, created, revoked).",
	.run = run_keys_list,
};

const struct sk_cmd sk_cmd_entry_keys_revoke = {
	.name = "keys revoke",
	.summary = "revoke an API key",
	.usage = "NAME",
	.help = "Revoke the active API key named NAME.",
	.run = run_keys_revoke,
};
