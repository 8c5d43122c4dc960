/* cmd_suppress.c: samtycke suppress and unsuppress EMAIL (the list that outranks every
 * consent) and
 * pending expire (lapsed form requests, unconfirmed consents and the data only they held). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/sktime.h"

static const char *const reasons[] = {"erased", "bounced", "complained", "opted_out"};

static int run_suppress(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"reason", required_argument, NULL, 'r'}, {0}};
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
	char who_id[SK_ID_LEN + 1], who[SK_CONTACT_WHO_MAX];
	if ((rc = sk_cli_open(cli)) ||
	    (rc = sk_contact_resolve(cli->core, argv[optind], who_id, who, &cli->err)) ||
	    (rc = sk_suppress(cli->core, who, reason, &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json)
		sk_cli_print_json(sk_json_suppressed(1, reason));
	else
		printf("suppressed (%s)\n", reason);
	return SK_EXIT_OK;
}

/* samtycke unsuppress EMAIL: the way back, on the person's own request. */
static int run_unsuppress(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	int rc = sk_cli_plain(cli, cmd, argc, argv, 1);
	if (rc >= 0)
		return rc;
	char who_id[SK_ID_LEN + 1], who[SK_CONTACT_WHO_MAX];
	if ((rc = sk_cli_open(cli)) ||
	    (rc = sk_contact_resolve(cli->core, argv[optind], who_id, who, &cli->err)) ||
	    (rc = sk_unsuppress(cli->core, who, &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json)
		sk_cli_print_json(sk_json_suppressed(0, NULL));
	else
		printf("no longer suppressed\n");
	return SK_EXIT_OK;
}

/* samtycke pending expire: what the server does hourly, by hand. */
static int run_pending_expire(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"days", required_argument, NULL, 'd'}, {0}};
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
		sk_cli_print_json(sk_json_expiry(lapsed, expired, deleted));
	else
		printf("deleted %ld lapsed form request%s; expired %ld unconfirmed consent%s; "
		       "deleted %ld contact%s\n", lapsed, lapsed == 1 ? "" : "s", expired,
		       expired == 1 ? "" : "s", deleted, deleted == 1 ? "" : "s");
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_suppress = {
	.name = "suppress",
	.summary = "put an address on the suppression list",
	.usage = "EMAIL|ID [--reason erased|bounced|complained|opted_out]",
	.help = "Put an address on the suppression list; it outranks every consent.",
	.run = run_suppress,
};

const struct sk_cmd sk_cmd_entry_unsuppress = {
	.name = "unsuppress",
	.summary = "take an address off the suppression list",
	.usage = "EMAIL|ID",
	.help = "Take an address off the suppression list, when the person asks to come back "
		"(forms never mail a suppressed address). Connected systems are told by an "
		"'unsuppressed' change. Exit 1 when the address was not suppressed.",
	.run = run_unsuppress,
};

const struct sk_cmd sk_cmd_entry_pending_expire = {
	.name = "pending expire",
	.summary = "delete lapsed form requests and stale pending consents",
	.usage = "[--days N]",
	.help = "Delete form requests whose confirmation link has expired (nothing about the "
		"person changes), expire consents left pending by the API for more than N days "
		"(default 7) and delete the personal data of contacts that have nothing else.",
	.run = run_pending_expire,
};
