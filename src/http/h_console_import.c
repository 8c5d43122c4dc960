/* h_console_import.c: the console's import pages (docs/console.md, "Importing"): the upload
 * (multipart/form-data), a job's page, its progress as JSON and its rejects file, running or
 * resuming it; and the import worker, one thread of the server that runs the jobs one after
 * another (io/import_job.c) so that no import runs on a request thread. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "http/http_int.h"
#include "http/multipart.h"
#include "io/io.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/sktime.h"
#include "util/str.h"

#define QUEUE_MAX 64     /* jobs waiting for the worker */
#define PAGE_REJECTS 20  /* rejects listed on a job's page */
#define SK_IMPORT_REJECTS_MAX (64u << 20) /* bytes of a rejects file sent */

/* ---- the worker ---- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_t worker;
static int started, stopping;
/* the jobs of this server not over yet: queue[head..head+n) wait; running is the one that
 * runs ("" when none) */
static char queue[QUEUE_MAX][SK_ID_LEN + 1];
static size_t qhead, qn;
static char running[SK_ID_LEN + 1];

static const char *dir(void)
{
	const struct sk_server_config *cfg = sk_server_cfg();
	return cfg ? cfg->import_dir : NULL;
}

/* 1 when job id is queued or running in this server. */
static int active(const char *id)
{
	int yes = 0;
	pthread_mutex_lock(&lock);
	yes = strcmp(running, id) == 0;
	for (size_t i = 0; !yes && i < qn; i++)
		yes = strcmp(queue[(qhead + i) % QUEUE_MAX], id) == 0;
	pthread_mutex_unlock(&lock);
	return yes;
}

struct hook {
	struct sk_core *c;
	const struct sk_import_job *j;
};

/* The audit detail: the counts (never a value). */
static void detail(const struct sk_import_counts *n, char *out, size_t outlen)
{
	snprintf(out, outlen, "rows=%ld created=%ld updated=%ld given=%ld unverified=%ld "
		 "refused=%ld unchanged=%ld rejected=%ld fields_dropped=%ld", n->rows, n->created,
		 n->updated, n->given, n->unverified, n->refused, n->unchanged, n->rejected,
		 n->fields_dropped);
}

/* Each progress step: stop when the server stops; at the end, the staff audit row (inside
 * a real import's last transaction; a dry run has none, so its own). */
static int on_step(void *arg, const struct sk_import_progress *p)
{
	struct hook *h = arg;
	struct sk_staff who = {.role = h->j->role};
	struct sk_errctx err = {0};
	char d[256];
	int stop;
	pthread_mutex_lock(&lock);
	stop = stopping;
	pthread_mutex_unlock(&lock);
	if (stop)
		return SK_ERR_BUSY;
	if (!p->done)
		return 0;
	sk_strlcpy(who.name, h->j->staff, sizeof(who.name));
	detail(p->counts, d, sizeof(d));
	if (h->j->dry_run) {
		int rc = sk_core_batch_begin(h->c, &err);
		rc = rc ? rc : sk_staff_audit(h->c, &who, "import.dry_run", h->j->id, d, &err);
		if (rc) {
			sk_core_batch_rollback(h->c);
			return rc;
		}
		return sk_core_batch_commit(h->c, &err);
	}
	return sk_staff_audit(h->c, &who, h->j->runs > 1 ? "import.resume" : "import.run",
			      h->j->id, d, &err);
}

static void run_one(const char *id)
{
	struct sk_errctx err = {0};
	struct sk_import_job j;
	struct sk_core *c = sk_http_thread_core(&err);
	int rc;
	(void)rc;
	if (!c || sk_import_job_load(dir(), id, &j, &err)) {
		sk_log(SK_LOG_WARN, "import %s could not start: %s", id, err.msg);
		return;
	}
	struct hook h = {c, &j};
	if (!(rc = sk_import_job_run(c, dir(), &j, on_step, &h, &err)))
		return;
	pthread_mutex_lock(&lock);
	int stop = stopping;
	pthread_mutex_unlock(&lock);
	if (stop)
		return; /* left running: the page offers to resume it */
	/* the error names a line or a column, never a value (docs/import-export.md) */
	sk_log(SK_LOG_ERROR, "import %s failed: %s", id, err.msg);
	if (!j.dry_run && j.state == SK_JOB_RUNNING && j.committed > 0) {
		/* rows were committed: the job stays to be resumed (sk_import_job_run kept its
		 * file), and what was committed is audited now */
		struct sk_staff who = {.role = j.role};
		struct sk_errctx e2 = {0};
		char d[256], dd[300];
		sk_strlcpy(who.name, j.staff, sizeof(who.name));
		detail(&j.counts, d, sizeof(d));
		snprintf(dd, sizeof(dd), "committed=%ld %s", j.committed, d);
		if (sk_core_batch_begin(c, &e2) ||
		    sk_staff_audit(c, &who, "import.failed", j.id, dd, &e2) ||
		    sk_core_batch_commit(c, &e2)) {
			sk_core_batch_rollback(c);
			sk_log(SK_LOG_ERROR, "import %s: the audit of its committed rows "
				"failed: %s", id, e2.msg);
		}
		return;
	}
	j.state = SK_JOB_FAILED;
	sk_strlcpy(j.error, err.msg, sizeof(j.error));
	sk_import_job_remove_upload(dir(), id); /* personal data: kept only to be imported */
	(void)sk_import_job_save(dir(), &j, &err);
}

static void *work(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		while (!stopping && !qn)
			pthread_cond_wait(&wake, &lock);
		if (stopping)
			break;
		sk_strlcpy(running, queue[qhead], sizeof(running));
		qhead = (qhead + 1) % QUEUE_MAX;
		qn--;
		pthread_mutex_unlock(&lock);
		run_one(running);
		pthread_mutex_lock(&lock);
		running[0] = '\0';
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* Queues job id for the worker (started at the first). SK_ERR_BUSY when the queue is
 * full or the server is stopping. */
static int enqueue(struct sk_req *r, const char *id)
{
	int rc = 0;
	pthread_mutex_lock(&lock);
	int dup = strcmp(running, id) == 0;
	for (size_t i = 0; !dup && i < qn; i++)
		dup = strcmp(queue[(qhead + i) % QUEUE_MAX], id) == 0;
	if (dup) {
		pthread_mutex_unlock(&lock);
		return sk_errf(&r->err, SK_ERR_EXISTS, "this import runs already");
	}
	if (stopping || qn == QUEUE_MAX) {
		rc = SK_ERR_BUSY;
	} else if (!started && pthread_create(&worker, NULL, work, NULL)) {
		rc = SK_ERR_BUSY;
	} else {
		started = 1;
		sk_strlcpy(queue[(qhead + qn) % QUEUE_MAX], id, sizeof(queue[0]));
		qn++;
		pthread_cond_signal(&wake);
	}
	pthread_mutex_unlock(&lock);
	return rc ? sk_errf(&r->err, rc, "too many imports are waiting; try again later") : 0;
}

void sk_con_import_stop(void)
{
	pthread_mutex_lock(&lock);
	stopping = 1;
	int join = started;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	if (join)
		pthread_join(worker, NULL);
	/* a server started again in this process (the tests) starts a worker again; the jobs
	 * that were queued stay queued on disk, and their pages offer to resume them */
	pthread_mutex_lock(&lock);
	started = stopping = 0;
	qhead = qn = 0;
	running[0] = '\0';
	pthread_mutex_unlock(&lock);
}

/* ---- the pages ---- */

/* The staged uploads older than SK_IMPORT_KEEP_DAYS go, at most once an hour. */
static void sweep(void)
{
	static pthread_mutex_t swept_lock = PTHREAD_MUTEX_INITIALIZER;
	static int64_t last;
	int64_t now = sk_time_now();
	pthread_mutex_lock(&swept_lock);
	int due = now - last >= 3600;
	if (due)
		last = now;
	pthread_mutex_unlock(&swept_lock);
	if (due && dir())
		sk_import_job_sweep(dir(), now, (int64_t)SK_IMPORT_KEEP_DAYS * 86400, active);
}

static int form_page(struct sk_req *r, int status, const char *error)
{
	struct sk_con_frame f;
	struct sk_buf b;
	char names[SK_MAPPINGS_MAX][SK_MAPPING_NAME_MAX + 1];
	const char *ptrs[SK_MAPPINGS_MAX];
	size_t n = 0;
	sweep();
	if (dir())
		sk_import_mapping_list(dir(), names, SK_MAPPINGS_MAX, &n);
	for (size_t i = 0; i < n; i++)
		ptrs[i] = names[i];
	sk_con_frame_of(r, SK_NAV_IMPORT, &f);
	int rc = sk_con_import_form(&b, &f, ptrs, n, error, !dir());
	return sk_con_reply(r, &b, status, rc);
}

int sk_h_con_import_form(struct sk_req *r)
{
	return form_page(r, 200, NULL);
}

/* 303 to job id's page, in the language the post was made in (its ?lang=). */
static void redirect_to(struct sk_req *r, const char *id)
{
	const char *lang = sk_req_arg(r, "lang");
	int known = lang && (strcmp(lang, "sv") == 0 || strcmp(lang, "en") == 0);
	snprintf(r->location, sizeof(r->location), "/console/import/%s%s%s", id,
		 known ? "?lang=" : "", known ? lang : "");
}

/* The mapping of an upload: the file part (JSON, or YAML made JSON), else the saved one
 * named; *out is sk_free'd by the caller. */
static int upload_mapping(struct sk_req *r, const struct sk_mp_part *file,
			  const struct sk_mp_part *saved, char **out, size_t *len)
{
	char name[SK_MAPPING_NAME_MAX + 1];
	*out = NULL;
	if (file && file->len) {
		size_t i = 0;
		if (file->len > SK_MAPPING_MAX)
			return sk_errf(&r->err, SK_ERR_INVALID, "the mapping is over 1 MiB");
		if (memchr(file->data, '\0', file->len))
			return sk_errf(&r->err, SK_ERR_INVALID, "the mapping holds a NUL byte");
		while (i < file->len && strchr(" \t\r\n", file->data[i]))
			i++;
		if (i < file->len && file->data[i] == '{') {
			if (!(*out = sk_strndup(file->data, file->len)))
				return sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
			*len = file->len;
			return 0;
		}
		int rc = sk_import_map_yaml(file->data, file->len, out, &r->err);
		*len = *out ? strlen(*out) : 0;
		return rc;
	}
	if (!saved || !saved->len)
		return sk_errf(&r->err, SK_ERR_INVALID, "give a mapping: a file, or a saved one");
	if (saved->len > SK_MAPPING_NAME_MAX)
		return sk_errf(&r->err, SK_ERR_NOT_FOUND, "no saved mapping of that name");
	memcpy(name, saved->data, saved->len);
	name[saved->len] = '\0';
	return sk_import_mapping_load(dir(), name, out, len, &r->err);
}

/* A text field of the form (at most cap bytes; no NUL); "" when absent. */
static int field(struct sk_req *r, const struct sk_mp_part *p, char *out, size_t cap)
{
	out[0] = '\0';
	if (!p)
		return 0;
	if (p->is_file || p->len >= cap || memchr(p->data, '\0', p->len))
		return sk_errf(&r->err, SK_ERR_INVALID, "the field '%s' is malformed", p->name);
	memcpy(out, p->data, p->len);
	out[p->len] = '\0';
	return 0;
}

/* Saves the mapping as name, audited (import.mapping_save) in the same batch: a saved
 * mapping others use may be replaced, so the audit says whether it was. */
static int save_mapping(struct sk_req *r, const char *name, const char *map, size_t maplen)
{
	char *old = NULL, detail[SK_MAPPING_NAME_MAX + 32];
	size_t oldlen = 0;
	struct sk_errctx e2 = {0};
	int had = sk_import_mapping_load(dir(), name, &old, &oldlen, &e2) == 0;
	sk_free(old);
	snprintf(detail, sizeof(detail), "name=%s %s", name, had ? "replaced" : "new");
	int rc = sk_core_batch_begin(r->core, &r->err);
	rc = rc ? rc : sk_staff_audit(r->core, &r->staff, "import.mapping_save", name, detail,
				      &r->err);
	rc = rc ? rc : sk_import_mapping_save(dir(), name, map, maplen, &r->err);
	if (rc) {
		sk_core_batch_rollback(r->core);
		return rc;
	}
	return sk_core_batch_commit(r->core, &r->err);
}

int sk_h_con_import_upload(struct sk_req *r)
{
	struct sk_mp_part parts[SK_MP_MAX_PARTS];
	size_t n = 0, maplen = 0;
	char csrf[SK_CSRF_STRLEN], mode[16], save_as[SK_MAPPING_NAME_MAX + 2], *map = NULL;
	struct sk_import_job j;
	struct sk_import_map *m = NULL;
	int rc;

	/* the CSRF token is a part of the body: checked before anything else is read */
	if (sk_mp_parse(sk_req_header(r, "Content-Type"), r->body.data, r->body.len, parts, &n,
			&r->err) ||
	    field(r, sk_mp_get(parts, n, "csrf"), csrf, sizeof(csrf)) || !sk_con_csrf_ok(r, csrf))
		return sk_errf(&r->err, SK_ERR_FORBIDDEN, "the form's CSRF token is missing or "
			       "wrong; reload the page and try again");
	if (!dir())
		return form_page(r, 503, NULL);
	const struct sk_mp_part *csv = sk_mp_get(parts, n, "csv");
	if ((rc = field(r, sk_mp_get(parts, n, "mode"), mode, sizeof(mode))) ||
	    (rc = field(r, sk_mp_get(parts, n, "save_as"), save_as, sizeof(save_as))))
		goto bad;
	if (strcmp(mode, "dry_run") != 0 && strcmp(mode, "import") != 0) {
		rc = sk_errf(&r->err, SK_ERR_INVALID, "choose a dry run or the import");
		goto bad;
	}
	if (!csv || !csv->is_file || !csv->len) {
		rc = sk_errf(&r->err, SK_ERR_INVALID, "choose a CSV file (it must not be empty)");
		goto bad;
	}
	if (save_as[0] && !sk_import_mapping_name_ok(save_as)) {
		rc = sk_errf(&r->err, SK_ERR_INVALID, "a mapping's name is 1 to %d of a-z, 0-9, - "
			     "and _", SK_MAPPING_NAME_MAX);
		goto bad;
	}
	const struct sk_mp_part *mapfile = sk_mp_get(parts, n, "map");
	if ((rc = upload_mapping(r, mapfile, sk_mp_get(parts, n, "saved"), &map, &maplen)))
		goto bad;
	/* the mapping is checked now (its keys); against the file's header and the policy
	 * when the job runs */
	if ((rc = sk_import_map_parse(map, maplen, &m, &r->err)))
		goto bad;
	if (save_as[0] && mapfile && mapfile->len && (rc = save_mapping(r, save_as, map, maplen)))
		goto out;
	if ((rc = sk_import_job_create(dir(), csv->data, csv->len, map, maplen,
				       strcmp(mode, "dry_run") == 0, &r->staff, &j, &r->err)))
		goto out;
	if ((rc = enqueue(r, j.id))) {
		/* not queued: the staged file goes at once, the job says why */
		struct sk_errctx e2 = {0};
		sk_import_job_remove_upload(dir(), j.id);
		j.state = SK_JOB_FAILED;
		sk_strlcpy(j.error, r->err.msg, sizeof(j.error));
		(void)sk_import_job_save(dir(), &j, &e2);
		goto out;
	}
	redirect_to(r, j.id);
	rc = sk_reply_text(r, 303, "");
	r->content_type = "text/plain; charset=utf-8";
	goto out;
bad:
	rc = form_page(r, 422, r->err.msg);
out:
	sk_import_map_free(m);
	sk_free(map);
	return rc;
}

/* The job of the route's {id}; a 404 page when there is none. */
static int job_of(struct sk_req *r, struct sk_import_job *j)
{
	if (!dir() || sk_import_job_load(dir(), r->param, j, &r->err)) {
		struct sk_con_frame f;
		struct sk_buf b;
		sk_con_frame_of(r, SK_NAV_IMPORT, &f);
		int rc = sk_con_message(&b, &f, sk_con_msg(f.lang, SK_CON_IMPORT_TITLE),
					sk_con_msg(f.lang, SK_CON_IMPORT_NOT_FOUND));
		rc = sk_con_reply(r, &b, 404, rc);
		return rc ? rc : 1;
	}
	return 0;
}

int sk_h_con_import_job(struct sk_req *r)
{
	struct sk_import_job j;
	struct sk_import_reject rej[PAGE_REJECTS];
	size_t nrej = 0;
	struct sk_con_frame f;
	struct sk_buf b;
	int rc = job_of(r, &j);
	if (rc)
		return rc < 0 || rc > 1 ? rc : 0;
	if (j.state == SK_JOB_DONE)
		(void)sk_import_job_rejects(dir(), j.id, PAGE_REJECTS, rej, &nrej, &r->err);
	sk_con_frame_of(r, SK_NAV_IMPORT, &f);
	rc = sk_con_import_job(&b, &f, &j, active(j.id), sk_import_job_has_upload(dir(), j.id),
			       rej, nrej);
	return sk_con_reply(r, &b, 200, rc);
}

int sk_h_con_import_progress(struct sk_req *r)
{
	struct sk_import_job j;
	if (!dir() || sk_import_job_load(dir(), r->param, &j, &r->err))
		return sk_errf(&r->err, SK_ERR_NOT_FOUND, "no such import");
	return sk_reply_json(r, 200, sk_con_import_progress_json(&j, active(j.id)));
}

int sk_h_con_import_rejects(struct sk_req *r)
{
	char path[PATH_MAX_SK];
	struct sk_import_job j;
	if (!dir() || sk_import_job_load(dir(), r->param, &j, &r->err) || j.state != SK_JOB_DONE ||
	    sk_import_job_rejects_path(dir(), j.id, path, sizeof(path)))
		return sk_errf(&r->err, SK_ERR_NOT_FOUND, "no such import, or it is not done");
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return sk_errf(&r->err, SK_ERR_NOT_FOUND, "no such import, or it is not done");
	struct sk_buf b;
	char chunk[16384];
	size_t got;
	int rc = 0;
	sk_buf_init(&b, SK_IMPORT_REJECTS_MAX);
	while (!rc && (got = fread(chunk, 1, sizeof(chunk), fp)))
		rc = sk_buf_append(&b, chunk, got);
	fclose(fp);
	rc = rc ? rc : sk_buf_appends(&b, "");
	if (!rc) {
		rc = sk_reply_text(r, 200, b.data);
		r->content_type = "text/csv; charset=utf-8";
		r->disposition = "attachment; filename=\"rejects.csv\"";
	}
	sk_buf_reset(&b);
	return rc ? sk_errf(&r->err, rc, "the rejects file is too large to send") : 0;
}

int sk_h_con_import_run(struct sk_req *r)
{
	struct sk_import_job j;
	char *store = NULL;
	static const struct sk_post_field fields[] = {{"csrf", NULL}, {NULL, NULL}};
	int rc = sk_req_form(r, fields, &store);
	sk_free(store);
	if (rc)
		return rc;
	if ((rc = job_of(r, &j)))
		return rc < 0 || rc > 1 ? rc : 0;
	/* a dry run that is done becomes the import of the same file and mapping; an import
	 * that was interrupted resumes (sk_csv_import continues after the committed rows) */
	int dry_done = j.dry_run && j.state == SK_JOB_DONE;
	int interrupted = !j.dry_run && (j.state == SK_JOB_QUEUED || j.state == SK_JOB_RUNNING) &&
			  !active(j.id);
	if ((!dry_done && !interrupted) || !sk_import_job_has_upload(dir(), j.id))
		return sk_errf(&r->err, SK_ERR_EXISTS, "this import cannot be run now");
	if (dry_done) {
		j.dry_run = 0;
		j.runs = 0; /* the import's own runs: a resume is a run after the first */
		j.rows = j.committed = 0;
		j.bytes = 0;
		memset(&j.counts, 0, sizeof(j.counts));
	}
	j.state = SK_JOB_QUEUED;
	/* staff who runs it is who the audit names */
	sk_strlcpy(j.staff, r->staff.name, sizeof(j.staff));
	j.role = r->staff.role;
	if ((rc = sk_import_job_save(dir(), &j, &r->err)) || (rc = enqueue(r, j.id)))
		return rc;
	redirect_to(r, j.id);
	rc = sk_reply_text(r, 303, "");
	r->content_type = "text/plain; charset=utf-8";
	return rc;
}
