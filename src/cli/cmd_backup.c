/* cmd_backup.c: samtycke backup FILE (a consistent copy of a live SQLite store), samtycke
 * restore FILE (the backup checked on its own, then put in place of --db, the erasure log
 * replayed, audited) and samtycke erasures replay (docs/operations.md, 4). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/store.h"
#include "util/sktime.h"
#include "util/str.h"
#include "vault/vault.h"

#define PG_DOCS "back a PostgreSQL store up with pg_dump and restore it with pg_restore, then " \
		"'samtycke erasures replay' (docs/operations.md, section 4, \"PostgreSQL\")"

/* Whether a and b are one file (b need not exist). */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* A leftover of an earlier run that was killed (PATH.restore-PID, PATH.tmp-PID: the PID not
 * ours) beside path, named on stderr; never removed here (another run may be going on). */
static void leftovers_said(const char *path, const char *suffix)
{
	char dir[4096], base[512];
	const char *slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + (slash == path) : 1,
		 slash ? path : ".");
	snprintf(base, sizeof(base), "%s%s", slash ? slash + 1 : path, suffix);
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, base, strlen(base)) == 0 &&
		    strtol(e->d_name + strlen(base), NULL, 10) != (long)getpid())
			fprintf(stderr, "samtycke: warning: %s/%s is left over from an earlier run "
				"that did not finish: remove it when no other run is going on\n", dir,
				e->d_name);
	closedir(d);
}

/* --force (and, when no_log is not NULL, --no-erasure-log), and exactly one argument; -1 to
 * go on, else the exit code. */
static int force_and_file(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv,
			  int *force, int *no_log)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
					     {"no-erasure-log", no_argument, NULL, 'n'}, {0}};
	int c, done = 0;
	*force = 0;
	if (no_log)
		*no_log = 0;
	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		if (c == 'f')
			*force = 1;
		else if (c == 'n' && no_log)
			*no_log = 1;
		else
			return sk_cli_usage(cmd);
	}
	if (done)
		return SK_EXIT_OK;
	if (argc - optind != 1 || !argv[optind][0])
		return sk_cli_usage(cmd);
	return -1;
}

/* The erasure log's entries whose MAC does not verify, said on stderr. */
static void unverified_said(long n)
{
	fprintf(stderr, "samtycke: %ld entr%s of the erasure log %s not verify (not written with "
		"this key file's keys, or changed) and %s not done\n", n, n == 1 ? "y" : "ies",
		n == 1 ? "does" : "do", n == 1 ? "was" : "were");
}

/* ---- backup ---- */

static int run_backup(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	const char *db = sk_store_uri_file(cli->db), *path;
	struct sk_backup_info b = {.known = 1};
	char tmp[4200], t[SK_TIME_STRLEN], hex[2 * SK_HASH_LEN + 1];
	struct stat st;
	int force, rc;

	if ((rc = force_and_file(cmd, cli, argc, argv, &force, NULL)) >= 0)
		return rc;
	path = argv[optind];
	if (!db)
		return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE, "samtycke backup copies a SQLite "
				    "store; " PG_DOCS);
	if (same_file(db, path))
		return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE, "%s is the database itself", path);
	if (!force && access(path, F_OK) == 0)
		return sk_cli_error(SK_EXIT_ERROR, SK_ERR_EXISTS, "%s already exists: give --force "
				    "to replace it", path);
	/* the key file must open the database: a backup nobody can read is no backup */
	if ((rc = sk_cli_open(cli)))
		return sk_cli_fail(cli, rc);
	snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
	b.taken_at_ms = sk_time_now_ms();
	rc = sk_store_backup_to(cli->store, tmp, b.taken_at_ms, &b.ledger_seq, b.ledger_head);
	if (!rc) { /* the MAC of its whole content, checked by restore */
		struct sk_store *copy = NULL;
		if (!(rc = sk_store_open(tmp, 0, &copy, &cli->err)))
			rc = sk_backup_seal(cli->vault, copy, &cli->err);
		sk_store_close(copy);
		if (!rc)
			rc = sk_store_file_journal_delete(tmp);
	}
	if (rc) {
		sk_store_file_remove(tmp);
		return sk_cli_error(SK_EXIT_ERROR, rc, "cannot write the backup %s: %s", tmp,
				    sk_err_message(rc));
	}
	if ((rc = sk_store_file_install(tmp, path, force, &cli->err))) {
		sk_store_file_remove(tmp);
		return sk_cli_fail(cli, rc);
	}
	if (stat(path, &st) != 0)
		st.st_size = 0;
	if (cli->json) {
		sk_cli_print_json(sk_json_backup(path, (int64_t)st.st_size, &b, cli->keyfile));
		return SK_EXIT_OK;
	}
	sk_hex(b.ledger_head, SK_HASH_LEN, hex);
	sk_time_format(b.taken_at_ms / 1000, t);
	printf("backup: %s\nsize: %lld bytes\n", path, (long long)st.st_size);
	if (b.ledger_seq)
		printf("ledger head: seq %lld, hash %s\n", (long long)b.ledger_seq, hex);
	else
		printf("ledger head: empty\n");
	printf("taken at: %s (%lld ms)\n", t, (long long)b.taken_at_ms);
	printf("key file: %s (not in the backup: a restore needs it; keep a copy of it apart "
	       "from the backups)\n", cli->keyfile);
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_backup = {
	.name = "backup",
	.summary = "copy the live database into a backup file",
	.usage = "FILE [--force]",
	.help = "Copy the SQLite database (--db) into FILE while servers keep writing: one "
		"consistent snapshot (SQLite's backup API, in one read transaction that does not "
		"block writers), written to a temporary name beside FILE, synced and renamed. "
		"Records in the copy when it was taken and the ledger head at that moment, and a "
		"keyed MAC of its whole content (the key file's; restore checks it). FILE "
		"existing is refused unless --force. The key file is not in the backup (it is not "
		"in the database): the command prints where it is; keep a copy of it apart. A "
		"PostgreSQL store is refused (exit 2): use pg_dump. See docs/operations.md.",
	.run = run_backup,
};

/* ---- restore ---- */

static int print_diff(void *arg, const struct sk_replay_diff *d)
{
	(void)arg;
	printf("  %s %s: stored %s, ledger says %s\n", d->contact_id, d->purpose,
	       sk_replay_status_name(d->stored), sk_replay_status_name(d->derived));
	return 0;
}

/* The backup, copied into tmp and checked there (the bytes checked are the bytes restored). */
static int check_backup(struct sk_cli *cli, const char *file, const char *tmp,
			struct sk_backup_info *info)
{
	struct sk_store *copy = NULL;
	int rc;
	if ((rc = sk_store_file_copy(file, tmp, &cli->err)))
		return rc;
	if ((rc = sk_vault_open(cli->keyfile, &cli->vault, &cli->err)))
		return rc;
	if ((rc = sk_store_open(tmp, 0, &copy, &cli->err)) == SK_ERR_NOT_INITIALISED)
		rc = sk_errf(&cli->err, rc, "%s is no samtycke database", file);
	if (!rc)
		rc = sk_backup_check(cli->vault, copy, info, &cli->err);
	sk_store_close(copy);
	sk_vault_free(cli->vault);
	cli->vault = NULL;
	return rc;
}

static int run_restore(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	const char *target = sk_store_uri_file(cli->db), *file;
	struct sk_backup_info info;
	struct sk_erasures_report er = {0};
	struct sk_store *ts = NULL;
	struct sk_audit a;
	char tmp[4200], msg[sizeof(cli->err.msg)];
	int64_t live = 0, since;
	long ndiff = 0;
	int force, no_log, rc, exists;

	if ((rc = force_and_file(cmd, cli, argc, argv, &force, &no_log)) >= 0)
		return rc;
	file = argv[optind];
	if (!target)
		return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE, "samtycke restore writes a SQLite "
				    "store; " PG_DOCS);
	if (same_file(file, target))
		return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE, "%s is the database itself", file);
	/* 0. The erasure log must be there: a restore without it would bring back everyone
	 * erased since the backup, without a word. */
	if (!no_log && access(sk_erasure_log_path(), R_OK) != 0)
		return sk_cli_error(SK_EXIT_ERROR, SK_ERR_IO, "the erasure log %s does not exist or "
				    "cannot be read (%s), the database is untouched: name the one "
				    "the servers write (--erasure-log, or erasure-log in the "
				    "configuration file), or give --no-erasure-log to restore without "
				    "it: the erasures made after the backup are then not done again",
				    sk_erasure_log_path(), strerror(errno));

	/* 1. The backup on its own; nothing of the target is touched until it passes. */
	snprintf(tmp, sizeof(tmp), "%s.restore-%ld", target, (long)getpid());
	sk_store_file_remove(tmp);
	leftovers_said(target, ".restore-");
	if ((rc = check_backup(cli, file, tmp, &info))) {
		sk_strlcpy(msg, cli->err.code == rc && cli->err.msg[0] ? cli->err.msg
								    : sk_err_message(rc), sizeof(msg));
		sk_store_file_remove(tmp);
		return sk_cli_error(SK_EXIT_ERROR, rc, "the backup is refused, the database is "
				    "untouched: %s", msg);
	}

	/* 2. The target: replaced only with --force; a live server is said. */
	exists = access(target, F_OK) == 0;
	if (exists && sk_store_open(target, 0, &ts, &cli->err) == 0 &&
	    sk_store_lease_live(ts, sk_time_now_ms(), &live) != 0)
		live = 0;
	if (exists && !ts && force) {
		/* a database that no longer opens (the reason for many a restore): kept aside,
		 * never deleted, and a new one made in its place */
		char aside[4300];
		snprintf(aside, sizeof(aside), "%s.unreadable-%ld", target, (long)getpid());
		if (rename(target, aside) != 0) {
			sk_store_file_remove(tmp);
			return sk_cli_error(SK_EXIT_ERROR, SK_ERR_IO, "%s does not open and cannot be "
					    "moved aside", target);
		}
		for (int i = 0; i < 2; i++) { /* its WAL must not be read into the new one */
			char from[4300], to[4400];
			snprintf(from, sizeof(from), "%s%s", target, i ? "-shm" : "-wal");
			snprintf(to, sizeof(to), "%s%s", aside, i ? "-shm" : "-wal");
			if (rename(from, to) != 0 && errno != ENOENT) {
				sk_store_file_remove(tmp);
				return sk_cli_error(SK_EXIT_ERROR, SK_ERR_IO, "cannot move %s aside",
						    from);
			}
		}
		fprintf(stderr, "samtycke: %s did not open (%s); moved aside to %s\n", target,
			cli->err.msg[0] ? cli->err.msg : "unreadable", aside);
		exists = 0;
	}
	if (exists && !force) {
		sk_store_close(ts);
		sk_store_file_remove(tmp);
		if (live)
			return sk_cli_error(SK_EXIT_ERROR, SK_ERR_EXISTS, "%s exists and a server "
					    "looks live on it (%lld fresh lease%s): stop it, then "
					    "restore with --force", target, (long long)live,
					    live == 1 ? "" : "s");
		return sk_cli_error(SK_EXIT_ERROR, SK_ERR_EXISTS, "%s exists: restore replaces it "
				    "only with --force", target);
	}
	if (live)
		fprintf(stderr, "samtycke: warning: a server looks live on %s (%lld fresh "
			"lease%s); it should be stopped during a restore\n", target, (long long)live,
			live == 1 ? "" : "s");
	sk_errctx_reset(&cli->err);
	if (!ts && (rc = sk_store_open(target, !exists, &ts, &cli->err))) {
		sk_store_file_remove(tmp);
		return sk_cli_fail(cli, rc);
	}
	/* 3. Every page of the checked copy into the target, as one write. */
	rc = sk_store_restore_from(ts, tmp);
	sk_store_close(ts);
	sk_store_file_remove(tmp);
	if (rc && !exists)
		sk_store_file_remove(target); /* the empty store made for it */
	if (rc)
		return sk_cli_error(SK_EXIT_ERROR, rc, "restoring into %s failed (%s): it is as it "
				    "was", target, sk_err_message(rc));
	printf("restored %s into %s\n", file, target);

	/* 4. The erasures made after the backup, done again. */
	if ((rc = sk_cli_open(cli)))
		return sk_cli_fail(cli, rc);
	since = info.known ? info.taken_at_ms - SK_ERASURES_SLACK_MS : 0;
	if (no_log)
		printf("erasure log: not replayed (--no-erasure-log): the erasures made after the "
		       "backup are not done again\n");
	else if ((rc = sk_erasures_replay(cli->core, sk_erasure_log_path(), since, &er,
					  &cli->err)))
		return sk_cli_fail(cli, rc);
	if (!no_log)
		printf("erasure log %s: %ld entr%s replayed (%ld erased, %ld suppressed, %ld "
	       "unsuppressed again)%s\n", sk_erasure_log_path(), er.entries,
	       er.entries == 1 ? "y" : "ies", er.erased, er.suppressed, er.unsuppressed,
	       er.bad_lines ? ", some lines unreadable" : "");
	if (!no_log && er.unverified)
		unverified_said(er.unverified);

	/* 5. audit verify and ledger replay --check on the restored database. */
	if ((rc = sk_audit(cli->core, 1, &a, &cli->err)))
		return sk_cli_fail(cli, rc);
	if (a.broken)
		printf("audit verify: ledger chain broken: first bad sequence number %lld\n",
		       (long long)a.first_bad_seq);
	else
		printf("audit verify: ledger whole: %lld events\n", (long long)a.events);
	if ((rc = sk_ledger_replay(cli->core, 0, print_diff, NULL, &ndiff, &cli->err)))
		return sk_cli_fail(cli, rc);
	if (ndiff)
		printf("ledger replay --check: %ld difference%s\n", ndiff, ndiff == 1 ? "" : "s");
	else
		printf("ledger replay --check: no difference\n");
	return a.broken || ndiff || (!no_log && er.unverified) ? SK_EXIT_ERROR : SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_restore = {
	.name = "restore",
	.summary = "check a backup and put it in place of the database",
	.usage = "FILE [--force] [--no-erasure-log]",
	.help = "Check the backup FILE on its own (a samtycke database with exactly the schema "
		"this samtycke makes, that the key file opens, its MAC verifying, its ledger chain whole up to the head it recorded, its state equal to its "
		"ledger): a bad backup is refused with exit 3 and the database (--db) is "
		"untouched. An existing database is replaced only with --force (and one that a "
		"server looks live on, by a fresh lease, is named so: stop the server first). Then "
		"every erasure, suppression and unsuppression of the erasure log made since the "
		"backup is done again (the log must exist and be readable, else exit 3 with nothing "
		"touched; --no-erasure-log restores without it: the erasures made after the backup "
		"are then not done again), and audit verify and ledger replay --check run on the "
		"restored database (exit 3 if either fails). SQLite only; a PostgreSQL store is "
		"refused (exit 2): use pg_restore. See docs/operations.md.",
	.run = run_restore,
};

/* ---- erasures replay ---- */

static int run_erasures_replay(const struct sk_cmd *cmd, struct sk_cli *cli, int argc,
			       char **argv)
{
	static const struct option opts[] = {{"since", required_argument, NULL, 's'}, {0}};
	struct sk_erasures_report er;
	const char *log = sk_erasure_log_path();
	int64_t since = 0;
	int c, done = 0, rc;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		if (c != 's')
			return sk_cli_usage(cmd);
		if (sk_time_parse_human(optarg, &since))
			return sk_cli_error(SK_EXIT_USAGE, SK_ERR_USAGE, "--since takes a time: "
					    SK_TIME_FORMS);
		since *= 1000;
	}
	if (done)
		return SK_EXIT_OK;
	if (argc - optind > 1)
		return sk_cli_usage(cmd);
	if (argc - optind == 1)
		log = argv[optind];
	if (access(log, R_OK) != 0)
		return sk_cli_error(SK_EXIT_ERROR, SK_ERR_IO, "cannot read the erasure log %s",
				    log);
	if ((rc = sk_cli_open(cli)) ||
	    (rc = sk_erasures_replay(cli->core, log, since, &er, &cli->err)))
		return sk_cli_fail(cli, rc);
	if (cli->json) {
		sk_cli_print_json(sk_json_erasures(log, since, &er));
		return er.unverified ? SK_EXIT_ERROR : SK_EXIT_OK;
	}
	printf("erasure log %s: %ld entr%s replayed (%ld erased, %ld suppressed, %ld "
	       "unsuppressed again)\n", log, er.entries, er.entries == 1 ? "y" : "ies",
	       er.erased, er.suppressed, er.unsuppressed);
	if (er.bad_lines)
		printf("%ld line%s of the log are no entry and were skipped\n", er.bad_lines,
		       er.bad_lines == 1 ? "" : "s");
	if (er.unverified) {
		unverified_said(er.unverified);
		return SK_EXIT_ERROR;
	}
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_erasures_replay = {
	.name = "erasures replay",
	.summary = "do the erasure log's entries again on a restored database",
	.usage = "[LOG] [--since TIME]",
	.help = "Do again, in order, every erasure, suppression and unsuppression of the erasure "
		"log (LOG, else the one of --erasure-log / $SAMTYCKE_ERASURE_LOG / DATABASE.erasures) "
		"on the database (--db): for a PostgreSQL store after pg_restore, or a database "
		"restored by other means. Idempotent: what is already erased stays erased. --since "
		"TIME replays only the entries from TIME on (the whole log is always safe to "
		"replay). See docs/operations.md.",
	.run = run_erasures_replay,
};
