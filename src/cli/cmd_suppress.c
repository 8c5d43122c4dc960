/* cmd_suppress.c: samtycke suppress and unsuppress EMAIL (the list that outranks every
 * consent) and
 * pending expire (lapsed form requests, unconfirmed consents and the data only they held). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/sktime.h"

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

/* samtycke unsuppress EMAIL: the way back, on the person's own request. */
int sk_cmd_unsuppress(struct sk_cli *cli, int argc, char **argv)
{
	int rc = sk_cli_plain(cli, sk_cli_find("unsuppress"), argc, argv, 1);
	if (rc >= 0)
		return rc;
	if ((rc = sk_cli_open(cli)) || (rc = sk_unsuppress(cli->core, argv[optind], &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json)
		sk_cli_print_json(json_pack("{s:b}", "suppressed", 0));
	else
		printf("no longer suppressed\n");
	return SK_EXIT_OK;
}

/* samtycke pending expire: what the server does hourly, by hand. */
int sk_cmd_pending_expire(struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"days", required_argument, NULL, 'd'}, {0}};
	const struct sk_cmd *cmd = sk_cli_find("pending expire");
	long days = 7, expired, deleted, lapsed;
	int c, done = 0, rc;
	char *end;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		if (c != 'd')
			return sk_cli_usage(cmd);
		days = strtol(optarg, &end, 10);
		if (*end || days < 0 || days > 3650)
			return sk_cli_usage(cmd);
	}
	if (done)
		return SK_EXIT_OK;
	if (optind != argc)
		return sk_cli_usage(cmd);
	if ((rc = sk_cli_open(cli)) ||
	    (rc = sk_form_requests_expire(cli->core, sk_time_now(), &lapsed, &cli->err)) ||
	    (rc = sk_pending_expire(cli->core, sk_time_now(), (int)days, &expired, &deleted,
				    &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json)
		sk_cli_print_json(json_pack("{s:I,s:I,s:I}", "requests_deleted", (json_int_t)lapsed,
					    "expired", (json_int_t)expired, "contacts_deleted",
					    (json_int_t)deleted));
	else
		printf("deleted %ld lapsed form request%s; expired %ld unconfirmed consent%s; "
		       "deleted %ld contact%s\n", lapsed, lapsed == 1 ? "" : "s", expired,
		       expired == 1 ? "" : "s", deleted, deleted == 1 ? "" : "s");
	return SK_EXIT_OK;
}
