/* cli.h: what the command files share: the command entry, the invocation context
 * (database, key file, output mode), opening the core on demand, and output helpers. */
#ifndef SK_CLI_H
#define SK_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

#include "core/core.h"
#include "render/render.h"
#include "util/err.h"

/* Exit codes, as documented in docs/cli.md. */
enum { SK_EXIT_OK = 0, SK_EXIT_NO = 1, SK_EXIT_USAGE = 2, SK_EXIT_ERROR = 3 };

struct sk_cli {
	const char *db;
	const char *keyfile;
	char keyfile_buf[4096];
	char erasure_log_buf[4200];
	const char *db_flag;      /* --db and --key-file as given on the command line (serve */
	const char *keyfile_flag; /* merges them with its configuration file); NULL: not given */
	const char *erasure_log_flag; /* --erasure-log as given (serve merges it too); NULL: not given */
	const char *config;       /* the configuration file read (global --config, else
				   * $SAMTYCKE_CONFIG, else SK_CONFIG_DEFAULT when it exists); NULL */
	int json;
	struct sk_store *store;
	struct sk_vault *vault;
	struct sk_core *core;
	struct sk_errctx err;
};

/* The configuration file read when neither --config nor $SAMTYCKE_CONFIG names one (and
 * only when it exists): every command takes db, key-file and erasure-log from it. */
#define SK_CONFIG_DEFAULT "/etc/samtycke/samtycke.conf"

/* One command: each cmd_*.c file defines a `const struct sk_cmd sk_cmd_entry_NAME` per
 * command it holds, and main.c lists them (docs/internals/cli.md). */
struct sk_cmd {
	const char *name;   /* "policy apply", "check" */
	const char *summary; /* one line, lower case, for the list of commands */
	const char *usage;  /* arguments after the name */
	const char *help;   /* one paragraph */
	/* self is this entry (for usage and help); argv[0] is the last name word. */
	int (*run)(const struct sk_cmd *self, struct sk_cli *cli, int argc, char **argv);
};

/* Sets cli->keyfile to cli->db's own key file (PATH.key beside a SQLite file); -1 for a
 * PostgreSQL store, which has none (the key file must then be named). */
int sk_cli_keyfile_default(struct sk_cli *cli);
/* Sets the process's erasure log (store/erasures.c): given when not empty, else DATABASE.erasures
 * beside a database file, else KEYFILE.erasures. */
void sk_cli_erasure_log(struct sk_cli *cli, const char *given);
/* Opens store, vault and core for a command that needs an existing database. */
int sk_cli_open(struct sk_cli *cli);
void sk_cli_close(struct sk_cli *cli);
/* Prints the error in cli->err (or code's message) to stderr, or as {"error":{..}} on
 * stderr with --json, and returns the exit code for it. */
int sk_cli_fail(struct sk_cli *cli, int code);
/* Prints an error that is not in cli->err: "samtycke: MESSAGE" on stderr, or with --json
 * {"error":{"code":CODE,"message":MESSAGE}} on stderr (CODE a name of util/err.h);
 * returns exit. */
int sk_cli_error(int exit, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prints "usage: ..." for cmd to stderr (with --json as an error object with code
 * "usage") and returns SK_EXIT_USAGE. */
int sk_cli_usage(const struct sk_cmd *cmd);
/* Prints cmd's whole help to stdout; returns SK_EXIT_OK. */
int sk_cli_help(const struct sk_cmd *cmd);
/* Prints a JSON value to stdout (compact, one line) and takes its reference. */
void sk_cli_print_json(json_t *v);
/* Formats t as RFC 3339, "unknown" for 0; a static buffer per call site is not needed: out
 * has SK_TIME_STRLEN bytes. */
const char *sk_cli_time(int64_t t, char *out);
/* The contact a command names by address or contact id (sk_contact_resolve, which a
 * command that also takes an address no contact has calls itself); SK_ERR_NOT_FOUND, in
 * cli->err, when no contact has it. */
int sk_cli_contact(struct sk_cli *cli, const char *who, char id[SK_ID_LEN + 1]);
/* Parses NAME=VALUE into f (pointing into arg, which is modified). */
int sk_cli_field_arg(char *arg, struct sk_field_value *f, struct sk_errctx *err);

/* Common options every command takes: --json, --help. Parses argv (getopt_long) with the
 * command's own options appended; returns the option character, -1 at the end, or '?' on a
 * usage error. 'h' and 'j' are handled here (help prints and sets *done). */
int sk_cli_getopt(struct sk_cli *cli, const struct sk_cmd *cmd, int argc, char **argv,
		  const char *shortopts, const struct option *longopts, int *done);

/* For a command without options of its own: takes --json and --help, and wants exactly
 * nargs arguments. Returns -1 when the command should go on, else its exit code. */
int sk_cli_plain(struct sk_cli *cli, const struct sk_cmd *cmd, int argc, char **argv, int nargs);

/* samtycke --version (src/cli/version.c): "samtycke VERSION", then "LIBRARY VERSION" per
 * linked library; with json one object {"samtycke","libraries":{LIBRARY:VERSION}}. */
int sk_cli_version(int json);

#endif
