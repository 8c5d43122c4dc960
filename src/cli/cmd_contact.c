/* cmd_contact.c: samtycke contact add, show and edit. */
#include <getopt.h>

#include "cli/cli.h"
#include "util/mem.h"
#include "util/sktime.h"

#define MAX_FIELDS 64

static const struct option field_opts[] = {{"field", required_argument, NULL, 'f'}, {0}};

/* Parses the command's --field options into fields; *done when --help was shown. */
static int parse_fields(struct sk_cli *cli, const struct sk_cmd *cmd, int argc, char **argv,
			struct sk_field_value *fields, size_t *n, int *done)
{
	int c, rc;
	*n = 0;
	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "f:", field_opts, done)) != -1) {
		if (c != 'f')
			return sk_cli_usage(cmd);
		if (*n == MAX_FIELDS)
			return sk_cli_fail(cli, sk_errf(&cli->err, SK_ERR_TOO_LARGE,
							"at most %d fields", MAX_FIELDS));
		if ((rc = sk_cli_field_arg(optarg, &fields[(*n)++], &cli->err)))
			return sk_cli_fail(cli, rc);
	}
	if (!*done && argc - optind != 1)
		return sk_cli_usage(cmd);
	return SK_EXIT_OK;
}

static int run_contact_add(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	struct sk_field_value fields[MAX_FIELDS];
	char id[SK_ID_LEN + 1];
	size_t n;
	int done = 0, rc;

	if ((rc = parse_fields(cli, cmd, argc, argv, fields, &n, &done)) || done)
		return rc;
	if ((rc = sk_cli_open(cli)) ||
	    (rc = sk_contact_add(cli->core, argv[optind], fields, n, id, &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json)
		sk_cli_print_json(sk_json_created(id));
	else
		printf("%s\n", id);
	return SK_EXIT_OK;
}

static int run_contact_edit(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	struct sk_field_value fields[MAX_FIELDS];
	char id[SK_ID_LEN + 1];
	size_t n;
	int done = 0, rc;

	if ((rc = parse_fields(cli, cmd, argc, argv, fields, &n, &done)) || done)
		return rc;
	if ((rc = sk_cli_open(cli)) || (rc = sk_cli_contact(cli, argv[optind], id)) ||
	    (rc = sk_contact_edit(cli->core, id, fields, n, "cli", &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json)
		sk_cli_print_json(sk_json_ok());
	else
		printf("updated %zu field%s\n", n, n == 1 ? "" : "s");
	return SK_EXIT_OK;
}

static int run_contact_show(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	struct sk_contact ct;
	char t1[SK_TIME_STRLEN], t2[SK_TIME_STRLEN], id[SK_ID_LEN + 1];
	int rc;

	if ((rc = sk_cli_plain(cli, cmd, argc, argv, 1)) >= 0)
		return rc;
	if ((rc = sk_cli_open(cli)) || (rc = sk_cli_contact(cli, argv[optind], id)) ||
	    (rc = sk_contact_get_by_id(cli->core, id, &ct, &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json) {
		sk_cli_print_json(sk_json_contact(&ct));
	} else {
		printf("id:         %s\ncreated:    %s\nupdated:    %s\n", ct.id,
		       sk_cli_time(ct.created_at, t1), sk_cli_time(ct.updated_at, t2));
		for (size_t i = 0; i < ct.nfields; i++)
			printf("%-11s %s\n", ct.fields[i].name, ct.fields[i].value);
	}
	sk_contact_reset(&ct);
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_contact_add = {
	.name = "contact add",
	.summary = "add a contact",
	.usage = "EMAIL [--field NAME=VALUE]...",
	.help = "Add a contact. Only fields that some purpose of the policy needs are accepted.",
	.run = run_contact_add,
};

const struct sk_cmd sk_cmd_entry_contact_show = {
	.name = "contact show",
	.summary = "show a contact's fields",
	.usage = "EMAIL|ID",
	.help = "Show a contact's fields.",
	.run = run_contact_show,
};

const struct sk_cmd sk_cmd_entry_contact_edit = {
	.name = "contact edit",
	.summary = "change a contact's fields",
	.usage = "EMAIL|ID --field NAME=VALUE...",
	.help = "Change a contact's fields.",
	.run = run_contact_edit,
};
