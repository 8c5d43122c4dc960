/* cmd_link_stub.c: TEMPORARY (helper prefpages): samtycke link EMAIL|ID [--days N]
 * [--base URL], until helper prefcore's command lands. Never merge this file. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/sktime.h"

static int run_link(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"days", required_argument, NULL, 'd'},
					     {"base", required_argument, NULL, 'b'}, {0}};
	const char *base = "http://127.0.0.1:8080";
	int c, done = 0, rc, days = 30;
	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		if (c == 'd')
			days = (int)strtol(optarg, NULL, 10);
		else if (c == 'b')
			base = optarg;
		else
			return sk_cli_usage(cmd);
	}
	if (done)
		return SK_EXIT_OK;
	if (argc - optind != 1)
		return sk_cli_usage(cmd);
	char id[SK_ID_LEN + 1], who[SK_CONTACT_WHO_MAX], tok[SK_PREF_LINK_MAX];
	if ((rc = sk_cli_open(cli)) ||
	    (rc = sk_contact_resolve(cli->core, argv[optind], id, who, &cli->err)) ||
	    (rc = sk_pref_link(cli->core, id, sk_time_now(), days, tok, NULL, &cli->err)))
		return sk_cli_fail(cli, rc);
	printf("%s/p/%s\n", base, tok);
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_link = {"link", "a preference-centre link (TEMP stub)",
					 "EMAIL|ID [--days N] [--base URL]", "TEMP", run_link};
