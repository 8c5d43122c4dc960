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
		if (c != 'a' || sk_time_parse(optarg, &at))
			return sk_cli_usage(cmd);
	}
	if (done)
		return SK_EXIT_OK;
	if (argc - optind != 2)
		return sk_cli_usage(cmd);
	if (sk_cli_open(cli)) {
		/* Fail closed: no database, no key, no answer but "denied". */
		g = (struct sk_gate_result){.allowed = 0, .reason = SK_RSN_ERROR};
		fprintf(stderr, "samtycke: %s\n", cli->err.msg);
	} else {
		sk_gate_check(cli->core, argv[optind], argv[optind + 1], at ? at : sk_time_now(), &g);
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
	.usage = "EMAIL PURPOSE [--at RFC3339]",
	.help = "Ask the gate. Exit 0 and 'allowed' when processing is allowed, exit 1 and the "
		"reason when denied. Any storage error answers denied with reason 'error'.",
	.run = run_check,
};
