/* main.c: the samtycke command. Global options, the list of command entries, dispatch, and
 * the helpers every command file shares (opening the database, errors, JSON output). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"
#include "util/mem.h"
#include "util/sktime.h"
#include "vault/vault.h"

/* Every command, in the order `samtycke --help` lists them. Each is the entry
 * sk_cmd_entry_NAME defined in its cmd_*.c file; a new command is one more line here
 * (docs/internals/cli.md). */
#define SK_CLI_COMMANDS(X) \
	X(init) \
	X(policy_apply) \
	X(policy_show) \
	X(contact_add) \
	X(contact_show) \
	X(contact_edit) \
	X(consent_give) \
	X(consent_refuse) \
	X(consent_withdraw) \
	X(consent_confirm) \
	X(consent_show) \
	X(consent_proof) \
	X(consent_receipt) \
	X(check) \
	X(suppress) \
	X(unsuppress) \
	X(export) \
	X(forget) \
	X(purge) \
	X(ledger_replay) \
	X(serve) \
	X(pending_expire) \
	X(keys_create) \
	X(keys_list) \
	X(keys_revoke) \
	X(audit_verify) \
	X(webhook_add) \
	X(webhook_list) \
	X(webhook_remove) \
	X(import) \
	X(export_contacts)

#define SK_CLI_DECLARE(n) extern const struct sk_cmd sk_cmd_entry_##n;
SK_CLI_COMMANDS(SK_CLI_DECLARE)
#define SK_CLI_POINT(n) &sk_cmd_entry_##n,
static const struct sk_cmd *const commands[] = {SK_CLI_COMMANDS(SK_CLI_POINT)};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void global_usage(FILE *f)
{
	fprintf(f, "usage: samtycke [--db PATH] [--key-file PATH] [--json] COMMAND [ARGS]\n\n"
		   "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-17s %s\n", commands[i]->name, commands[i]->usage);
	fprintf(f, "\nEvery command takes --help. Exit codes: 0 ok or allowed, 1 denied or not "
		   "found, 2 usage, 3 data or storage error.\n"
		   "The database is --db, else $SAMTYCKE_DB, else ./samtycke.db; the key file is "
		   "--key-file, else $SAMTYCKE_KEY_FILE, else the database path plus '.key'.\n");
}

static const struct sk_cmd *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

int sk_cli_usage(const struct sk_cmd *cmd)
{
	fprintf(stderr, "usage: samtycke %s %s\n(samtycke %s --help for more)\n", cmd->name,
		cmd->usage, cmd->name);
	return SK_EXIT_USAGE;
}

int sk_cli_help(const struct sk_cmd *cmd)
{
	printf("usage: samtycke %s %s\n\n%s\n\nCommon options: --json (machine-readable output), "
	       "--help.\n", cmd->name, cmd->usage, cmd->help);
	return SK_EXIT_OK;
}

int sk_cli_getopt(struct sk_cli *cli, const struct sk_cmd *cmd, int argc, char **argv,
		  const char *shortopts, const struct option *longopts, int *done)
{
	struct option all[32];
	char sopts[64];
	size_t n = 0;
	for (; longopts && longopts[n].name && n < 29; n++)
		all[n] = longopts[n];
	all[n++] = (struct option){"json", no_argument, NULL, 'j'};
	all[n++] = (struct option){"help", no_argument, NULL, 'h'};
	all[n] = (struct option){0};
	snprintf(sopts, sizeof(sopts), ":%s", shortopts ? shortopts : "");
	for (;;) {
		int c = getopt_long(argc, argv, sopts, all, NULL);
		if (c == 'j') {
			cli->json = 1;
			continue;
		}
		if (c == 'h') {
			sk_cli_help(cmd);
			*done = 1;
			return -1;
		}
		if (c == '?' || c == ':') {
			fprintf(stderr, "samtycke %s: %s option '%s'\n", cmd->name,
				c == '?' ? "unknown" : "missing value for", argv[optind - 1]);
			return '?';
		}
		return c;
	}
}

int sk_cli_plain(struct sk_cli *cli, const struct sk_cmd *cmd, int argc, char **argv, int nargs)
{
	int done = 0;
	if (sk_cli_getopt(cli, cmd, argc, argv, "", NULL, &done) != -1)
		return sk_cli_usage(cmd);
	if (done)
		return SK_EXIT_OK;
	return argc - optind == nargs ? -1 : sk_cli_usage(cmd);
}

int sk_cli_open(struct sk_cli *cli)
{
	int rc = sk_store_open(cli->db, 0, &cli->store, &cli->err);
	if (!rc)
		rc = sk_vault_open(cli->keyfile, &cli->vault, &cli->err);
	if (!rc)
		rc = sk_core_open(cli->store, cli->vault, 0, &cli->core, &cli->err);
	if (!rc && sk_core_open_note(cli->core)[0]) /* once, on the run that upgraded it */
		fprintf(stderr, "samtycke: %s\n", sk_core_open_note(cli->core));
	return rc;
}

void sk_cli_close(struct sk_cli *cli)
{
	sk_core_free(cli->core);
	sk_vault_free(cli->vault);
	sk_store_close(cli->store);
	cli->core = NULL;
	cli->vault = NULL;
	cli->store = NULL;
}

int sk_cli_fail(struct sk_cli *cli, int code)
{
	const char *msg = cli->err.code == code && cli->err.msg[0] ? cli->err.msg
								   : sk_err_message(code);
	if (cli->json) {
		json_t *e = json_pack("{s:{s:s,s:s}}", "error", "code", sk_err_name(code),
				      "message", msg);
		sk_cli_print_json(e);
	} else {
		fprintf(stderr, "samtycke: %s\n", msg);
	}
	switch (code) {
	case SK_ERR_NOT_FOUND: return SK_EXIT_NO;
	case SK_ERR_USAGE: return SK_EXIT_USAGE;
	default: return SK_EXIT_ERROR;
	}
}

void sk_cli_print_json(json_t *v)
{
	if (!v) {
		fprintf(stderr, "samtycke: out of memory\n");
		return;
	}
	json_dumpf(v, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(v);
}

const char *sk_cli_time(int64_t t, char *out)
{
	if (t == 0)
		return "unknown";
	sk_time_format(t, out);
	return out;
}

int sk_cli_field_arg(char *arg, struct sk_field_value *f, struct sk_errctx *err)
{
	char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		return sk_errf(err, SK_ERR_USAGE, "--field takes NAME=VALUE");
	*eq = '\0';
	f->name = arg;
	f->value = eq + 1;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"key-file", required_argument, NULL, 'k'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	struct sk_cli cli = {0};
	const char *keyfile = getenv("SAMTYCKE_KEY_FILE");
	int c;

	cli.db = getenv("SAMTYCKE_DB");
	while ((c = getopt_long(argc, argv, "+d:k:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': cli.db = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'j': cli.json = 1; break;
		case 'h': global_usage(stdout); return SK_EXIT_OK;
		case 'V': printf("samtycke %s\n", SK_VERSION); return SK_EXIT_OK;
		default: global_usage(stderr); return SK_EXIT_USAGE;
		}
	}
	if (!cli.db || !*cli.db)
		cli.db = "samtycke.db";
	if (keyfile && *keyfile) {
		cli.keyfile = keyfile;
	} else {
		const char *file = sk_store_uri_file(cli.db); /* a store URI's file (docs/cli.md) */
		snprintf(cli.keyfile_buf, sizeof(cli.keyfile_buf), "%s.key", file ? file : "samtycke");
		cli.keyfile = cli.keyfile_buf;
	}
	if (optind >= argc) {
		global_usage(stderr);
		return SK_EXIT_USAGE;
	}

	/* A command is one word or two ("policy apply"). */
	const struct sk_cmd *cmd = NULL;
	int first = optind;
	if (optind + 1 < argc) {
		char two[128];
		snprintf(two, sizeof(two), "%s %s", argv[optind], argv[optind + 1]);
		if ((cmd = find(two)))
			first = optind + 1;
	}
	if (!cmd)
		cmd = find(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "samtycke: unknown command '%s'\n", argv[optind]);
		global_usage(stderr);
		return SK_EXIT_USAGE;
	}
	optind = 0; /* full reinitialisation of getopt for the command's own options */
	int rc = cmd->run(cmd, &cli, argc - first, argv + first);
	sk_cli_close(&cli);
	return rc;
}
