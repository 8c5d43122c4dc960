/* cmd_companies.c: samtycke companies load FILE.csv (the company ranges, all or nothing)
 * and companies lookup IP (which company a range gives an address); docs/tracking.md. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "io/io.h"

static int run_companies_load(const struct sk_cmd *cmd, struct sk_cli *cli, int argc,
			      char **argv)
{
	int rc = sk_cli_plain(cli, cmd, argc, argv, 1);
	size_t n = 0;
	FILE *in;
	if (rc >= 0)
		return rc;
	if (!(in = fopen(argv[optind], "rb")))
		return sk_cli_fail(cli, sk_errf(&cli->err, SK_ERR_IO, "cannot open %.200s",
						argv[optind]));
	rc = sk_cli_open(cli);
	if (!rc)
		rc = sk_companies_load_csv(cli->core, in, &n, &cli->err);
	fclose(in);
	if (rc)
		return sk_cli_fail(cli, rc);
	if (cli->json)
		sk_cli_print_json(json_pack("{s:I}", "ranges", (json_int_t)n));
	else
		printf("loaded %zu company range%s\n", n, n == 1 ? "" : "s");
	return SK_EXIT_OK;
}

static int run_companies_lookup(const struct sk_cmd *cmd, struct sk_cli *cli, int argc,
				char **argv)
{
	int rc = sk_cli_plain(cli, cmd, argc, argv, 1);
	char name[SK_COMPANY_MAX + 1];
	if (rc >= 0)
		return rc;
	if ((rc = sk_cli_open(cli)) ||
	    (rc = sk_company_lookup(cli->core, argv[optind], name, &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json)
		sk_cli_print_json(json_pack("{s:s}", "company", name));
	else
		printf("%s\n", name);
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_companies_load = {
	.name = "companies load",
	.summary = "replace the company ranges (IP ranges to company names) from a CSV file",
	.usage = "FILE.csv",
	.help = "Replace the company ranges that reverse-IP lookup uses (only for visits with "
		"ip_tracking given) with those of FILE.csv, which you supply: each row "
		"network,company (192.0.2.0/24 or 2001:db8::/32) or first,last,company, an "
		"optional header row. All or nothing: a bad row refuses the file (exit 3), naming "
		"its line and field, and the ranges stay as they were (docs/tracking.md).",
	.run = run_companies_load,
};

const struct sk_cmd sk_cmd_entry_companies_lookup = {
	.name = "companies lookup",
	.summary = "the company the ranges give an IP address",
	.usage = "IP",
	.help = "Print the company of the narrowest loaded range holding IP, to check a ranges "
		"file. Exit 1 when no range holds it, 3 when IP is not an address.",
	.run = run_companies_lookup,
};
