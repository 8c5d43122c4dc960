/* cmd_check.c: samtycke check EMAIL PURPOSE, the gate from the command line. Exit 0 when
 * allowed, 1 when denied; never allowed on an error. */
#include <getopt.h>

#include "cli/cli.h"
#include "util/sktime.h"

static int run_check(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"at", required_argument, NULL, 'a'}, {0}};
	struct sk_gate_result g;
	int64_t at = 0;
	int c, done = 0;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		if (c != 'a')
			return sk_cli_usage(cmd);
		if (sk_time_parse_human(optarg, &at))
			return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE, "--at takes " SK_TIME_FORMS);
	}
	if (done)
		return SK_EXIT_OK;
	if (argc - optind != 2)
		return sk_cli_usage(cmd);
	if (sk_cli_open(cli)) {
		/* Fail closed: no database, no key, no answer but "denied". */
		g = (struct sk_gate_result){.allowed = 0, .reason = SK_RSN_ERROR};
		sk_cli_error(0, cli->err.code, "%s", cli->err.msg);
	} else {
		char who_id[SK_ID_LEN + 1], who[SK_CONTACT_WHO_MAX];
		if (sk_contact_resolve(cli->core, argv[optind], who_id, who, &cli->err)) {
			/* an id that names no contact: nothing recorded, as for an unknown address */
			g = (struct sk_gate_result){.allowed = 0,
						    .reason = cli->err.code == SK_ERR_NOT_FOUND
								      ? SK_RSN_NO_CONSENT : SK_RSN_ERROR};
			sk_cli_error(0, cli->err.code, "%s", cli->err.msg);
		} else {
			sk_gate_check(cli->core, who, argv[optind + 1], at ? at : sk_time_now(), &g);
		}
	}
	if (cli->json) {
		sk_cli_print_json(sk_json_gate(&g));
	} else {
		printf("%s %s\n", g.allowed ? "allowed" : "denied", sk_reason_name(g.reason));
	}
	return g.allowed ? SK_EXIT_OK : SK_EXIT_NO;
}

const struct sk_cmd sk_cmd_entry_check = {
	.name = "check",
	.summary = "ask the gate: may this person be processed for a purpose?",
	.usage = "EMAIL|ID PURPOSE [--at TIME]",
	.help = "Ask the gate. Exit 0 and 'allowed' when processing is allowed, exit 1 and the "
		"reason when denied. Any storage error answers denied with reason 'error'.",
	.run = run_check,
};
