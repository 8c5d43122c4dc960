/* cmd_init.c: samtycke init, a new database and the master key outside it. */
#include <errno.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/store.h"
#include "vault/vault.h"

static int run_init(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	int rc, made_key = 0;
	if ((rc = sk_cli_plain(cli, cmd, argc, argv, 0)) >= 0)
		return rc;

	if (access(cli->keyfile, F_OK) != 0) {
		if ((rc = sk_vault_keyfile_create(cli->keyfile, &cli->err)))
			return sk_cli_fail(cli, rc);
		made_key = 1;
	}
	/* The erasure log exists from the start (empty), so that a restore finds it and a
	 * folder where it cannot be written is found now, not at the first erasure. */
	int made_log = access(sk_erasure_log_path(), F_OK) != 0;
	rc = sk_erasure_log_writable(sk_erasure_log_path(), &cli->err);
	if (!rc)
		rc = sk_vault_open(cli->keyfile, &cli->vault, &cli->err);
	if (!rc)
		rc = sk_store_open(cli->db, 1, &cli->store, &cli->err);
	if (!rc)
		rc = sk_core_open(cli->store, cli->vault, 1, &cli->core, &cli->err);
	if (rc) {
		if (made_key)
			unlink(cli->keyfile);
		if (made_log)
			unlink(sk_erasure_log_path());
		if (cli->store && rc != SK_ERR_EXISTS) {
			sk_cli_close(cli);
			if (sk_store_uri_file(cli->db))
				unlink(sk_store_uri_file(cli->db));
		}
		return sk_cli_fail(cli, rc);
	}
	char shown[1024];
	sk_store_uri_shown(cli->db, shown, sizeof(shown)); /* never a server's password */
	if (cli->json) {
		sk_cli_print_json(sk_json_init(shown, cli->keyfile, made_key));
	} else {
		printf("database: %s\n", shown);
		printf("key file: %s (%s; keep it outside backups of the database)\n", cli->keyfile,
		       made_key ? "created, mode 0600" : "existing");
		printf("erasure log: %s (docs/operations.md, section 4)\n", sk_erasure_log_path());
	}
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_init = {
	.name = "init",
	.summary = "create a new database and its master key file",
	.usage = "",
	.help = "Create a new database and its master key file. The key file is written beside "
		"the database as DB.key with mode 0600 (SAMTYCKE_KEY_FILE or --key-file choose "
		"another path); keep it out of backups of the database. The erasure log "
		"(DB.erasures, or --erasure-log) is created empty beside it, mode 0600.",
	.run = run_init,
};
