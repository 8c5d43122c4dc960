/* cmd_user.c: samtycke user add|list|passwd|disable|unlock, the staff users of the console
 * (docs/console.md, docs/cli.md). A password comes from a file (its first line), or is
 * generated and printed alone on stdout, once; only its Argon2id hash is kept. */
#include <string.h>

#include "cli/cli.h"
#include "util/mem.h"
#include "util/sktime.h"
#include "vault/vault.h"

#define PASSWORD_FILE_MAX 4096

/* The first line of path ("-": stdin), without its line end, into out. */
static int read_password(const char *path, char *out, size_t outlen, struct sk_errctx *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return sk_errf(err, SK_ERR_IO, "cannot open the password file %.200s", path);
	size_t n = fread(out, 1, outlen - 1, f);
	int too_long = n == outlen - 1 && fgetc(f) != EOF;
	if (f != stdin)
		fclose(f);
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	if (too_long && strlen(out) == n) {
		sk_vault_wipe(out, outlen);
		return sk_errf(err, SK_ERR_TOO_LARGE, "the password file's first line is too long");
	}
	return 0;
}

/* The password of --password-file, or a generated one (*generated set). */
static int password_of(struct sk_cli *cli, const char *file, char *out, size_t outlen,
		       int *generated)
{
	*generated = !file;
	if (file)
		return read_password(file, out, outlen, &cli->err);
	if (sk_staff_password_new(out, outlen))
		return sk_errf(&cli->err, SK_ERR_IO, "no randomness for a password");
	return 0;
}

static void print_generated(struct sk_cli *cli, const char *name, const char *pw)
{
	if (cli->json)
		sk_cli_print_json(json_pack("{s:s,s:s}", "name", name, "password", pw));
	else
		printf("%s\n", pw);
}

static int run_user_add(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"role", required_argument, NULL, 'r'},
		{"password-file", required_argument, NULL, 'p'},
		{0},
	};
	const char *role_s = NULL, *file = NULL;
	char pw[PASSWORD_FILE_MAX];
	int c, done = 0, rc, generated;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		if (c == 'r')
			role_s = optarg;
		else if (c == 'p')
			file = optarg;
		else
			return sk_cli_usage(cmd);
	}
	if (done)
		return SK_EXIT_OK;
	int role = sk_role_parse(role_s);
	if (optind + 1 != argc || role < 0)
		return sk_cli_usage(cmd);
	rc = password_of(cli, file, pw, sizeof(pw), &generated);
	if (!rc && !(rc = sk_cli_open(cli)))
		rc = sk_staff_add(cli->core, NULL, argv[optind], (enum sk_role)role, pw, &cli->err);
	if (!rc && generated)
		print_generated(cli, argv[optind], pw);
	else if (!rc && cli->json)
		sk_cli_print_json(json_pack("{s:s,s:s}", "name", argv[optind], "role", role_s));
	else if (!rc)
		printf("added %s (%s)\n", argv[optind], role_s);
	sk_vault_wipe(pw, sizeof(pw));
	return rc ? sk_cli_fail(cli, rc) : SK_EXIT_OK;
}

static int print_user(void *arg, const struct sk_staff_user *u)
{
	char t1[SK_TIME_STRLEN], t2[SK_TIME_STRLEN];
	int64_t now = sk_time_now();
	int locked = u->locked_until > now;
	if (arg) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:b,s:i,s:o}", "name", u->name, "role",
				      sk_role_name(u->role), "created", sk_cli_time(u->created_at, t1),
				      "disabled", u->disabled, "failed", u->failed, "locked_until",
				      locked ? json_string(sk_cli_time(u->locked_until, t2)) : json_null());
		return o && json_array_append_new(arg, o) == 0 ? 0 : SK_ERR_NOMEM;
	}
	printf("%-24s %-9s created %s%s%s%s\n", u->name, sk_role_name(u->role),
	       sk_cli_time(u->created_at, t1), u->disabled ? ", disabled" : "",
	       locked ? ", locked until " : "", locked ? sk_cli_time(u->locked_until, t2) : "");
	return 0;
}

static int run_user_list(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	int rc;
	if ((rc = sk_cli_plain(cli, cmd, argc, argv, 0)) >= 0)
		return rc;
	if ((rc = sk_cli_open(cli)))
		return sk_cli_fail(cli, rc);
	json_t *arr = cli->json ? json_array() : NULL;
	if ((rc = sk_staff_list(cli->core, print_user, arr, &cli->err))) {
		json_decref(arr);
		return sk_cli_fail(cli, rc);
	}
	if (arr)
		sk_cli_print_json(json_pack("{s:o}", "users", arr));
	return SK_EXIT_OK;
}

static int run_user_passwd(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"password-file", required_argument, NULL, 'p'},
		{0},
	};
	const char *file = NULL;
	char pw[PASSWORD_FILE_MAX];
	int c, done = 0, rc, generated;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		if (c == 'p')
			file = optarg;
		else
			return sk_cli_usage(cmd);
	}
	if (done)
		return SK_EXIT_OK;
	if (optind + 1 != argc)
		return sk_cli_usage(cmd);
	rc = password_of(cli, file, pw, sizeof(pw), &generated);
	if (!rc && !(rc = sk_cli_open(cli)))
		rc = sk_staff_passwd(cli->core, NULL, argv[optind], pw, &cli->err);
	if (!rc && generated)
		print_generated(cli, argv[optind], pw);
	else if (!rc && cli->json)
		sk_cli_print_json(json_pack("{s:s}", "name", argv[optind]));
	else if (!rc)
		printf("changed the password of %s\n", argv[optind]);
	sk_vault_wipe(pw, sizeof(pw));
	return rc ? sk_cli_fail(cli, rc) : SK_EXIT_OK;
}

/* disable and unlock: NAME, one core call, one line. */
static int run_user_one(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv,
			int (*fn)(struct sk_core *, const struct sk_staff *, const char *,
				  struct sk_errctx *), const char *done_what)
{
	int rc;
	if ((rc = sk_cli_plain(cli, cmd, argc, argv, 1)) >= 0)
		return rc;
	if ((rc = sk_cli_open(cli)) || (rc = fn(cli->core, NULL, argv[optind], &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json)
		sk_cli_print_json(json_pack("{s:s}", "name", argv[optind]));
	else
		printf("%s %s\n", done_what, argv[optind]);
	return SK_EXIT_OK;
}

static int run_user_disable(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	return run_user_one(cmd, cli, argc, argv, sk_staff_disable, "disabled");
}

static int run_user_unlock(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	return run_user_one(cmd, cli, argc, argv, sk_staff_unlock, "unlocked");
}

const struct sk_cmd sk_cmd_entry_user_add = {
	.name = "user add",
	.summary = "add a staff user of the console",
	.usage = "NAME --role viewer|marketer|dpo|admin [--password-file FILE]",
	.help = "Add a staff user of the console (docs/console.md) with a role. The password "
		"is the first line of FILE ('-': stdin), at least 12 characters; without "
		"--password-file a strong one is generated and printed alone on stdout, once. "
		"Only its Argon2id hash is stored. Names are unique whatever their letter "
		"case, and 'cli' is reserved (the audit trail's word for the command line): "
		"either exits 3, as does a taken name.",
	.run = run_user_add,
};

const struct sk_cmd sk_cmd_entry_user_list = {
	.name = "user list",
	.summary = "list the staff users",
	.usage = "",
	.help = "List the console's staff users: name, role, created, disabled, locked until.",
	.run = run_user_list,
};

const struct sk_cmd sk_cmd_entry_user_passwd = {
	.name = "user passwd",
	.summary = "set a staff user's password",
	.usage = "NAME [--password-file FILE]",
	.help = "Set the password of staff user NAME: the first line of FILE, or a generated "
		"one printed alone on stdout, once. Every session of the user ends at once. "
		"An unknown name exits 1.",
	.run = run_user_passwd,
};

const struct sk_cmd sk_cmd_entry_user_disable = {
	.name = "user disable",
	.summary = "disable a staff user",
	.usage = "NAME",
	.help = "Disable staff user NAME: it can no longer sign in, and its sessions end at "
		"once. An unknown name exits 1.",
	.run = run_user_disable,
};

const struct sk_cmd sk_cmd_entry_user_unlock = {
	.name = "user unlock",
	.summary = "unlock a staff user locked out",
	.usage = "NAME",
	.help = "Clear the lock of staff user NAME (5 failed sign-ins in a row lock it for 15 "
		"minutes) and its count of failures. An unknown name exits 1.",
	.run = run_user_unlock,
};
