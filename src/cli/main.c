/* main.c: the samtycke command. Global options, the list of command entries, dispatch, and
 * the helpers every command file shares (opening the database, errors, JSON output). */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/serve_options.h"
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
	X(link) \
	X(utm) \
	X(export) \
	X(forget) \
	X(purge) \
	X(ledger_replay) \
	X(serve) \
	X(pending_expire) \
	X(keys_create) \
	X(keys_list) \
	X(keys_revoke) \
	X(key_rotate) \
	X(key_check) \
	X(user_add) \
	X(user_list) \
	X(user_passwd) \
	X(user_disable) \
	X(user_unlock) \
	X(audit_verify) \
	X(webhook_add) \
	X(webhook_list) \
	X(webhook_remove) \
	X(campaign_create) \
	X(campaign_list) \
	X(campaign_preview) \
	X(campaign_send) \
	X(campaign_status) \
	X(import) \
	X(export_contacts) \
	X(migrate) \
	X(backup) \
	X(restore) \
	X(erasures_replay) \
	X(companies_load) \
	X(companies_lookup)

#define SK_CLI_DECLARE(n) extern const struct sk_cmd sk_cmd_entry_##n;
SK_CLI_COMMANDS(SK_CLI_DECLARE)
#define SK_CLI_POINT(n) &sk_cmd_entry_##n,
static const struct sk_cmd *const commands[] = {SK_CLI_COMMANDS(SK_CLI_POINT)};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* The global options, before the command (also listed by `help --all --json`). */
static const struct option global_opts[] = {
	{"db", required_argument, NULL, 'd'},
	{"key-file", required_argument, NULL, 'k'},
	{"json", no_argument, NULL, 'j'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{"erasure-log", required_argument, NULL, 'E'},
	{"config", required_argument, NULL, 'C'},
	{0},
};

/* Set when --json appears anywhere on the command line (before a "--"): every error, a
 * usage error found before the command has read its options too, is then one JSON object
 * on stderr. */
static int json_errors;
/* With --json, getopt's complaint, kept for the usage error that follows it. */
static char usage_why[160];

static void print_error_json(const char *code, const char *msg, const char *usage)
{
	json_t *e = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
	if (e && usage)
		json_object_set_new(json_object_get(e, "error"), "usage", json_string(usage));
	if (!e) { /* a message that is not UTF-8: say so plainly rather than nothing */
		fprintf(stderr, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}\n", code,
			sk_err_message(SK_ERR_INVALID));
		return;
	}
	json_dumpf(e, stderr, JSON_COMPACT | JSON_ENSURE_ASCII);
	fputc('\n', stderr);
	json_decref(e);
}

int sk_cli_error(int exit, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_errors)
		print_error_json(sk_err_name(code), msg, NULL);
	else
		fprintf(stderr, "samtycke: %s\n", msg);
	return exit;
}

static void global_usage(FILE *f)
{
	fprintf(f, "usage: samtycke [--config FILE] [--db PATH] [--key-file PATH] "
		   "[--erasure-log PATH] [--json] COMMAND [ARGS]\n\n"
		   "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-17s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\n'samtycke help COMMAND' or 'samtycke COMMAND --help' shows a command's "
		   "arguments and options; 'samtycke help GROUP' (policy, contact, consent, keys, "
		   "webhook, ...) lists a group.\n"
		   "Exit codes: 0 ok or allowed, 1 denied or not "
		   "found, 2 usage, 3 data or storage error.\n"
		   "The database is --db, else $SAMTYCKE_DB, else ./samtycke.db; the key file is "
		   "--key-file, else $SAMTYCKE_KEY_FILE, else the database path plus '.key' (a "
		   "PostgreSQL store has no path: give --key-file). The erasure log is "
		   "--erasure-log, else $SAMTYCKE_ERASURE_LOG, else the database path (or the key "
		   "file's) plus '.erasures'. The configuration file (--config, else "
		   "$SAMTYCKE_CONFIG, else " SK_CONFIG_DEFAULT " when it exists) gives db, key-file "
		   "and erasure-log after the flag and the environment, for every command.\n");
}

static const struct sk_cmd *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

/* A group is the first word of the two-word commands: policy, contact, consent, ... */
static int is_group(const char *word)
{
	size_t n = strlen(word);
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strncmp(commands[i]->name, word, n) == 0 && commands[i]->name[n] == ' ')
			return 1;
	return 0;
}

static void group_usage(FILE *f, const char *group)
{
	size_t n = strlen(group);
	fprintf(f, "usage: samtycke %s COMMAND [ARGS]\n\ncommands:\n", group);
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strncmp(commands[i]->name, group, n) == 0 && commands[i]->name[n] == ' ')
			fprintf(f, "  %-17s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\n'samtycke help %s COMMAND' or 'samtycke %s COMMAND --help' shows its "
		   "arguments and options.\n", group, group);
}

/* A command line that names a group but no command of it: the group's list, on stdout for
 * --help (exit 0), else as a usage error. */
static int group_error(const char *group, const char *word)
{
	if (json_errors) {
		char line[64];
		snprintf(line, sizeof(line), "samtycke %s COMMAND", group);
		if (word)
			return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE, "unknown command '%s %s'; "
					    "'samtycke help %s' lists them", group, word, group);
		print_error_json("usage", "a command of the group is missing", line);
		return SK_EXIT_USAGE;
	}
	if (word)
		fprintf(stderr, "samtycke: unknown command '%s %s'\n", group, word);
	group_usage(stderr, group);
	return SK_EXIT_USAGE;
}

/* `samtycke help --all --json` (not in the help texts: for the build): the whole command
 * table and the global options as one JSON object, from which scripts/gen-manpage.py writes
 * the man page and the bash completion. */
static int help_all(void)
{
	json_t *cmds = json_array(), *opts = json_array();
	for (size_t i = 0; cmds && i < NCOMMANDS; i++)
		json_array_append_new(cmds, json_pack("{s:s,s:s,s:s,s:s}", "name", commands[i]->name,
						      "summary", commands[i]->summary, "usage",
						      commands[i]->usage, "help", commands[i]->help));
	for (size_t i = 0; opts && global_opts[i].name; i++)
		json_array_append_new(opts, json_pack("{s:s,s:b}", "name", global_opts[i].name,
						      "argument",
						      global_opts[i].has_arg == required_argument));
	sk_cli_print_json(json_pack("{s:s,s:o*,s:o*}", "version", SK_VERSION, "commands", cmds,
				    "global_options", opts));
	return SK_EXIT_OK;
}

/* samtycke help [COMMAND | GROUP]: the same texts as --help, on stdout. */
static int help(int argc, char **argv)
{
	int all = 0, json = 0;
	for (int i = 0; i < argc; i++) {
		all |= strcmp(argv[i], "--all") == 0;
		json |= strcmp(argv[i], "--json") == 0;
	}
	if (all && json && argc == 2)
		return help_all();
	const struct sk_cmd *cmd = NULL;
	char *words[2];
	int n = 0;
	for (int i = 0; i < argc; i++) /* --json (for errors) and --help are no command words */
		if (strcmp(argv[i], "--json") != 0 && strcmp(argv[i], "--help") != 0 && n < 2)
			words[n++] = argv[i];
		else if (n == 2 && strcmp(argv[i], "--json") != 0 && strcmp(argv[i], "--help") != 0)
			n = 3;
	if (n > 2)
		return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE, "help takes one command or group");
	argc = n;
	argv = words;
	if (argc == 0) {
		global_usage(stdout);
		return SK_EXIT_OK;
	}
	if (argc >= 2) {
		char two[128];
		snprintf(two, sizeof(two), "%s %s", argv[0], argv[1]);
		cmd = find(two);
	}
	if (!cmd && argc == 1)
		cmd = find(argv[0]);
	if (cmd)
		return sk_cli_help(cmd);
	if (argc == 1 && is_group(argv[0])) {
		group_usage(stdout, argv[0]);
		return SK_EXIT_OK;
	}
	return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE, "no command '%s%s%s'; 'samtycke help' "
			    "lists them", argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
}

int sk_cli_usage(const struct sk_cmd *cmd)
{
	if (json_errors) {
		char line[1024], msg[1200];
		snprintf(line, sizeof(line), "samtycke %s %s", cmd->name, cmd->usage);
		snprintf(msg, sizeof(msg), "%s%susage: %s", usage_why, usage_why[0] ? "; " : "",
			 line);
		print_error_json("usage", msg, line);
		usage_why[0] = '\0';
		return SK_EXIT_USAGE;
	}
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
	struct option all[48];
	char sopts[64];
	size_t n = 0;
	for (; longopts && longopts[n].name && n < 45; n++)
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
			if (json_errors)
				snprintf(usage_why, sizeof(usage_why), "%s option '%s'",
					 c == '?' ? "unknown" : "missing value for", argv[optind - 1]);
			else
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

int sk_cli_keyfile_default(struct sk_cli *cli)
{
	/* a server's store: there is no database file to put the key beside, and a key file in
	 * whatever folder the command runs in would be a new key each time */
	if (strncasecmp(cli->db, "postgres", 8) == 0 && !sk_store_uri_file(cli->db))
		return -1;
	const char *file = sk_store_uri_file(cli->db); /* a store URI's file (docs/cli.md) */
	snprintf(cli->keyfile_buf, sizeof(cli->keyfile_buf), "%s.key", file ? file : "samtycke");
	cli->keyfile = cli->keyfile_buf;
	return 0;
}

void sk_cli_erasure_log(struct sk_cli *cli, const char *given)
{
	/* docs/operations.md, 4: --erasure-log, else $SAMTYCKE_ERASURE_LOG (or serve's
	 * erasure-log), else beside the database file, else beside the key file */
	if (given && *given) {
		sk_erasure_log_set(given);
		return;
	}
	const char *file = sk_store_uri_file(cli->db);
	snprintf(cli->erasure_log_buf, sizeof(cli->erasure_log_buf), "%s.erasures",
		 file ? file : cli->keyfile ? cli->keyfile : "samtycke");
	sk_erasure_log_set(cli->erasure_log_buf);
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
	if (cli->json || json_errors) {
		print_error_json(sk_err_name(code), msg, NULL);
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

int sk_cli_contact(struct sk_cli *cli, const char *who, char id[SK_ID_LEN + 1])
{
	char email[SK_CONTACT_WHO_MAX];
	int rc = sk_contact_resolve(cli->core, who, id, email, &cli->err);
	sk_vault_wipe(email, sizeof(email));
	if (!rc && !id[0])
		rc = sk_errf(&cli->err, SK_ERR_NOT_FOUND, "no contact has this address");
	return rc;
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
	struct sk_cli cli = {0};
	const char *keyfile = getenv("SAMTYCKE_KEY_FILE");
	const char *erasure_log = getenv("SAMTYCKE_ERASURE_LOG");
	const char *config = NULL;
	static struct sk_serve_src file; /* static: what it holds stays reachable to the end */
	int c;

	cli.db = getenv("SAMTYCKE_DB");
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			json_errors = 1;
	while ((c = getopt_long(argc, argv, "+d:k:jh", global_opts, NULL)) != -1) {
		switch (c) {
		case 'd': cli.db = cli.db_flag = optarg; break;
		case 'k': keyfile = cli.keyfile_flag = optarg; break;
		case 'E': erasure_log = cli.erasure_log_flag = optarg; break;
		case 'C': config = optarg; break;
		case 'j': cli.json = 1; break;
		case 'h': global_usage(stdout); return SK_EXIT_OK;
		case 'V': return sk_cli_version(json_errors);
		default:
			if (json_errors)
				return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE, "unknown or incomplete "
						    "option '%s'; 'samtycke help' lists them",
						    argv[optind - 1]);
			global_usage(stderr);
			return SK_EXIT_USAGE;
		}
	}
	/* The configuration file, as serve reads it (one parser: serve_options.c): the whole
	 * file checked, its db, key-file and erasure-log after the flags and the environment. */
	if (!(optind < argc && strcmp(argv[optind], "help") == 0)) {
		if (!config || !*config)
			config = getenv("SAMTYCKE_CONFIG");
		if ((!config || !*config) && access(SK_CONFIG_DEFAULT, F_OK) == 0)
			config = SK_CONFIG_DEFAULT;
		if (config && *config) {
			struct sk_errctx e = {0};
			if (sk_serve_src_file(config, &file, &e))
				return sk_cli_error(SK_EXIT_USAGE, e.code, "%s", e.msg);
			cli.config = config;
			if (!cli.db || !*cli.db)
				cli.db = file.v[SK_SO_DB];
			if (!keyfile || !*keyfile)
				keyfile = file.v[SK_SO_KEY_FILE];
			if (!erasure_log || !*erasure_log)
				erasure_log = file.v[SK_SO_ERASURE_LOG];
		}
	}
	if (!cli.db || !*cli.db)
		cli.db = "samtycke.db";
	int need_keyfile = 0;
	if (keyfile && *keyfile)
		cli.keyfile = keyfile;
	else
		need_keyfile = sk_cli_keyfile_default(&cli) != 0;
	sk_cli_erasure_log(&cli, erasure_log);
	if (optind >= argc) {
		if (json_errors)
			return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE, "no command given; "
					    "'samtycke help' lists them");
		global_usage(stderr);
		return SK_EXIT_USAGE;
	}
	if (strcmp(argv[optind], "help") == 0)
		return help(argc - optind - 1, argv + optind + 1);
	if (need_keyfile)
		return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE,
				    "a PostgreSQL store needs its key file named: give --key-file PATH "
				    "(or set SAMTYCKE_KEY_FILE)");

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
	if (!cmd && is_group(argv[optind])) {
		const char *next = optind + 1 < argc ? argv[optind + 1] : NULL;
		if (next && (strcmp(next, "--help") == 0 || strcmp(next, "-h") == 0)) {
			group_usage(stdout, argv[optind]);
			return SK_EXIT_OK;
		}
		return group_error(argv[optind], next && strcmp(next, "--json") ? next : NULL);
	}
	if (!cmd) {
		if (json_errors)
			return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE, "unknown command '%s'; "
					    "'samtycke help' lists them", argv[optind]);
		fprintf(stderr, "samtycke: unknown command '%s'\n", argv[optind]);
		global_usage(stderr);
		return SK_EXIT_USAGE;
	}
	optind = 0; /* full reinitialisation of getopt for the command's own options */
	int rc = cmd->run(cmd, &cli, argc - first, argv + first);
	sk_cli_close(&cli);
	sk_serve_src_reset(&file);
	return rc;
}
