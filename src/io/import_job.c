/* import_job.c: the console's imports as jobs in a spool directory (docs/console.md,
 * "Importing"): the staged upload, its mapping, the job's state (read by the progress page)
 * and its rejects file, one folder per job; the saved mappings; and running a job through
 * sk_csv_import, the same import as the command line's. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/io.h"
#include "util/mem.h"
#include "util/str.h"
#include "util/sktime.h"


int sk_import_job_id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n < 4 || n > SK_ID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
		      (id[i] >= '0' && id[i] <= '9') || id[i] == '_'))
			return 0;
	return 1;
}

int sk_import_mapping_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n < 1 || n > SK_MAPPING_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '_' || name[i] == '-'))
			return 0;
	return 1;
}

static int path_of(char *out, size_t outlen, const char *dir, const char *id, const char *file)
{
	int n = id ? snprintf(out, outlen, "%s/%s/%s", dir, id, file)
		   : snprintf(out, outlen, "%s/%s", dir, file);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

/* Writes len bytes to path through a temporary name and a rename, mode 0600. */
static int write_file(const char *path, const void *p, size_t len, struct sk_errctx *err)
{
	char tmp[PATH_MAX_SK];
	int fd;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return sk_errf(err, SK_ERR_IO, "the import folder's path is too long");
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return sk_errf(err, SK_ERR_IO, "cannot write in the import folder (errno %d)",
			       errno);
	const char *s = p;
	while (len) {
		ssize_t w = write(fd, s, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(tmp);
			return sk_errf(err, SK_ERR_IO, "cannot write in the import folder");
		}
		s += w;
		len -= (size_t)w;
	}
	if (close(fd) || rename(tmp, path)) {
		unlink(tmp);
		return sk_errf(err, SK_ERR_IO, "cannot write in the import folder");
	}
	return 0;
}

/* Reads a whole file of at most max bytes; *out is NUL-terminated (sk_free it). */
static int read_file(const char *path, size_t max, char **out, size_t *outlen,
		     struct sk_errctx *err)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	*out = NULL;
	if (!f)
		return sk_errf(err, errno == ENOENT ? SK_ERR_NOT_FOUND : SK_ERR_IO,
			       errno == ENOENT ? "not found" : "cannot read the import folder");
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		fclose(f);
		return sk_errf(err, SK_ERR_IO, "cannot read the import folder");
	}
	char *b = sk_malloc((size_t)st.st_size + 1);
	size_t n = b ? fread(b, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	if (!b)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	b[n] = '\0';
	*out = b;
	if (outlen)
		*outlen = n;
	return 0;
}

static int mkdir_p(const char *dir, struct sk_errctx *err)
{
	if (mkdir(dir, 0700) && errno != EEXIST)
		return sk_errf(err, SK_ERR_IO, "cannot create the import folder (errno %d)", errno);
	return 0;
}

/* ---- the job's state (job.json) ---- */

int sk_import_job_save(const char *dir, const struct sk_import_job *j, struct sk_errctx *err)
{
	char path[PATH_MAX_SK];
	const struct sk_import_counts *n = &j->counts;
	json_t *o = json_pack(
		"{s:s,s:s,s:s,s:b,s:s,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:I,s:b,s:I,s:s,s:s,"
		"s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}",
		"id", j->id, "staff", j->staff, "role", sk_role_name(j->role), "dry_run",
		j->dry_run, "state", sk_job_state_name(j->state), "created", (json_int_t)j->created,
		"rows", (json_int_t)j->rows, "committed", (json_int_t)j->committed, "bytes",
		(json_int_t)j->bytes, "total_bytes", (json_int_t)j->total_bytes, "elapsed_s",
		j->elapsed_s, "rows_per_s", j->rows_per_s, "eta_s", j->eta_s, "resumed_after",
		(json_int_t)j->resumed_after, "already_complete", j->already_complete, "runs",
		(json_int_t)j->runs, "error", j->error, "file_sha256", j->file_sha256, "counts", "rows",
		(json_int_t)n->rows, "created", (json_int_t)n->created, "updated",
		(json_int_t)n->updated, "given", (json_int_t)n->given, "unverified",
		(json_int_t)n->unverified, "refused", (json_int_t)n->refused, "unchanged",
		(json_int_t)n->unchanged, "rejected", (json_int_t)n->rejected, "fields_dropped",
		(json_int_t)n->fields_dropped);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	int rc = path_of(path, sizeof(path), dir, j->id, "job.json")
			 ? sk_errf(err, SK_ERR_IO, "the import folder's path is too long")
			 : write_file(path, text, strlen(text), err);
	free(text);
	return rc;
}

static long geti(json_t *o, const char *k)
{
	return (long)json_integer_value(json_object_get(o, k));
}

static void gets_(json_t *o, const char *k, char *out, size_t outlen)
{
	const char *s = json_string_value(json_object_get(o, k));
	sk_strlcpy(out, s ? s : "", outlen);
}

int sk_import_job_load(const char *dir, const char *id, struct sk_import_job *out,
		       struct sk_errctx *err)
{
	char path[PATH_MAX_SK], *text = NULL, st[16], role[16];
	int rc;
	memset(out, 0, sizeof(*out));
	if (!sk_import_job_id_ok(id) || path_of(path, sizeof(path), dir, id, "job.json"))
		return sk_errf(err, SK_ERR_NOT_FOUND, "no such import");
	if ((rc = read_file(path, 65536, &text, NULL, err)))
		return rc == SK_ERR_NOT_FOUND ? sk_errf(err, rc, "no such import") : rc;
	json_t *o = json_loads(text, 0, NULL), *n;
	sk_free(text);
	if (!json_is_object(o)) {
		json_decref(o);
		return sk_errf(err, SK_ERR_IO, "an import's state file is damaged");
	}
	gets_(o, "id", out->id, sizeof(out->id));
	gets_(o, "staff", out->staff, sizeof(out->staff));
	gets_(o, "role", role, sizeof(role));
	out->role = sk_role_parse(role) < 0 ? SK_ROLE_VIEWER : (enum sk_role)sk_role_parse(role);
	out->dry_run = json_is_true(json_object_get(o, "dry_run"));
	gets_(o, "state", st, sizeof(st));
	out->state = SK_JOB_FAILED;
	for (int i = SK_JOB_QUEUED; i <= SK_JOB_FAILED; i++)
		if (strcmp(st, sk_job_state_name((enum sk_job_state)i)) == 0)
			out->state = (enum sk_job_state)i;
	out->created = (int64_t)json_integer_value(json_object_get(o, "created"));
	out->rows = geti(o, "rows");
	out->committed = geti(o, "committed");
	out->bytes = (long long)json_integer_value(json_object_get(o, "bytes"));
	out->total_bytes = (long long)json_integer_value(json_object_get(o, "total_bytes"));
	out->elapsed_s = json_number_value(json_object_get(o, "elapsed_s"));
	out->rows_per_s = json_number_value(json_object_get(o, "rows_per_s"));
	out->eta_s = json_number_value(json_object_get(o, "eta_s"));
	out->resumed_after = geti(o, "resumed_after");
	out->already_complete = json_is_true(json_object_get(o, "already_complete"));
	out->runs = (int)geti(o, "runs");
	gets_(o, "error", out->error, sizeof(out->error));
	gets_(o, "file_sha256", out->file_sha256, sizeof(out->file_sha256));
	n = json_object_get(o, "counts");
	out->counts = (struct sk_import_counts){
		.rows = geti(n, "rows"), .created = geti(n, "created"),
		.updated = geti(n, "updated"), .given = geti(n, "given"),
		.unverified = geti(n, "unverified"), .refused = geti(n, "refused"),
		.unchanged = geti(n, "unchanged"), .rejected = geti(n, "rejected"),
		.fields_dropped = geti(n, "fields_dropped"),
	};
	json_decref(o);
	if (strcmp(out->id, id) != 0)
		return sk_errf(err, SK_ERR_IO, "an import's state file is damaged");
	return 0;
}

int sk_import_job_create(const char *dir, const char *csv, size_t csvlen, const char *map,
			 size_t maplen, int dry_run, const struct sk_staff *who,
			 struct sk_import_job *out, struct sk_errctx *err)
{
	char path[PATH_MAX_SK];
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = mkdir_p(dir, err)))
		return rc;
	if (sk_id_new("im", out->id))
		return sk_errf(err, SK_ERR_IO, "no randomness from the operating system");
	if (path_of(path, sizeof(path), dir, out->id, ""))
		return sk_errf(err, SK_ERR_IO, "the import folder's path is too long");
	if ((rc = mkdir_p(path, err)))
		return rc;
	sk_strlcpy(out->staff, who->name, sizeof(out->staff));
	out->role = who->role;
	out->dry_run = dry_run;
	out->state = SK_JOB_QUEUED;
	out->created = sk_time_now();
	out->total_bytes = (long long)csvlen;
	if (path_of(path, sizeof(path), dir, out->id, "upload.csv") ||
	    (rc = write_file(path, csv, csvlen, err)) ||
	    path_of(path, sizeof(path), dir, out->id, "mapping.json") ||
	    (rc = write_file(path, map, maplen, err)) || (rc = sk_import_job_save(dir, out, err))) {
		sk_import_job_remove_upload(dir, out->id);
		return rc ? rc : sk_errf(err, SK_ERR_IO, "the import folder's path is too long");
	}
	return 0;
}

void sk_import_job_remove_upload(const char *dir, const char *id)
{
	char path[PATH_MAX_SK];
	if (!path_of(path, sizeof(path), dir, id, "upload.csv"))
		unlink(path);
}

int sk_import_job_has_upload(const char *dir, const char *id)
{
	char path[PATH_MAX_SK];
	return !path_of(path, sizeof(path), dir, id, "upload.csv") && access(path, R_OK) == 0;
}

int sk_import_job_rejects_path(const char *dir, const char *id, char *out, size_t outlen)
{
	return sk_import_job_id_ok(id) ? path_of(out, outlen, dir, id, "rejects.csv") : -1;
}

int sk_import_job_rejects(const char *dir, const char *id, size_t max,
			  struct sk_import_reject *out, size_t *n, struct sk_errctx *err)
{
	char path[PATH_MAX_SK], line[512];
	*n = 0;
	if (sk_import_job_rejects_path(dir, id, path, sizeof(path)))
		return sk_errf(err, SK_ERR_NOT_FOUND, "no such import");
	FILE *f = fopen(path, "r");
	if (!f)
		return 0; /* none yet */
	int first = 1;
	while (*n < max && fgets(line, sizeof(line), f)) {
		if (first) { /* the header */
			first = 0;
			continue;
		}
		struct sk_import_reject *r = &out[*n];
		char *c1 = strchr(line, ','), *c2 = c1 ? strrchr(line, ',') : NULL;
		if (!c1 || c2 == c1)
			continue;
		*c1 = *c2 = '\0';
		char *end;
		r->line = strtoll(line, &end, 10);
		/* the column as written by sk_csv_cell_sheet: unquoted here for the page */
		const char *col = c1 + 1;
		size_t cl = strlen(col);
		if (cl >= 2 && col[0] == '"' && col[cl - 1] == '"') {
			size_t k = 0;
			for (size_t i = 1; i + 1 < cl && k + 1 < sizeof(r->column); i++) {
				r->column[k++] = col[i];
				if (col[i] == '"' && col[i + 1] == '"')
					i++;
			}
			r->column[k] = '\0';
		} else {
			sk_strlcpy(r->column, col, sizeof(r->column));
		}
		sk_strlcpy(r->reason, c2 + 1, sizeof(r->reason));
		r->reason[strcspn(r->reason, "\r\n")] = '\0';
		(*n)++;
	}
	fclose(f);
	return 0;
}

/* ---- saved mappings (DIR/mappings/NAME.json) ---- */

int sk_import_mapping_save(const char *dir, const char *name, const char *text, size_t len,
			   struct sk_errctx *err)
{
	char path[PATH_MAX_SK], file[SK_MAPPING_NAME_MAX + 8];
	int rc;
	if (!sk_import_mapping_name_ok(name))
		return sk_errf(err, SK_ERR_INVALID, "a mapping's name is 1 to %d of a-z, 0-9, - "
			       "and _", SK_MAPPING_NAME_MAX);
	snprintf(file, sizeof(file), "%s.json", name);
	if ((rc = mkdir_p(dir, err)) || path_of(path, sizeof(path), dir, NULL, "mappings") ||
	    (rc = mkdir_p(path, err)) || path_of(path, sizeof(path), dir, "mappings", file))
		return rc ? rc : sk_errf(err, SK_ERR_IO, "the import folder's path is too long");
	return write_file(path, text, len, err);
}

int sk_import_mapping_load(const char *dir, const char *name, char **out, size_t *len,
			   struct sk_errctx *err)
{
	char path[PATH_MAX_SK], file[SK_MAPPING_NAME_MAX + 8];
	*out = NULL;
	if (!sk_import_mapping_name_ok(name))
		return sk_errf(err, SK_ERR_NOT_FOUND, "no saved mapping of that name");
	snprintf(file, sizeof(file), "%s.json", name);
	if (path_of(path, sizeof(path), dir, "mappings", file))
		return sk_errf(err, SK_ERR_NOT_FOUND, "no saved mapping of that name");
	int rc = read_file(path, SK_MAPPING_MAX, out, len, err);
	return rc == SK_ERR_NOT_FOUND ? sk_errf(err, rc, "no saved mapping of that name") : rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int sk_import_mapping_list(const char *dir, char (*names)[SK_MAPPING_NAME_MAX + 1], size_t max,
			   size_t *n)
{
	char path[PATH_MAX_SK];
	char *tmp[SK_MAPPINGS_MAX];
	*n = 0;
	if (path_of(path, sizeof(path), dir, NULL, "mappings"))
		return 0;
	DIR *d = opendir(path);
	if (!d)
		return 0;
	struct dirent *e;
	size_t k = 0;
	while ((e = readdir(d)) && k < max && k < SK_MAPPINGS_MAX) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		e->d_name[l - 5] = '\0';
		if (!sk_import_mapping_name_ok(e->d_name))
			continue;
		sk_strlcpy(names[k], e->d_name, SK_MAPPING_NAME_MAX + 1);
		tmp[k] = names[k];
		k++;
	}
	closedir(d);
	/* sorted by name: readdir's order is the file system's */
	qsort(tmp, k, sizeof(*tmp), cmp_names);
	char sorted[SK_MAPPINGS_MAX][SK_MAPPING_NAME_MAX + 1];
	for (size_t i = 0; i < k; i++)
		sk_strlcpy(sorted[i], tmp[i], sizeof(sorted[i]));
	for (size_t i = 0; i < k; i++)
		sk_strlcpy(names[i], sorted[i], SK_MAPPING_NAME_MAX + 1);
	*n = k;
	return 0;
}

/* ---- running a job ---- */

struct run {
	const char *dir;
	struct sk_import_job *j;
	FILE *rej;
	sk_progress_cb hook;
	void *hook_arg;
};

/* The rejects file: line, column, reason; never a value. The column is the file's own
 * header name, written as a spreadsheet reads it safely (sk_csv_cell_sheet). */
static int on_reject(void *arg, int64_t line, const char *reason, const char *column,
		     const char *const *cells, size_t ncells)
{
	struct run *r = arg;
	(void)cells;
	(void)ncells;
	if (fprintf(r->rej, "%lld,", (long long)line) < 0 || sk_csv_cell_sheet(r->rej, column) ||
	    fprintf(r->rej, ",%s\r\n", reason) < 0)
		return SK_ERR_IO;
	return 0;
}

static int on_progress(void *arg, const struct sk_import_progress *p)
{
	struct run *r = arg;
	struct sk_errctx e = {0};
	struct sk_import_job *j = r->j;
	j->rows = p->rows;
	j->committed = p->committed;
	j->bytes = p->bytes;
	j->total_bytes = p->total_bytes;
	j->elapsed_s = p->elapsed_s;
	j->rows_per_s = p->rows_per_s;
	j->eta_s = p->eta_s;
	j->counts = *p->counts;
	if (!p->done) /* the last state is saved once the import is through */
		(void)sk_import_job_save(r->dir, j, &e);
	return r->hook ? r->hook(r->hook_arg, p) : 0;
}

/* Removes the temporary rejects files that runs killed before their rename left behind
 * (one job runs in one server at a time, so none of them is being written). */
static void remove_stale_tmp(const char *dir, const char *id)
{
	char path[PATH_MAX_SK];
	if (path_of(path, sizeof(path), dir, id, ""))
		return;
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, "rejects.csv.tmp", 15) == 0 ||
		    strncmp(e->d_name, "job.json.tmp", 12) == 0)
			(void)unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

int sk_import_job_run(struct sk_core *c, const char *dir, struct sk_import_job *j,
		      sk_progress_cb hook, void *hook_arg, struct sk_errctx *err)
{
	char path[PATH_MAX_SK], rpath[PATH_MAX_SK], tmp[PATH_MAX_SK], *map = NULL;
	size_t maplen = 0;
	struct sk_csv_import_report rep;
	struct run r = {.dir = dir, .j = j, .hook = hook, .hook_arg = hook_arg};
	FILE *in = NULL;
	int rc, fd;

	if (path_of(path, sizeof(path), dir, j->id, "mapping.json") ||
	    path_of(rpath, sizeof(rpath), dir, j->id, "rejects.csv") ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp%ld", rpath, (long)getpid()) >= (int)sizeof(tmp))
		return sk_errf(err, SK_ERR_IO, "the import folder's path is too long");
	if ((rc = read_file(path, SK_MAPPING_MAX, &map, &maplen, err)))
		return rc;
	if (path_of(path, sizeof(path), dir, j->id, "upload.csv") || !(in = fopen(path, "rb"))) {
		sk_free(map);
		return sk_errf(err, SK_ERR_NOT_FOUND, "the import's file is no longer kept");
	}
	remove_stale_tmp(dir, j->id);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	    !(r.rej = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		rc = sk_errf(err, SK_ERR_IO, "cannot write in the import folder");
		goto out;
	}
	fputs("line,column,reason\r\n", r.rej);
	j->state = SK_JOB_RUNNING;
	j->runs++;
	j->error[0] = '\0';
	if ((rc = sk_import_job_save(dir, j, err)))
		goto out;
	struct sk_csv_import_opts o = {
		.map_text = map, .map_len = maplen, .dry_run = j->dry_run,
		.progress = SK_PROGRESS_NONE, .reject = on_reject, .reject_arg = &r,
		.on_progress = on_progress, .progress_arg = &r,
	};
	rc = sk_csv_import(c, in, &o, &rep, err);
	/* the rejects file failing after a complete import is a warning, not a failure: the
	 * rows are stored and audited */
	int rej_bad = fflush(r.rej) != 0 || ferror(r.rej);
	fclose(r.rej);
	r.rej = NULL;
	if (!rc && !rej_bad && rename(tmp, rpath))
		rej_bad = 1;
	if (rc || rej_bad)
		unlink(tmp);
	if (rc) {
		/* left running, its file kept, with why: rows committed before the failure are
		 * resumed from (the caller marks a job failed only when none were) */
		struct sk_errctx e = {0};
		sk_strlcpy(j->error, err->msg, sizeof(j->error));
		(void)sk_import_job_save(dir, j, &e);
		goto out;
	}
	if (rej_bad) {
		unlink(rpath); /* not an earlier run's rejects under this run's counts */
		sk_strlcpy(j->error, "the import is complete, but its rejects file could not be "
			   "written", sizeof(j->error));
	}
	memcpy(j->file_sha256, rep.file_sha256, sizeof(j->file_sha256));
	j->resumed_after = rep.resumed_after;
	j->already_complete = rep.already_complete;
	if (!rep.already_complete)
		j->counts = rep.counts;
	j->rows = j->counts.rows;
	j->committed = j->dry_run ? 0 : j->counts.rows;
	j->bytes = j->total_bytes;
	j->eta_s = 0;
	j->state = SK_JOB_DONE;
	if (!j->dry_run) /* the personal data goes as soon as it is imported */
		sk_import_job_remove_upload(dir, j->id);
	rc = sk_import_job_save(dir, j, err);
out:
	if (r.rej) {
		fclose(r.rej);
		unlink(tmp);
	}
	if (in)
		fclose(in);
	sk_free(map);
	return rc;
}

int sk_import_job_sweep(const char *dir, int64_t now, int64_t max_age,
			int (*active)(const char *id))
{
	char path[PATH_MAX_SK];
	int removed = 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat st;
		if (!sk_import_job_id_ok(e->d_name) ||
		    path_of(path, sizeof(path), dir, e->d_name, "upload.csv") || stat(path, &st) ||
		    (int64_t)st.st_mtime > now - max_age || (active && active(e->d_name)))
			continue;
		if (unlink(path) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}
