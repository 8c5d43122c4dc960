/* cmd_import.c: samtycke import (a CSV file with a mapping, docs/import-export.md) and
 * samtycke export-contacts (every contact with the gate's answer for one purpose). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "io/io.h"
#include "util/mem.h"

#define MAP_MAX (1024 * 1024)

/* The reject report: line,reason,column; with --rejects-with-data the row's cells follow. */
struct rejects {
	FILE *f;
	int with_data;
	int header_done;
};

static int reject_line(void *arg, int64_t line, const char *reason, const char *column,
		       const char *const *cells, size_t ncells)
{
	struct rejects *r = arg;
	if (fprintf(r->f, "%lld,%s,", (long long)line, reason) < 0 || sk_csv_cell(r->f, column))
		return SK_ERR_IO;
	for (size_t i = 0; r->with_data && i < ncells; i++)
		if (fputc(',', r->f) == EOF || sk_csv_cell(r->f, cells[i]))
			return SK_ERR_IO;
	return fputs("\r\n", r->f) == EOF ? SK_ERR_IO : 0;
}

/* With data, the header names the file's own columns after the three of the report, so
 * that the fixed file can be imported again with the same mapping. */
static int reject_header(void *arg, const char *const *cols, size_t ncols)
{
	struct rejects *r = arg;
	if (r->header_done)
		return 0;
	r->header_done = 1;
	if (fputs(r->with_data ? "reject_line,reject_reason,reject_column" : "line,reason,column",
		  r->f) == EOF)
		return SK_ERR_IO;
	for (size_t i = 0; r->with_data && i < ncols; i++)
		if (fputc(',', r->f) == EOF || sk_csv_cell(r->f, cols[i]))
			return SK_ERR_IO;
	return fputs("\r\n", r->f) == EOF ? SK_ERR_IO : 0;
}

/* Removes PATH.tmpPID files left by an import that was killed before its rename (kill -9,
 * a crash, a power cut): those of a PID that no longer runs. */
static void clean_stale(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char dir[4096];
	size_t bl = strlen(base);
	DIR *d;
	struct dirent *e;

	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path + 1), path);
	else
		sk_strlcpy(dir, ".", sizeof(dir));
	if (!bl || !(d = opendir(dir)))
		return;
	while ((e = readdir(d)) != NULL) {
		const char *p = e->d_name + bl + 4;
		char *end;
		if (strncmp(e->d_name, base, bl) || strncmp(e->d_name + bl, ".tmp", 4) ||
		    !isdigit((unsigned char)*p))
			continue;
		errno = 0;
		long pid = strtol(p, &end, 10);
		if (*end || errno || pid <= 0 || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue; /* still running (or not ours to ask) */
		(void)unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

static int read_file(const char *path, char **out, size_t *len, struct sk_errctx *err)
{
	FILE *f = fopen(path, "rb");
	char *b;
	size_t n;
	if (!f)
		return sk_errf(err, SK_ERR_IO, "cannot open the mapping file %.200s", path);
	if (!(b = sk_malloc(MAP_MAX + 1))) {
		fclose(f);
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	}
	n = fread(b, 1, MAP_MAX + 1, f);
	fclose(f);
	if (n > MAP_MAX) {
		sk_free(b);
		return sk_errf(err, SK_ERR_TOO_LARGE, "the mapping file is over 1 MiB");
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return 0;
}

static int run_import(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"map", required_argument, NULL, 'm'},
		{"rejects", required_argument, NULL, 'r'},
		{"dry-run", no_argument, NULL, 'n'},
		{"rejects-with-data", no_argument, NULL, 'D'},
		{"progress", required_argument, NULL, 'P'},
		{0},
	};
	const char *map = NULL, *rejects = NULL;
	char tmp[4200] = "";
	struct sk_csv_import_opts o = {0};
	struct sk_csv_import_report r;
	FILE *in = NULL, *rf = NULL;
	struct rejects rj = {0};
	char *maptext = NULL;
	int c, done = 0, rc, exitc = SK_EXIT_OK, fd, progress = -1;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		switch (c) {
		case 'm': map = optarg; break;
		case 'r': rejects = optarg; break;
		case 'n': o.dry_run = 1; break;
		case 'D': rj.with_data = 1; break;
		case 'P':
			if (strcmp(optarg, "json") == 0)
				progress = SK_PROGRESS_JSON;
			else if (strcmp(optarg, "none") == 0)
				progress = SK_PROGRESS_NONE;
			else if (strcmp(optarg, "auto") != 0)
				return sk_cli_fail(cli, sk_errf(&cli->err, SK_ERR_USAGE,
								"--progress: '%.20s' is not json, "
								"none or auto", optarg));
			break;
		default: return sk_cli_usage(cmd);
		}
	}
	if (done)
		return SK_EXIT_OK;
	if (argc - optind != 1 || !map || (rj.with_data && !rejects))
		return sk_cli_usage(cmd);
	if ((rc = read_file(map, &maptext, &o.map_len, &cli->err)))
		return sk_cli_fail(cli, rc);
	o.map_text = maptext;
	if (!(in = fopen(argv[optind], "rb"))) {
		sk_free(maptext);
		return sk_cli_fail(cli, sk_errf(&cli->err, SK_ERR_IO, "cannot open %.200s",
						argv[optind]));
	}
	if (rejects) {
		/* written to a temporary name (mode 0600: with data it holds personal data) and
		 * renamed when the import is through; what a killed run left is removed first */
		clean_stale(rejects);
		snprintf(tmp, sizeof(tmp), "%.4000s.tmp%ld", rejects, (long)getpid());
		(void)unlink(tmp); /* a leftover of an earlier process with our PID */
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || !(rf = fdopen(fd, "w"))) {
			if (fd >= 0)
				close(fd); /* the file is removed at out */
			else
				tmp[0] = '\0';
			rc = sk_errf(&cli->err, SK_ERR_IO, "cannot write %.200s", rejects);
			goto out;
		}
		rj.f = rf;
		if (!rj.with_data)
			reject_header(&rj, NULL, 0);
		o.reject = reject_line;
		o.header = reject_header;
		o.reject_arg = &rj;
	}
	o.bulk = 1; /* this process does nothing else meanwhile */
	/* auto: the line on a terminal only, and never under --json */
	o.progress = progress >= 0 ? progress
		     : isatty(2) && !cli->json ? SK_PROGRESS_TTY : SK_PROGRESS_NONE;
	if ((rc = sk_cli_open(cli)) || (rc = sk_csv_import(cli->core, in, &o, &r, &cli->err)))
		goto out;
	if (rf) {
		if (!rj.header_done) /* nothing was read (already imported) */
			reject_header(&rj, NULL, 0);
		int bad = fclose(rf) != 0;
		rf = NULL;
		if (bad || rename(tmp, rejects)) {
			rc = sk_errf(&cli->err, SK_ERR_IO, "cannot write %.200s", rejects);
			goto out;
		}
		tmp[0] = '\0';
	}
	if (cli->json) {
		sk_cli_print_json(sk_json_import_report(&r, o.dry_run));
	} else if (r.already_complete) {
		printf("already imported: this file with this mapping was imported completely "
		       "before; nothing to do\n");
	} else {
		const struct sk_import_counts *n = &r.counts;
		if (r.resumed_after)
			printf("resumed after row %ld (committed by an earlier run)\n",
			       r.resumed_after);
		printf("rows:             %ld\ncontacts created: %ld\ncontacts updated: %ld\n"
		       "consents given:   %ld\nunverified:       %ld\nrefused:          %ld\n"
		       "unchanged:        %ld\nrejected:         %ld\nfields dropped:   %ld\n",
		       n->rows, n->created, n->updated, n->given, n->unverified, n->refused,
		       n->unchanged, n->rejected, n->fields_dropped);
		if (o.dry_run)
			printf("dry run: nothing was written\n");
	}
out:
	if (rc)
		exitc = sk_cli_fail(cli, rc);
	if (rf)
		fclose(rf);
	if (tmp[0])
		unlink(tmp);
	fclose(in);
	sk_free(maptext);
	return exitc;
}

static int run_export_contacts(const struct sk_cmd *cmd, struct sk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"purpose", required_argument, NULL, 'p'},
		{"format", required_argument, NULL, 'f'},
		{"allowed-only", no_argument, NULL, 'a'},
		{"for-spreadsheet", no_argument, NULL, 's'},
		{0},
	};
	const char *purpose = NULL;
	enum sk_export_format fmt = SK_EXPORT_CSV;
	int c, done = 0, rc, allowed_only = 0, sheet = 0;
	long n;

	while ((c = sk_cli_getopt(cli, cmd, argc, argv, "", opts, &done)) != -1) {
		switch (c) {
		case 'p': purpose = optarg; break;
		case 'a': allowed_only = 1; break;
		case 's': sheet = 1; break;
		case 'f':
			if (strcmp(optarg, "csv") == 0)
				fmt = SK_EXPORT_CSV;
			else if (strcmp(optarg, "ndjson") == 0)
				fmt = SK_EXPORT_NDJSON;
			else
				return sk_cli_usage(cmd);
			break;
		default: return sk_cli_usage(cmd);
		}
	}
	if (done)
		return SK_EXIT_OK;
	if (argc != optind || !purpose || (sheet && fmt != SK_EXPORT_CSV))
		return sk_cli_usage(cmd);
	if (sheet) /* escaped cells and a BOM, for a spreadsheet; the default is exact */
		fmt = SK_EXPORT_CSV_SPREADSHEET;
	if ((rc = sk_cli_open(cli)) ||
	    (rc = sk_export_contacts(cli->core, purpose, fmt, allowed_only, stdout, &n, &cli->err)))
		return sk_cli_fail(cli, rc);
	return SK_EXIT_OK;
}

const struct sk_cmd sk_cmd_entry_import = {
	.name = "import",
	.summary = "import contacts and consents from a CSV file",
	.usage = "FILE --map MAPPING [--rejects FILE [--rejects-with-data]] [--dry-run] "
		 "[--progress auto|json|none]",
	.help = "Import contacts and consents from a CSV file (RFC 4180, ',' or ';', UTF-8 with "
		"or without BOM, or the encoding the mapping names). MAPPING (JSON) names the "
		"address column, the declared fields and, per purpose, the consent, date and "
		"source columns (docs/import-export.md). The file is checked whole first: a wrong "
		"encoding or a quote never closed stops it naming the line, and nothing is "
		"stored. A 'yes' with date and source is a give by method import; without them it "
		"is stored as unverified; 'no' is a refusal. A row stores only the fields its "
		"consents need. Rejected rows go to --rejects as CSV (line,reason,column; no "
		"values); --rejects-with-data adds each row's cells to fix and re-import "
		"(personal data: delete the file after use). Runs in transactions of 5,000 rows; "
		"re-running the same file and mapping resumes after the last committed row. "
		"--dry-run counts without writing. Progress goes to stderr: a line with rows, "
		"rate and time left when stderr is a terminal (auto, the default); --progress "
		"json writes one JSON object per line after each committed batch and at the end; "
		"none writes nothing.",
	.run = run_import,
};

const struct sk_cmd sk_cmd_entry_export_contacts = {
	.name = "export-contacts",
	.summary = "every contact with the gate's answer for a purpose",
	.usage = "--purpose P [--format csv|ndjson] [--allowed-only] [--for-spreadsheet]",
	.help = "Every contact with the gate's answer for purpose P (allowed and reason) and its "
		"fields, streamed to stdout as CSV (RFC 4180, every value exactly as stored) or "
		"NDJSON. --allowed-only: only the contacts the gate allows. --for-spreadsheet "
		"(CSV only): a UTF-8 BOM, and cells starting with = + - @ tab or CR get a leading "
		"' so that a spreadsheet never runs them (not for machines: values change). The "
		"export carries every opt-out.",
	.run = run_export_contacts,
};
