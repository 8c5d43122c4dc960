/* cmd_migrate.c: samtycke migrate --to URI, the store of --db copied into a new store of any
 * backend (SQLite to PostgreSQL and back) and verified there (core/migrate.c). The target's
 * URI is never printed: a server URI may hold a password. */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/store.h"
#include "util/str.h"
#include "vault/vault.h"

/* Rows between two progress lines on stderr. */
#define MIGRATE_PROGRESS_ROWS 100000

static void progress(void *arg, const char *table, int64_t total)
{
	(void)arg;
	fprintf(stderr, "samtycke: migrate: %lld rows copied (table %s)\n", (long long)total,
		table);
}

/* cli->err's message with "SIDE: " before it (the store and vault errors do not say which
 * store they mean). */
static int side_fail(struct sk_cli *cli, const char *side, int rc)
{
	char msg[sizeof(cli->err.msg)];
	sk_strlcpy(msg, cli->err.code == rc && cli->err.msg[0] ? cli->err.msg : sk_err_message(rc),
		   sizeof(msg));
	sk_errf(&cli->err, rc, "%s: %s", side, msg);
	return sk_cli_fail(cli, rc);
}

/* Removes a SQLite target this run made (the file, and its -wal and -shm if left). */
static void remove_target(const char *uri)
{
	const char *file = sk_store_uri_file(uri);
	char p[4200];
	if (!file)
		return;
	unlink(file);
	snprintf(p, sizeof(p), "%s-wal", file);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", file);
	unlink(p);
}

static void print_summary(const struct sk_migrate_result *r)
{
	char hex[2 * SK_HASH_LEN + 1];
	printf("copied %lld rows into the target store\n", (long long)r->total);
	for (int t = 0; t < r->ntables; t++)
		printf("  %-16s %lld\n", r->table[t], (long long)r->rows[t]);
	if (r->ledger_seq) {
		sk_hex(r->ledger_head, SK_HASH_LEN, hex);
		printf("ledger head: seq %lld, hash %s\n", (long long)r->ledger_seq, hex);
	} else {
		printf("ledger head: empty\n");
	}
	printf("verified: the key file opens the target, its ledger chain is whole and ends at "
	       "the source's head, its stored state equals the ledger\n");
}

static int run_migrate(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"to", required_argument, NULL, 't'}, {0}};
	struct sk_migrate_result r;
	struct sk_store *to = NULL;
	const char *uri = NULL;
	int c, done = 0, rc, created = 0;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		if (c != 't')
			return sk_cli_usage(cmd);
		uri = optarg;
	}
	if (done)
		return SK_EXIT_OK;
	if (optind != argc || !uri || !*uri)
		return sk_cli_usage(cmd);

	/* The source: it must exist, be initialised and belong to the key file. */
	if ((rc = sk_store_open(cli->db, 0, &cli->store, &cli->err)))
		return side_fail(cli, "source", rc);
	if ((rc = sk_vault_open(cli->keyfile, &cli->vault, &cli->err)))
		return sk_cli_fail(cli, rc);
	if ((rc = sk_core_open(cli->store, cli->vault, 0, &cli->core, &cli->err)))
		return side_fail(cli, "source", rc);
	if (sk_core_open_note(cli->core)[0]) /* once, on the run that upgraded it */
		fprintf(stderr, "samtycke: %s\n", sk_core_open_note(cli->core));

	/* The target: a new store. One that exists is accepted only when it holds no row (a
	 * PostgreSQL database whose schema an earlier, failed migrate made); sk_migrate checks. */
	rc = sk_store_open(uri, 1, &to, &cli->err);
	if (rc == SK_ERR_EXISTS) {
		sk_errctx_reset(&cli->err);
		rc = sk_store_open(uri, 0, &to, &cli->err);
	} else if (rc == 0) {
		created = 1;
	}
	if (rc)
		return side_fail(cli, "target", rc);

	rc = sk_migrate(cli->core, to, MIGRATE_PROGRESS_ROWS, progress, NULL, &r, &cli->err);
	sk_store_close(to);
	if (rc) {
		if (created)
			remove_target(uri);
		return sk_cli_fail(cli, rc);
	}
	if (cli->json)
		sk_cli_print_json(sk_json_migrate(&r));
	else
		print_summary(&r);
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_migrate = {
	.name = "migrate",
	.summary = "copy the database into a new store and verify it",
	.usage = "--to URI",
	.help = "Copy every row of the database (--db) as stored into the new store URI (a SQLite "
		"path or sqlite: URI, or a postgresql:// URI), in one read snapshot and one write "
		"transaction, then check the copy with the same key file: the key check, the ledger "
		"chain with the source's head, and the state against the ledger. A target that "
		"holds data is refused; on any failure the target is rolled back (a SQLite file "
		"this run made is removed) and the exit status is 3. Prints the rows per table and "
		"the ledger head. See docs/migrate.md.",
	.run = run_migrate,
};
