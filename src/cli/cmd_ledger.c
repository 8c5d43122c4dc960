/* cmd_ledger.c: samtycke audit verify (the hash chain) and ledger replay (the state rebuilt
 * from the ledger and compared with the stored one). */
#include <getopt.h>

#include "cli/cli.h"
#include "util/sktime.h"
#include "util/str.h"

static int run_audit_verify(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	struct sk_audit a;
	char hex[2 * SK_HASH_LEN + 1];
	int rc;

	if ((rc = sk_cli_plain(cli, cmd, argc, argv, 0)) >= 0)
		return rc;
	/* A WAL scrub an erasure left waiting is tried once more, then reported if it still
	 * waits (docs/rights.md). */
	if ((rc = sk_cli_open(cli)) || (rc = sk_audit(cli->core, 1, &a, &cli->err)) ||
	    (rc = sk_audit_record(cli->core, &a, sk_time_now(), &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json) {
		sk_cli_print_json(sk_json_audit(&a));
	} else {
		sk_hex(a.head, sizeof(a.head), hex);
		if (a.broken)
			printf("ledger chain broken: first bad sequence number %lld\n",
			       (long long)a.first_bad_seq);
		else
			printf("ledger whole: %lld events, head %s\n", (long long)a.events, hex);
		if (a.scrub_since) {
			char t[SK_TIME_STRLEN];
			sk_time_format(a.scrub_since, t);
			printf("erasure scrub pending since %s: another program holds the database "
			       "open, so the WAL may still hold erased data\n", t);
		}
	}
	return a.broken ? SK_EXIT_NO : SK_EXIT_OK;
}

static int print_diff(void *arg, const struct sk_replay_diff *d)
{
	if (arg)
		return sk_json_list_diff(arg, d);
	printf("%s %s: stored %s, ledger says %s\n", d->contact_id, d->purpose,
	       sk_replay_status_name(d->stored), sk_replay_status_name(d->derived));
	return 0;
}

static int run_ledger_replay(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"check", no_argument, NULL, 'c'}, {0}};
	int c, done = 0, rc, check_only = 0;
	long ndiff = 0;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		if (c != 'c')
			return sk_cli_usage(cmd);
		check_only = 1;
	}
	if (done)
		return SK_EXIT_OK;
	if (optind != argc)
		return sk_cli_usage(cmd);
	if ((rc = sk_cli_open(cli)))
		return sk_cli_fail(cli, rc);
	json_t *arr = cli->json ? json_array() : NULL;
	rc = sk_ledger_replay(cli->core, !check_only, print_diff, arr, &ndiff, &cli->err);
	if (rc) {
		json_decref(arr);
		return sk_cli_fail(cli, rc);
	}
	if (arr)
		sk_cli_print_json(sk_json_replay(ndiff, arr, ndiff && !check_only));
	else if (ndiff)
		printf("%ld difference%s; %s\n", ndiff, ndiff == 1 ? "" : "s",
		       check_only ? "stored state left as it was" : "stored state rebuilt from the ledger");
	else
		printf("stored state equals the ledger\n");
	return ndiff ? SK_EXIT_NO : SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_ledger_replay = {
	.name = "ledger replay",
	.summary = "rebuild the consent state from the ledger",
	.usage = "[--check]",
	.help = "Rebuild the consent state from the ledger and report every difference from the "
		"stored state; with --check only report. Exit 1 when differences were found.",
	.run = run_ledger_replay,
};

const struct sk_cmd sk_cmd_entry_audit_verify = {
	.name = "audit verify",
	.summary = "verify the ledger's hash chain",
	.usage = "",
	.help = "Verify the ledger's hash chain. Exit 0 when whole; otherwise exit 1 naming the "
		"first bad sequence number.",
	.run = run_audit_verify,
};
