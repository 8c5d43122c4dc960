/* test_import_job.c: the console's import jobs (io/import_job.c): a job staged, run and its
 * state and rejects file read back (never a value in them); a dry run that stores nothing
 * and keeps its file for the import; an import stopped after a committed batch that resumes
 * to the same result as one clean run, and one stopped by a storage error the same; a header
 * of addresses never quoted; a rejects file that cannot be written only a warning; saved
 * mappings and their names; mappings in YAML. */
#include <jansson.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "testlib.h"

#include "io/io.h"
#include "util/sktime.h"

static const char *MAP =
	"{\"email\":\"email\",\"fields\":{\"first_name\":\"first_name\"},"
	"\"consents\":{\"newsletter\":{\"value\":\"nl\",\"at\":\"nl_at\",\"source\":\"nl_src\"}}}";

/* rows data rows; every 100th has a bad address (line i+2: rejected, invalid_email) */
static char *csv_of(long rows, size_t *len)
{
	struct sk_buf b;
	sk_buf_init(&b, 64u << 20);
	sk_buf_appends(&b, "email,first_name,nl,nl_at,nl_src\r\n");
	for (long i = 0; i < rows; i++) {
		if (i % 100 == 99)
			sk_buf_printf(&b, "not-an-address-%ld,Secretname,yes,2025-01-01,form:x\r\n", i);
		else
			sk_buf_printf(&b, "p%ld@example.com,Ann,yes,2025-01-01,form:x\r\n", i);
	}
	*len = b.len;
	return sk_buf_steal(&b, NULL);
}

static struct sk_staff marketer = {.name = "mia", .role = SK_ROLE_MARKETER};

struct steps {
	int calls, done_calls;
	long last_rows, max_committed;
	long stop_after; /* a nonzero return once this many rows are committed; 0: never */
};

static int step(void *arg, const struct sk_import_progress *p)
{
	struct steps *s = arg;
	s->calls++;
	assert_true(p->rows >= s->last_rows); /* rows never go down */
	assert_true(p->committed <= p->rows);
	assert_true(p->bytes <= p->total_bytes);
	s->last_rows = p->rows;
	if (p->committed > s->max_committed)
		s->max_committed = p->committed;
	if (p->done)
		s->done_calls++;
	if (s->stop_after && p->committed >= s->stop_after)
		return SK_ERR_BUSY;
	return 0;
}

static long contacts(struct tenv *t)
{
	return (long)t_db_int(t->db, "select count(*) from contacts");
}

static void a_job_runs_and_keeps_its_counts_and_rejects(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char dir[256], path[512];
	size_t len;
	char *csv = csv_of(3000, &len);
	struct sk_import_job j, back;
	struct steps s = {0};
	snprintf(dir, sizeof(dir), "%s/imports", t->dir);

	/* a dry run: counts and rejects, nothing stored, the file kept for the import */
	assert_int_equal(sk_import_job_create(dir, csv, len, MAP, strlen(MAP), 1, &marketer, &j,
					      &t->err), 0);
	assert_true(sk_import_job_id_ok(j.id));
	snprintf(path, sizeof(path), "%s/%s/upload.csv", dir, j.id);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600); /* personal data: its owner's only */
	assert_int_equal(sk_import_job_load(dir, j.id, &back, &t->err), 0);
	assert_int_equal(back.state, SK_JOB_QUEUED);
	assert_string_equal(back.staff, "mia");
	assert_int_equal(back.role, SK_ROLE_MARKETER);
	assert_int_equal(sk_import_job_run(t->core, dir, &j, step, &s, &t->err), 0);
	assert_int_equal(s.done_calls, 1);
	assert_int_equal(contacts(t), 0);
	assert_int_equal(sk_import_job_load(dir, j.id, &back, &t->err), 0);
	assert_int_equal(back.state, SK_JOB_DONE);
	assert_true(back.dry_run);
	assert_int_equal(back.counts.rows, 3000);
	assert_int_equal(back.counts.given, 2970);
	assert_int_equal(back.counts.rejected, 30);
	assert_int_equal(back.bytes, (long long)len);
	assert_true(sk_import_job_has_upload(dir, j.id));

	struct sk_import_reject rej[40];
	size_t n;
	assert_int_equal(sk_import_job_rejects(dir, j.id, 40, rej, &n, &t->err), 0);
	assert_int_equal(n, 30);
	assert_int_equal(rej[0].line, 101);
	assert_string_equal(rej[0].column, "email");
	assert_string_equal(rej[0].reason, "invalid_email");
	size_t rlen;
	snprintf(path, sizeof(path), "%s/%s/rejects.csv", dir, j.id);
	char *rtext = t_read_file(path, &rlen);
	assert_non_null(rtext);
	assert_true(strncmp(rtext, "line,column,reason\r\n101,email,invalid_email\r\n", 44) == 0);
	/* never a value: neither the rejected address nor another cell of its row */
	assert_null(strstr(rtext, "not-an-address"));
	assert_null(strstr(rtext, "Secretname"));
	free(rtext);
	snprintf(path, sizeof(path), "%s/%s/job.json", dir, j.id);
	rtext = t_read_file(path, &rlen);
	assert_null(strstr(rtext, "example.com"));
	free(rtext);

	/* the import of the same job: stored, and its upload removed */
	memset(&s, 0, sizeof(s));
	j.dry_run = 0;
	assert_int_equal(sk_import_job_run(t->core, dir, &j, step, &s, &t->err), 0);
	assert_int_equal(contacts(t), 2970);
	assert_int_equal(sk_import_job_load(dir, j.id, &back, &t->err), 0);
	assert_int_equal(back.state, SK_JOB_DONE);
	assert_false(back.dry_run);
	assert_int_equal(back.counts.created, 2970);
	assert_int_equal(back.committed, 3000);
	assert_false(sk_import_job_has_upload(dir, j.id));
	/* the file is gone, so it cannot run again */
	assert_int_equal(sk_import_job_run(t->core, dir, &j, NULL, NULL, &t->err), SK_ERR_NOT_FOUND);

	/* ids that are not ids, and ids of no job */
	assert_int_equal(sk_import_job_load(dir, "../imports", &back, &t->err), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_import_job_load(dir, "im_nosuchjob", &back, &t->err), SK_ERR_NOT_FOUND);
	assert_false(sk_import_job_id_ok("a/b"));
	assert_false(sk_import_job_id_ok(""));
	assert_int_equal(sk_import_job_rejects_path(dir, "..", path, sizeof(path)), -1);
	free(csv);
	tenv_free(t);
}

/* Stopped once the first batch (5,000 rows) is committed, then run again: it resumes after
 * the committed rows, and the result is the same as one clean run. */
static void a_stopped_import_resumes(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char dir[256];
	size_t len;
	char *csv = csv_of(12000, &len);
	struct sk_import_job j, back;
	struct steps s = {.stop_after = SK_IMPORT_BATCH};
	snprintf(dir, sizeof(dir), "%s/imports", t->dir);
	assert_int_equal(sk_import_job_create(dir, csv, len, MAP, strlen(MAP), 0, &marketer, &j,
					      &t->err), 0);
	assert_int_equal(sk_import_job_run(t->core, dir, &j, step, &s, &t->err), SK_ERR_BUSY);
	assert_int_equal(contacts(t), 4950); /* the first batch's, less its 50 rejects */
	assert_int_equal(sk_import_job_load(dir, j.id, &back, &t->err), 0);
	assert_int_equal(back.state, SK_JOB_RUNNING); /* left for a resume */
	assert_int_equal(back.committed, SK_IMPORT_BATCH);
	assert_true(sk_import_job_has_upload(dir, j.id));

	memset(&s, 0, sizeof(s));
	assert_int_equal(sk_import_job_run(t->core, dir, &back, step, &s, &t->err), 0);
	assert_int_equal(sk_import_job_load(dir, j.id, &back, &t->err), 0);
	assert_int_equal(back.state, SK_JOB_DONE);
	assert_int_equal(back.runs, 2);
	assert_int_equal(back.resumed_after, SK_IMPORT_BATCH);
	assert_int_equal(back.counts.rows, 12000);
	assert_int_equal(back.counts.created, 11880);
	assert_int_equal(back.counts.rejected, 120);
	assert_int_equal(contacts(t), 11880);
	/* each row in once: one ledger event per contact */
	assert_int_equal(t_db_int(t->db, "select count(*) from consent_ledger"), 11880);
	struct sk_import_reject rej[200];
	size_t n;
	assert_int_equal(sk_import_job_rejects(dir, j.id, 200, rej, &n, &t->err), 0);
	assert_int_equal(n, 120); /* the whole file's, the first run's rows included */
	free(csv);
	tenv_free(t);
}

/* A file without a header row, its first line addresses: the message names the columns by
 * position, and neither it nor job.json holds an address (issue 15's review). */
static void a_header_of_addresses_is_not_quoted(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char dir[256], path[512];
	static const char csv[] = "jane.doe@example.com,Jane,jane.doe@example.com\r\n"
				  "john@example.com,John,john@example.com\r\n";
	struct sk_import_job j;
	size_t len;
	snprintf(dir, sizeof(dir), "%s/imports", t->dir);
	assert_int_equal(sk_import_job_create(dir, csv, sizeof(csv) - 1, MAP, strlen(MAP), 1,
					      &marketer, &j, &t->err), 0);
	assert_int_equal(sk_import_job_run(t->core, dir, &j, NULL, NULL, &t->err), SK_ERR_INVALID);
	assert_null(strstr(t->err.msg, "example.com"));
	assert_non_null(strstr(t->err.msg, "columns 1 and 3"));
	snprintf(path, sizeof(path), "%s/%s/job.json", dir, j.id);
	char *text = t_read_file(path, &len);
	assert_non_null(text);
	assert_non_null(strstr(text, "columns 1 and 3")); /* why, kept for the page */
	assert_null(strstr(text, "example.com"));
	free(text);
	tenv_free(t);
}

/* A storage error after batches were committed: the job is left to be resumed (its file
 * kept, why it stopped saved), and the resume ends as one clean run would. */
static void a_storage_error_after_a_batch_leaves_it_resumable(void **state)
{
	(void)state;
	char dir[256];
	size_t len;
	char *csv = csv_of(12000, &len);
	struct sk_import_job j, back;

	/* how many store calls a whole import makes, to fail in its middle */
	struct tenv *t = tenv_new(1);
	snprintf(dir, sizeof(dir), "%s/imports", t->dir);
	sk_store_fault_set(t->store, 0, 0);
	long before = sk_store_fault_calls(t->store);
	assert_int_equal(sk_import_job_create(dir, csv, len, MAP, strlen(MAP), 0, &marketer, &j,
					      &t->err), 0);
	assert_int_equal(sk_import_job_run(t->core, dir, &j, NULL, NULL, &t->err), 0);
	long calls = sk_store_fault_calls(t->store) - before;
	assert_true(calls > 10);
	tenv_free(t);

	t = tenv_new(1);
	snprintf(dir, sizeof(dir), "%s/imports", t->dir);
	assert_int_equal(sk_import_job_create(dir, csv, len, MAP, strlen(MAP), 0, &marketer, &j,
					      &t->err), 0);
	sk_store_fault_set(t->store, calls * 3 / 4, 0); /* once, in the third of three batches */
	assert_true(sk_import_job_run(t->core, dir, &j, NULL, NULL, &t->err) != 0);
	sk_store_fault_set(t->store, 0, 0);
	assert_int_equal(sk_import_job_load(dir, j.id, &back, &t->err), 0);
	assert_int_equal(back.state, SK_JOB_RUNNING); /* interrupted: resumable, not failed */
	assert_true(back.committed >= SK_IMPORT_BATCH);
	assert_true(back.error[0] != '\0');
	assert_null(strstr(back.error, "example.com"));
	assert_true(sk_import_job_has_upload(dir, j.id));
	assert_true(contacts(t) > 0);

	if (sk_import_job_run(t->core, dir, &back, NULL, NULL, &t->err)) fail_msg("resume: %s", t->err.msg);
	assert_int_equal(sk_import_job_load(dir, j.id, &back, &t->err), 0);
	assert_int_equal(back.state, SK_JOB_DONE);
	assert_string_equal(back.error, "");
	assert_true(back.resumed_after >= SK_IMPORT_BATCH);
	assert_int_equal(back.counts.rows, 12000);
	assert_int_equal(contacts(t), 11880);
	assert_int_equal(t_db_int(t->db, "select count(*) from consent_ledger"), 11880);
	free(csv);
	tenv_free(t);
}

/* Only the rejects file fails (here: its name is taken by a folder) after a complete
 * import: the job is done, with a warning, not failed. */
static void a_rejects_file_that_fails_is_a_warning(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char dir[256], path[600];
	size_t len;
	char *csv = csv_of(300, &len);
	struct sk_import_job j, back;
	snprintf(dir, sizeof(dir), "%s/imports", t->dir);
	assert_int_equal(sk_import_job_create(dir, csv, len, MAP, strlen(MAP), 0, &marketer, &j,
					      &t->err), 0);
	snprintf(path, sizeof(path), "%s/%s/rejects.csv", dir, j.id);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s/rejects.csv/x", dir, j.id);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(sk_import_job_run(t->core, dir, &j, NULL, NULL, &t->err), 0);
	assert_int_equal(contacts(t), 297);
	assert_int_equal(sk_import_job_load(dir, j.id, &back, &t->err), 0);
	assert_int_equal(back.state, SK_JOB_DONE);
	assert_non_null(strstr(back.error, "rejects file could not be written"));
	assert_int_equal(back.counts.rejected, 3);
	assert_false(sk_import_job_has_upload(dir, j.id));
	free(csv);
	tenv_free(t);
}

static int only_imbusy_active(const char *id)
{
	return strcmp(id, "imbusy0000") == 0;
}

/* Staged files older than SK_IMPORT_KEEP_DAYS go; newer ones and active jobs' stay. */
static void old_uploads_are_swept(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char dir[256], path[512];
	struct sk_import_job a, b;
	snprintf(dir, sizeof(dir), "%s/imports", t->dir);
	assert_int_equal(sk_import_job_create(dir, "email\n", 6, MAP, strlen(MAP), 1, &marketer, &a,
					      &t->err), 0);
	assert_int_equal(sk_import_job_create(dir, "email\n", 6, MAP, strlen(MAP), 1, &marketer, &b,
					      &t->err), 0);
	int64_t now = sk_time_now(), week = (int64_t)SK_IMPORT_KEEP_DAYS * 86400;
	snprintf(path, sizeof(path), "%s/%s/upload.csv", dir, a.id);
	struct timespec old[2] = {{.tv_sec = now - week - 60}, {.tv_sec = now - week - 60}};
	assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
	assert_int_equal(sk_import_job_sweep(dir, now, week, only_imbusy_active), 1);
	assert_false(sk_import_job_has_upload(dir, a.id));
	assert_true(sk_import_job_has_upload(dir, b.id));
	/* the job itself stays: its page says the file is no longer kept */
	struct sk_import_job back;
	assert_int_equal(sk_import_job_load(dir, a.id, &back, &t->err), 0);
	assert_int_equal(sk_import_job_sweep(dir, now, week, only_imbusy_active), 0);
	tenv_free(t);
}

static void saved_mappings(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char dir[256], names[SK_MAPPINGS_MAX][SK_MAPPING_NAME_MAX + 1], *text;
	size_t n, len;
	snprintf(dir, sizeof(dir), "%s/imports", t->dir);
	assert_int_equal(sk_import_mapping_list(dir, names, SK_MAPPINGS_MAX, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sk_import_mapping_save(dir, "crm-2025", MAP, strlen(MAP), &t->err), 0);
	assert_int_equal(sk_import_mapping_save(dir, "a_first", "{}", 2, &t->err), 0);
	static const char *const bad[] = {"", "../x", "a/b", "UPPER", "dot.json",
					  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL};
	for (int i = 0; bad[i]; i++)
		assert_int_equal(sk_import_mapping_save(dir, bad[i], "{}", 2, &t->err), SK_ERR_INVALID);
	assert_int_equal(sk_import_mapping_list(dir, names, SK_MAPPINGS_MAX, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "a_first");
	assert_string_equal(names[1], "crm-2025");
	assert_int_equal(sk_import_mapping_load(dir, "crm-2025", &text, &len, &t->err), 0);
	assert_string_equal(text, MAP);
	sk_free(text);
	assert_int_equal(sk_import_mapping_load(dir, "../crm-2025", &text, &len, &t->err),
			 SK_ERR_NOT_FOUND);
	assert_int_equal(sk_import_mapping_load(dir, "nothing", &text, &len, &t->err),
			 SK_ERR_NOT_FOUND);
	tenv_free(t);
}

static void yaml_mappings(void **state)
{
	(void)state;
	struct sk_errctx err = {0};
	char *json;
	static const char yaml[] = "# the CRM's export\n"
				   "email: email\n"
				   "fields:\n  first_name: first_name\n"
				   "consents:\n  newsletter: {value: nl, at: nl_at, source: \"nl_src\"}\n";
	assert_int_equal(sk_import_map_yaml(yaml, sizeof(yaml) - 1, &json, &err), 0);
	json_t *a = json_loads(json, 0, NULL), *b = json_loads(MAP, 0, NULL);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	struct sk_import_map *m;
	assert_int_equal(sk_import_map_parse(json, strlen(json), &m, &err), 0);
	sk_import_map_free(m);
	sk_free(json);
	static const char *const bad[] = {
		"email: [unclosed\n", "- a\n- b\n", "just text\n", "email: &a x\nother: *a\n",
		"email: a\nemail: b\n", "a: {b: {c: {d: {e: {f: {g: {h: {i: {j: 1}}}}}}}}}\n",
		"a: 1\n---\nb: 2\n", "? [a, b]\n: c\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json = NULL;
		if (sk_import_map_yaml(bad[i], strlen(bad[i]), &json, &err) != SK_ERR_INVALID)
			fail_msg("YAML %zu was taken: %s", i, json ? json : "");
		assert_null(json);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_job_runs_and_keeps_its_counts_and_rejects),
		cmocka_unit_test(a_stopped_import_resumes),
		cmocka_unit_test(a_header_of_addresses_is_not_quoted),
		cmocka_unit_test(a_storage_error_after_a_batch_leaves_it_resumable),
		cmocka_unit_test(a_rejects_file_that_fails_is_a_warning),
		cmocka_unit_test(old_uploads_are_swept),
		cmocka_unit_test(saved_mappings),
		cmocka_unit_test(yaml_mappings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
