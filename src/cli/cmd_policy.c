/* cmd_policy.c: samtycke policy apply FILE [--dry-run] [--force] (with the difference from
 * the applied policy) and policy show. */
#include <errno.h>
#include <string.h>

#include "cli/cli.h"
#include "util/buf.h"
#include "util/mem.h"

#define POLICY_MAX (1024 * 1024)

static int read_file(const char *path, struct sk_buf *b, struct sk_errctx *err)
{
	char chunk[8192];
	size_t n;
	int rc = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return sk_errf(err, SK_ERR_IO, "cannot open %s: %s", path, strerror(errno));
	while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = sk_buf_append(b, chunk, n);
	if (rc == SK_ERR_TOO_LARGE)
		sk_errf(err, rc, "%s is larger than %d bytes", path, POLICY_MAX);
	else if (!rc && ferror(f))
		rc = sk_errf(err, SK_ERR_IO, "cannot read %s", path);
	else if (rc)
		sk_errf(err, rc, "out of memory");
	fclose(f);
	return rc;
}

static void plan_print(const struct sk_policy_plan *pl, int dry)
{
	static const char sign[] = {'+', '-', '~'};
	for (size_t i = 0; i < pl->ndiffs; i++) {
		const struct sk_policy_diff *d = &pl->diffs[i];
		printf("%c %s %s", sign[d->op], sk_policy_item_name(d->item), d->id);
		if (d->op == SK_PO_CHANGED)
			printf(": %s", d->attrs);
		if (d->item == SK_PI_PURPOSE && d->op == SK_PO_REMOVED)
			printf(" (held by %lld contact%s)", (long long)d->holders,
			       d->holders == 1 ? "" : "s");
		printf("\n");
	}
	if (!pl->unchanged && pl->base_version && pl->ndiffs == 0)
		printf("no change in meaning: only comments or layout differ\n");
	for (size_t i = 0; i < pl->nnotices; i++)
		printf("%-20s notice version %d%s\n", pl->notices[i].purpose, pl->notices[i].version,
		       !pl->notices[i].is_new ? "" : dry ? " (would be new)" : " (new)");
	if (pl->unchanged)
		printf("policy unchanged, version %d: the file equals the applied policy; %s\n",
		       pl->version, dry ? "nothing would be stored" : "nothing was stored");
	else if (dry && pl->refused)
		printf("dry run: the apply would be refused (see the message); nothing stored\n");
	else if (dry)
		printf("dry run: would be stored as policy version %d; nothing stored\n", pl->version);
	else
		printf("policy version %d applied\n", pl->version);
}

static int run_policy_apply(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"force", no_argument, NULL, 'f'},
		{0},
	};
	struct sk_policy_plan *plan = NULL;
	struct sk_buf b;
	int c, done = 0, rc, flags = 0;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		if (c == 'n')
			flags |= SK_POLICY_DRY_RUN;
		else if (c == 'f')
			flags |= SK_POLICY_FORCE;
		else
			return sk_cli_usage(cmd);
	}
	if (done)
		return SK_EXIT_OK;
	if (argc - optind != 1)
		return sk_cli_usage(cmd);
	sk_buf_init(&b, POLICY_MAX);
	rc = read_file(argv[optind], &b, &cli->err);
	if (!rc)
		rc = sk_cli_open(cli);
	if (!rc)
		rc = sk_policy_update(cli->core, b.data ? b.data : "", b.len, argv[optind], flags,
				      &plan, &cli->err);
	sk_buf_reset(&b);
	if (rc)
		return sk_cli_fail(cli, rc);
	int dry = flags & SK_POLICY_DRY_RUN;
	if (cli->json)
		sk_cli_print_json(sk_json_policy_plan(plan, dry));
	else
		plan_print(plan, dry);
	if (!cli->json && plan->why[0])
		fprintf(stderr, "samtycke: %s\n", plan->why);
	rc = plan->refused ? SK_EXIT_ERROR : SK_EXIT_OK;
	sk_policy_plan_free(plan);
	return rc;
}

/* The applied policy as JSON: its purposes in the shape GET /v1/purposes gives them. */
static int print_policy_json(struct sk_cli *cli)
{
	struct sk_notice_set *ns;
	int rc = sk_policy_notices(cli->core, &ns, &cli->err);
	if (rc)
		return sk_cli_fail(cli, rc);
	const struct sk_policy *p = sk_core_policy(cli->core);
	sk_cli_print_json(sk_json_policy(p, sk_core_policy_version(cli->core), ns));
	sk_notice_sets_free(ns, p->npurposes);
	return SK_EXIT_OK;
}

static int run_policy_show(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	int rc;
	char dur[32];

	if ((rc = sk_cli_plain(cli, cmd, argc, argv, 0)) >= 0)
		return rc;
	if ((rc = sk_cli_open(cli)) || (rc = sk_core_need_policy(cli->core, &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json)
		return print_policy_json(cli);
	const struct sk_policy *p = sk_core_policy(cli->core);
	printf("policy version %d\ncontroller: %s\ncontact:    %s\naddress:    %s\nprivacy:    %s\n",
	       sk_core_policy_version(cli->core), p->org_name, p->org_contact, p->org_address,
	       p->org_privacy_url);
	if (p->brand_logo_url || p->brand_primary || p->brand_background || p->brand_text ||
	    p->brand_stylesheet_url)
		printf("brand:      primary %s, background %s, text %s%s%s%s%s\n",
		       sk_brand_primary(p), sk_brand_background(p), sk_brand_text(p),
		       p->brand_logo_url ? ", logo " : "", p->brand_logo_url ? p->brand_logo_url : "",
		       p->brand_stylesheet_url ? ", stylesheet " : "",
		       p->brand_stylesheet_url ? p->brand_stylesheet_url : "");
	printf("\nfields:\n");
	for (size_t i = 0; i < p->nfields; i++)
		printf("  %-16s %s, at most %d bytes\n", p->fields[i].name,
		       sk_field_type_name(p->fields[i].type), p->fields[i].max_length);
	printf("\npurposes:\n");
	for (size_t i = 0; i < p->npurposes; i++) {
		const struct sk_purpose *u = &p->purposes[i];
		sk_duration_format(u->validity, dur, sizeof(dur));
		printf("  %s: %s\n    %s, %s, valid %s%s, notice version %d\n    fields:",
		       u->id, u->title[SK_LANG_EN], sk_kind_name(u->kind), sk_basis_name(u->basis),
		       u->validity.n ? dur : "until withdrawn",
		       u->double_opt_in ? ", double opt-in" : "", u->notice_version);
		for (size_t j = 0; j < u->nfields; j++)
			printf(" %s", u->fields[j]);
		printf("\n");
	}
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_policy_apply = {
	.name = "policy apply",
	.summary = "validate a policy file and store it as the policy",
	.usage = "FILE [--dry-run] [--force]",
	.help = "Validate the policy file and store it. A notice whose text changed becomes a new "
		"version; old versions stay readable forever. Prints the difference from the "
		"applied policy; a file equal to it stores nothing. A file that drops a purpose "
		"contacts still hold (given, pending or unverified consents) is refused (exit 3) "
		"unless --force. --dry-run validates and prints the difference without storing "
		"(exit 3 when the apply would be refused).",
	.run = run_policy_apply,
};

const struct sk_cmd sk_cmd_entry_policy_show = {
	.name = "policy show",
	.summary = "show the applied policy",
	.usage = "",
	.help = "Show the applied policy: organisation, fields and purposes with current notice "
		"versions.",
	.run = run_policy_show,
};
