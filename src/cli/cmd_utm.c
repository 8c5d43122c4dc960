/* cmd_utm.c: samtycke utm URL --source S --medium M --campaign C, a landing page's link
 * tagged with UTM values (core/utm.c, docs/utm.md). Needs no database. */
#include <stdio.h>

#include "cli/cli.h"
#include "core/utm.h"
#include "util/mem.h"

static int run_utm(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"source", required_argument, NULL, 's'},
					     {"medium", required_argument, NULL, 'm'},
					     {"campaign", required_argument, NULL, 'c'},
					     {"term", required_argument, NULL, 't'},
					     {"content", required_argument, NULL, 'x'},
					     {"keep-case", no_argument, NULL, 'k'},
					     {0}};
	struct sk_utm_in in = {0};
	const char *field;
	char *link;
	int c, done = 0, rc;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		switch (c) {
		case 's': in.source = optarg; break;
		case 'm': in.medium = optarg; break;
		case 'c': in.campaign = optarg; break;
		case 't': in.term = optarg; break;
		case 'x': in.content = optarg; break;
		case 'k': in.keep_case = 1; break;
		default: return sk_cli_usage(cmd);
		}
	}
	if (done)
		return SK_EXIT_OK;
	if (argc - optind != 1)
		return sk_cli_usage(cmd);
	in.url = argv[optind];
	if ((rc = sk_utm_build(&in, &link, &field, &cli->err))) {
		if (rc == SK_ERR_INVALID) /* bad input, the field named first: a usage error */
			return sk_cli_error(SK_EXIT_USAGE, rc, "%s", cli->err.msg);
		return sk_cli_fail(cli, rc);
	}
	if (cli->json)
		sk_cli_print_json(sk_json_utm(link));
	else
		printf("%s\n", link);
	sk_free(link);
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_utm = {
	.name = "utm",
	.summary = "print a landing page's link tagged with UTM values",
	.usage = "URL --source S --medium M --campaign C [--term T] [--content X] [--keep-case]",
	.help = "Print URL with utm_source, utm_medium, utm_campaign (required) and utm_term, "
		"utm_content (optional) added to its query (docs/utm.md). The URL must be http or "
		"https with a host, without spaces or control characters, at most 2048 bytes; its "
		"query and fragment are kept, and any utm_* already in it is replaced. Values are "
		"trimmed and lowercased (--keep-case keeps their case), at most 200 bytes each, and "
		"percent-encoded. Needs no database. With --json: {\"url\"}. Exit 2 for a bad URL "
		"or value, the message naming the field.",
	.run = run_utm,
};
