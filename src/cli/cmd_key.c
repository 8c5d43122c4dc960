/* cmd_key.c: samtycke key rotate|check, the master key file over time (core/keyrot.c). Not to
 * be confused with `keys`, the API keys (cmd_keys.c). */
#include "cli/cli.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* SK_TEST_KEYROT_DIE_AT=STEP kills the rotation with SIGKILL at that step (written,
 * rewrapped, committed, renamed): how tests/integration/keyrot.sh proves that every point of
 * a crash leaves a database that opens. Kept in the release binary (harmless: it can only
 * kill this process; docs/internals/build-and-tests.md). */
static void die_at(void *arg, const char *step)
{
	const char *want = arg;
	if (want && strcmp(want, step) == 0)
		raise(SIGKILL);
}

static int run_key_rotate(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"discard-old-key", no_argument, NULL, 'd'}, {0}};
	struct sk_master_key_opts o = {die_at, getenv("SK_TEST_KEYROT_DIE_AT"), 0, 0};
	struct sk_master_key_report r;
	char kept[4096 + 32];
	int c, done = 0, rc;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		if (c != 'd')
			return sk_cli_usage(cmd);
		o.discard_old_key = 1;
	}
	if (done)
		return SK_EXIT_OK;
	if (argc != optind)
		return sk_cli_usage(cmd);
	if ((rc = sk_cli_open(cli)) || (rc = sk_master_key_rotate(cli->core, &o, &r, &cli->err)))
		return sk_cli_fail(cli, rc);
	if (o.discard_old_key ||
	    sk_vault_kept_path(cli->vault, r.generation - 1, kept, sizeof(kept)) != 0)
		kept[0] = '\0';
	if (cli->json) {
		json_t *j = json_pack("{s:I,s:I,s:I,s:I,s:s}", "generation",
				      (json_int_t)r.generation, "data_keys",
				      (json_int_t)r.ok[SK_SEALED_DATAKEY], "webhook_secrets",
				      (json_int_t)r.ok[SK_SEALED_WEBHOOK], "form_requests",
				      (json_int_t)r.ok[SK_SEALED_REQUEST], "key_file", cli->keyfile);
		json_object_set_new(j, "old_key_file", kept[0] ? json_string(kept) : json_null());
		sk_cli_print_json(j);
		return SK_EXIT_OK;
	}
	printf("key rotated to generation %lld: %lld data keys re-wrapped, %lld webhook secrets "
	       "and %lld form requests re-sealed\n",
	       (long long)r.generation, (long long)r.ok[SK_SEALED_DATAKEY],
	       (long long)r.ok[SK_SEALED_WEBHOOK], (long long)r.ok[SK_SEALED_REQUEST]);
	if (kept[0])
		printf("%s holds the new key. The old key (generation %lld) is kept as %s: it\n"
		       "opens nothing in the database any more, only the backups made before this\n"
		       "rotation. Keep it exactly as long as those backups, apart from them; when\n"
		       "the old key leaked, destroy it together with those backups.\n",
		       cli->keyfile, (long long)r.generation - 1, kept);
	else
		printf("%s holds the new key; the old key file was replaced (--discard-old-key):\n"
		       "backups made before this rotation open only with a copy of it, if any.\n",
		       cli->keyfile);
	printf("Servers on this host take the new key within a second. Servers on other hosts\n"
	       "(PostgreSQL): copy %s to each of them now, mode 0600, same path; until then\n"
	       "they refuse writes that need the key. Then run 'samtycke key check' there.\n",
	       cli->keyfile);
	return SK_EXIT_OK;
}

static int run_key_check(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	struct sk_master_key_report r;
	int rc;

	if ((rc = sk_cli_plain(cli, cmd, argc, argv, 0)) >= 0)
		return rc;
	if ((rc = sk_cli_open(cli)))
		return sk_cli_fail(cli, rc);
	rc = sk_master_key_check(cli->core, &r, &cli->err);
	if (rc && rc != SK_ERR_CRYPTO)
		return sk_cli_fail(cli, rc);
	if (cli->json)
		sk_cli_print_json(json_pack(
			"{s:I,s:{s:I,s:I},s:{s:I,s:I},s:{s:I,s:I}}", "generation",
			(json_int_t)r.generation, "data_keys", "ok", (json_int_t)r.ok[0], "failed",
			(json_int_t)r.failed[0], "webhook_secrets", "ok", (json_int_t)r.ok[1], "failed",
			(json_int_t)r.failed[1], "form_requests", "ok", (json_int_t)r.ok[2], "failed",
			(json_int_t)r.failed[2]));
	else
		printf("key generation %lld: %lld data keys, %lld webhook secrets and %lld form "
		       "requests open; %lld, %lld and %lld do not\n",
		       (long long)r.generation, (long long)r.ok[0], (long long)r.ok[1],
		       (long long)r.ok[2], (long long)r.failed[0], (long long)r.failed[1],
		       (long long)r.failed[2]);
	return rc ? sk_cli_fail(cli, rc) : SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_key_rotate = {
	.name = "key rotate",
	.summary = "replace the master key file (re-wraps every data key)",
	.usage = "[--discard-old-key]",
	.help = "Write a new master key, re-wrap every contact's data key and re-seal every "
		"system secret (webhook secrets, form requests) under it in one transaction while "
		"servers run, then rename the new key file over the old one. The email hash key "
		"and, for old unsubscribe links (and redirects of old click links), the old token "
		"key are carried in the database, sealed under the new key. Afterwards the old key "
		"opens nothing in the database; it is kept as KEYFILE.gen-N (N its generation, "
		"same owner, mode 0600) because the backups made before the rotation open only with "
		"it: keep it as long as them, destroy it with them when it leaked. "
		"--discard-old-key replaces it without keeping it. Another database that shares "
		"the key file must get its own copy of it first. See docs/operations.md.",
	.run = run_key_rotate,
};

const struct sk_cmd sk_cmd_entry_key_check = {
	.name = "key check",
	.summary = "prove the key file opens every data key and system secret",
	.usage = "",
	.help = "Open every data key and every system secret with the key file and print the "
		"counts; exit 3 when any does not open (counts only, never what).",
	.run = run_key_check,
};
