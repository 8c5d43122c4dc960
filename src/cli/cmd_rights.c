/* cmd_rights.c: samtycke export, forget and purge: the data subject's access and erasure, and
 * the disposal of contacts without a basis (docs/rights.md). */
#include "cli/cli.h"
#include "util/sktime.h"

#include <time.h>

#define DEFAULT_PENDING_DAYS 7
#define SCRUB_TRIES 5      /* retries of a waiting WAL scrub after forget */
#define SCRUB_PAUSE_MS 200 /* between them (each also waits up to 200 ms for readers) */

static int run_export(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"lang", required_argument, NULL, 'l'}, {0}};
	const char *lang = "en";
	char id[SK_ID_LEN + 1];
	struct sk_access_export x;
	int c, done = 0, rc;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		if (c != 'l')
			return sk_cli_usage(cmd);
		lang = optarg;
	}
	if (done)
		return SK_EXIT_OK;
	if (argc - optind != 1)
		return sk_cli_usage(cmd);
	if ((rc = sk_cli_open(cli)) || (rc = sk_cli_contact(cli, argv[optind], id)) ||
	    (rc = sk_export(cli->core, id, lang, &x, &cli->err)))
		return sk_cli_fail(cli, rc);
	json_t *doc = sk_json_export(&x);
	sk_access_export_reset(&x);
	if (cli->json) {
		sk_cli_print_json(doc);
		return SK_EXIT_OK;
	}
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(doc);
	return SK_EXIT_OK;
}

static int run_forget(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	struct sk_erasure_receipt receipt;
	char who_id[SK_ID_LEN + 1], who[SK_CONTACT_WHO_MAX];
	int rc;

	if ((rc = sk_cli_plain(cli, cmd, argc, argv, 1)) >= 0)
		return rc;
	rc = sk_cli_open(cli);
	rc = rc ? rc : sk_contact_resolve(cli->core, argv[optind], who_id, who, &cli->err);
	rc = rc ? rc : sk_forget_email(cli->core, who, &receipt, &cli->err);
	sk_vault_wipe(who, sizeof(who));
	if (rc)
		return sk_cli_fail(cli, rc);
	/* Erased and committed. A reader holding the database keeps the WAL scrub waiting: try
	 * again a few times, then leave it recorded for the server or 'audit verify'. */
	int pending = receipt.scrub_pending;
	for (int i = 0; pending && i < SCRUB_TRIES; i++) {
		nanosleep(&(struct timespec){0, SCRUB_PAUSE_MS * 1000000L}, NULL);
		if (sk_scrub_retry(cli->core, &pending, &cli->err))
			pending = 1;
	}
	receipt.scrub_pending = pending;
	if (pending)
		fprintf(stderr, "samtycke: the erasure is committed, but another program holds the "
			"database open, so its WAL is not scrubbed yet; a running server retries it, "
			"or run 'samtycke audit verify' once that program is done\n");
	if (cli->json) {
		sk_cli_print_json(sk_json_erasure(&receipt));
		return SK_EXIT_OK;
	}
	if (receipt.contact_id[0])
		printf("erased contact %s (erasure %s); %lld ledger events kept, their evidence "
		       "unreadable; the address is suppressed\n", receipt.contact_id,
		       receipt.erasure_id, (long long)receipt.ledger_events_kept);
	else
		printf("no contact has this address; it is suppressed so that it never comes in\n");
	return SK_EXIT_OK;
}

static int run_purge(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"pending-days", required_argument, NULL, 'p'},
		{0},
	};
	int c, done = 0, rc, dry = 0;
	long pending_days = DEFAULT_PENDING_DAYS;
	char *end;
	struct sk_purge_report res;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		if (c == 'n') {
			dry = 1;
		} else if (c == 'p') {
			pending_days = strtol(optarg, &end, 10);
			if (*end || pending_days < 0 || pending_days > 3650)
				return sk_cli_usage(cmd);
		} else {
			return sk_cli_usage(cmd);
		}
	}
	if (done)
		return SK_EXIT_OK;
	if (optind != argc)
		return sk_cli_usage(cmd);
	if ((rc = sk_cli_open(cli)) ||
	    (rc = sk_purge(cli->core, sk_time_now(), (int)pending_days, dry, &res, &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json) {
		sk_cli_print_json(sk_json_purge(&res));
		sk_purge_report_reset(&res);
		return SK_EXIT_OK;
	}
	for (int r = 0; r < SK_PURGE_NREASONS; r++) {
		printf("%s: %zu\n", sk_purge_reason_name(r), res.by_reason[r].n);
		for (size_t i = 0; i < res.by_reason[r].n; i++)
			printf("  %s\n", res.by_reason[r].id[i]);
	}
	printf("%s %lld contact%s\n", dry ? "would purge" : "purged", (long long)res.total,
	       res.total == 1 ? "" : "s");
	if (res.tracking_events) /* past tracking.retention (docs/tracking.md) */
		printf("purged %ld tracking event%s\n", res.tracking_events,
		       res.tracking_events == 1 ? "" : "s");
	sk_purge_report_reset(&res);
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_export = {
	.name = "export",
	.summary = "everything held about a person, as JSON",
	.usage = "EMAIL|ID [--lang sv|en]",
	.help = "Everything held about the person, as one JSON document: fields, every consent "
		"with its evidence and the notice texts shown, the purposes and their legal basis "
		"and retention, the systems the data is shared with, rectifications, behavioural "
		"records.",
	.run = run_export,
};

const struct sk_cmd sk_cmd_entry_forget = {
	.name = "forget",
	.summary = "erase a person",
	.usage = "EMAIL|ID",
	.help = "Erase the person: every row about them and their data key go, the keyed hash of "
		"the address goes on the suppression list (reason erased), connected systems are "
		"told by an 'erased' change. Prints the erasure receipt (--json: as JSON).",
	.run = run_forget,
};

const struct sk_cmd sk_cmd_entry_purge = {
	.name = "purge",
	.summary = "delete the contacts that have no basis left",
	.usage = "[--dry-run] [--pending-days N]",
	.help = "Delete the contacts that have no basis left (never consented, withdrawn, "
		"expired, pending double opt-ins older than N days (default 7), unverified legacy "
		"data, inactive), one transaction each; --dry-run lists them by reason without "
		"deleting.",
	.run = run_purge,
};
