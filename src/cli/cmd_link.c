/* cmd_link.c: samtycke link EMAIL|ID, a person's own link to the preference centre
 * (/p/TOKEN, docs/preference-centre.md): signed, expiring, carrying no address. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "util/sktime.h"

#define DEFAULT_BASE "http://127.0.0.1:8080" /* serve's default --listen */

static int run_link(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"days", required_argument, NULL, 'd'},
					     {"base", required_argument, NULL, 'b'}, {0}};
	char id[SK_ID_LEN + 1], token[SK_PREF_LINK_MAX], url[SK_PREF_LINK_MAX + 1024];
	const char *base = DEFAULT_BASE;
	long days = SK_PREF_LINK_DAYS;
	int64_t expires = 0;
	int c, done = 0, rc;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		char *end = NULL;
		if (c == 'd') {
			days = strtol(optarg, &end, 10);
			if (!*optarg || *end || days < 1 || days > 365)
				return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE,
						    "--days takes a number of days from 1 to 365");
		} else if (c == 'b') {
			base = optarg;
		} else {
			return sk_cli_usage(cmd);
		}
	}
	if (done)
		return SK_EXIT_OK;
	if (argc - optind != 1)
		return sk_cli_usage(cmd);
	size_t blen = strlen(base);
	while (blen && base[blen - 1] == '/')
		blen--;
	if (!(strncasecmp(base, "http://", 7) == 0 || strncasecmp(base, "https://", 8) == 0) ||
	    blen > 1000 || strpbrk(base, " \t\r\n?#"))
		return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE,
				    "--base takes the server's public URL, http:// or https://");
	if ((rc = sk_cli_open(cli)) || (rc = sk_cli_contact(cli, argv[optind], id)) ||
	    (rc = sk_pref_link_via(cli->core, id, SK_PREF_VIA_CLI, sk_time_now(), (int)days, token,
				   &expires, &cli->err)))
		return sk_cli_fail(cli, rc);
	snprintf(url, sizeof(url), "%.*s/p/%s", (int)blen, base, token);
	if (cli->json)
		sk_cli_print_json(sk_json_pref_link(url, expires));
	else
		printf("%s\n", url);
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_link = {
	.name = "link",
	.summary = "print a person's own link to the preference centre",
	.usage = "EMAIL|ID [--days N] [--base URL]",
	.help = "Print a signed link to the person's preference centre (/p/TOKEN): their data, "
		"every purpose with its evidence, and a control to give or withdraw each. The link "
		"carries no address; it holds --days days (1 to 365, default 30) and stops working "
		"when the person is erased. --base is the server's public URL (default "
		"http://127.0.0.1:8080). With --json: {\"url\",\"expires_at\"}. Exit 1 when no "
		"contact has the address or id.",
	.run = run_link,
};
