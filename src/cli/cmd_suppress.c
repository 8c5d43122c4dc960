/* cmd_suppress.c: samtycke suppress EMAIL, the list that outranks every consent. */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"

static const char *const reasons[] = {"erased", "bounced", "complained", "opted_out"};

int sk_cmd_suppress(struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"reason", required_argument, NULL, 'r'}, {0}};
	const struct sk_cmd *cmd = sk_cli_find("suppress");
	const char *reason = "opted_out";
	int c, done = 0, rc, ok = 0;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		if (c != 'r')
			return sk_cli_usage(cmd);
		reason = optarg;
	}
	if (done)
		return SK_EXIT_OK;
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		ok |= strcmp(reason, reasons[i]) == 0;
	if (!ok || argc - optind != 1)
		return sk_cli_usage(cmd);
	if ((rc = sk_cli_open(cli)) || (rc = sk_suppress(cli->core, argv[optind], reason, &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json)
		sk_cli_print_json(json_pack("{s:b,s:s}", "suppressed", 1, "reason", reason));
	else
		printf("suppressed (%s)\n", reason);
	return SK_EXIT_OK;
}
