/* test_group.c: group commit (docs/internals/group-commit.md): sk_core_group_run keeps each
 * job's failure to itself, undoes its writes and the transaction's caches (the hash chain
 * stays whole), stores nothing of a group whose commit fails (at every storage call), keeps
 * idempotency keys within one group and runs the change hook once; the daemon's writer
 * (serve/writer.c) bounds its queue, answers only after the group and drains on stop. */
#include "testlib.h"

#include <pthread.h>
#include <sqlite3.h>

#include "serve/writer.h"

static long t_count(struct tenv *t, const char *table)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	return (long)t_db_int(t->db, sql);
}

/* One job: a consent for email, then (fail_after) an error of its own after the append. */
struct job {
	char email[64];
	const char *purpose;
	int fail_after;
	struct sk_errctx err;
};

static int job_run(struct sk_core *c, void *arg, struct sk_errctx *err)
{
	struct job *j = arg;
	struct sk_consent_req r = {.email = j->email, .purpose = j->purpose,
				   .action = SK_ACT_GIVE, .method = "api", .source = "test",
				   .lang = "en", .actor = "test"};
	int rc = sk_consent_record(c, &r, NULL, err);
	if (!rc && j->fail_after)
		rc = sk_errf(err, SK_ERR_INVALID, "the job fails after its append");
	return rc;
}

static void jobs_init(struct sk_group_job *g, struct job *j, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!j[i].purpose)
			j[i].purpose = "newsletter";
		g[i] = (struct sk_group_job){.run = job_run, .arg = &j[i], .err = &j[i].err};
	}
}

static void chain_whole(struct tenv *t)
{
	int64_t bad = -1, count = 0;
	long ndiff = -1;
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err), 0);
	assert_int_equal(sk_ledger_replay(t->core, 0, NULL, NULL, &ndiff, &t->err), 0);
	assert_int_equal(ndiff, 0);
}

/* A job that fails after its append, between two good ones: only its writes go, and the
 * third job's event chains onto the first's (the cached ledger head was forgotten). */
static void failing_job_between_good_ones(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct job j[3] = {{.email = "one@example.com"},
			   {.email = "two@example.com", .fail_after = 1},
			   {.email = "three@example.com"}};
	struct sk_group_job g[3];
	long changes = t_count(t, "changes");
	/* the changes one consent of a new contact makes */
	assert_int_equal(t_consent(t, "zero@example.com", "newsletter", SK_ACT_GIVE, "api", "t", 0), 0);
	long per = t_count(t, "changes") - changes;
	long events = t_count(t, "consent_ledger"), contacts = t_count(t, "contacts");
	changes = t_count(t, "changes");
	jobs_init(g, j, 3);
	assert_int_equal(sk_core_group_run(t->core, g, 3, &t->err), 0);
	assert_int_equal(g[0].rc, 0);
	assert_int_equal(g[1].rc, SK_ERR_INVALID);
	assert_string_equal(j[1].err.msg, "the job fails after its append");
	assert_int_equal(g[2].rc, 0);
	assert_int_equal(t_count(t, "consent_ledger"), events + 2);
	assert_int_equal(t_count(t, "contacts"), contacts + 2);
	assert_int_equal(t_count(t, "changes"), changes + 2 * per);
	assert_string_equal(t_gate(t, "one@example.com", "newsletter", 0), "consent");
	assert_string_equal(t_gate(t, "two@example.com", "newsletter", 0), "no_consent");
	assert_string_equal(t_gate(t, "three@example.com", "newsletter", 0), "consent");
	chain_whole(t);
	/* and the next write, alone, chains on too */
	assert_int_equal(t_consent(t, "four@example.com", "newsletter", SK_ACT_GIVE, "api", "t", 0), 0);
	chain_whole(t);
	tenv_free(t);
}

/* A job refused by the core (unknown purpose) keeps its own error; its neighbours commit. */
static void refused_job_keeps_its_error(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct job j[3] = {{.email = "a1@example.com"},
			   {.email = "a2@example.com", .purpose = "no_such_purpose"},
			   {.email = "a3@example.com"}};
	struct sk_group_job g[3];
	long events = t_count(t, "consent_ledger");
	jobs_init(g, j, 3);
	assert_int_equal(sk_core_group_run(t->core, g, 3, &t->err), 0);
	assert_int_equal(g[0].rc, 0);
	assert_int_equal(g[1].rc, SK_ERR_UNKNOWN_PURPOSE);
	assert_non_null(strstr(j[1].err.msg, "no_such_purpose"));
	assert_int_equal(g[2].rc, 0);
	assert_int_equal(t_count(t, "consent_ledger"), events + 2);
	chain_whole(t);
	tenv_free(t);
}

/* A storage failure at any call of a group: the jobs that say 0 are stored, every other is
 * not, and the chain stays whole. The last call is the commit: there, every job fails. */
static void storage_failure_at_every_call(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(1);
	struct job j[3];
	struct sk_group_job g[3];
	char addr[3][64];

	/* the calls of one group of three new contacts */
	memset(j, 0, sizeof(j));
	for (int i = 0; i < 3; i++)
		snprintf(j[i].email, sizeof(j[i].email), "count%d@example.com", i);
	jobs_init(g, j, 3);
	sk_store_fault_set(t->store, 0, 0);
	assert_int_equal(sk_core_group_run(t->core, g, 3, &t->err), 0);
	long calls = sk_store_fault_calls(t->store);
	assert_true(calls > 6);
	int saw_commit_failure = 0;
	for (long n = 1; n <= calls; n++) {
		long events = t_count(t, "consent_ledger"), contacts = t_count(t, "contacts");
		memset(j, 0, sizeof(j));
		for (int i = 0; i < 3; i++) {
			snprintf(j[i].email, sizeof(j[i].email), "f%ld-%d@example.com", n, i);
			memcpy(addr[i], j[i].email, sizeof(addr[i]));
		}
		jobs_init(g, j, 3);
		sk_store_fault_set(t->store, n, 0);
		int rc = sk_core_group_run(t->core, g, 3, &t->err);
		sk_store_fault_set(t->store, 0, 0);
		long ok = 0;
		for (int i = 0; i < 3; i++) {
			if (g[i].rc == 0)
				ok++;
			else
				assert_true(j[i].err.code != 0 && j[i].err.msg[0]);
			assert_string_equal(t_gate(t, addr[i], "newsletter", 0),
					    g[i].rc == 0 ? "consent" : "no_consent");
		}
		if (rc) { /* the group failed: nothing of it */
			assert_int_equal(ok, 0);
			assert_int_equal(t->err.code, rc);
		}
		if (n == calls) { /* the commit */
			assert_int_equal(rc, SK_ERR_STORAGE);
			assert_non_null(strstr(t->err.msg, "committing"));
			saw_commit_failure = 1;
		}
		assert_int_equal(t_count(t, "consent_ledger"), events + ok);
		assert_int_equal(t_count(t, "contacts"), contacts + ok);
		chain_whole(t);
	}
	assert_true(saw_commit_failure);
	tenv_free(t);
}

/* Ten jobs with one Idempotency-Key in one group append one event; all get its answer. */
struct idem_job {
	const char *email;
	struct sk_answer replay;
	char body[64];
	struct sk_errctx err;
};

static struct sk_core *idem_core; /* set while a job runs: for idem_inner */

static int idem_inner(void *arg, int *status, const char **body)
{
	struct idem_job *j = arg;
	struct sk_consent_req r = {.email = j->email, .purpose = "newsletter",
				   .action = SK_ACT_GIVE, .method = "api", .source = "test",
				   .lang = "en", .actor = "test"};
	struct sk_consent_event ev;
	int rc = sk_consent_record(idem_core, &r, &ev, &j->err);
	if (rc)
		return rc;
	snprintf(j->body, sizeof(j->body), "{\"seq\":%lld}", (long long)ev.seq);
	*status = 201;
	*body = j->body;
	return 0;
}

static int idem_run(struct sk_core *c, void *arg, struct sk_errctx *err)
{
	struct idem_job *j = arg;
	const char *req = "POST /v1/consents same body";
	idem_core = c;
	return sk_idem_run(c, "k_test", "retry-1", req, strlen(req), idem_inner, j, &j->replay,
			   err);
}

static void idempotency_within_a_group(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct idem_job j[10];
	struct sk_group_job g[10];
	long events = t_count(t, "consent_ledger");
	memset(j, 0, sizeof(j));
	for (int i = 0; i < 10; i++) {
		j[i].email = "retry@example.com";
		g[i] = (struct sk_group_job){.run = idem_run, .arg = &j[i], .err = &j[i].err};
	}
	assert_int_equal(sk_core_group_run(t->core, g, 10, &t->err), 0);
	assert_int_equal(t_count(t, "consent_ledger"), events + 1);
	assert_int_equal(g[0].rc, 0);
	assert_int_equal(j[0].replay.status, 0); /* the first ran */
	for (int i = 1; i < 10; i++) {
		assert_int_equal(g[i].rc, 0);
		assert_int_equal(j[i].replay.status, 201); /* the others replay its answer */
		assert_string_equal(j[i].replay.body, j[0].body);
		sk_free(j[i].replay.body);
	}
	chain_whole(t);
	tenv_free(t);
}

/* The change hook runs once per committed group, not per job, and not for a group that
 * changed nothing. */
static int hook_calls;
static void count_hook(void *arg)
{
	(void)arg;
	hook_calls++;
}

static void change_hook_once_per_group(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct job j[3] = {{.email = "h1@example.com"}, {.email = "h2@example.com"},
			   {.email = "h3@example.com"}};
	struct sk_group_job g[3];
	jobs_init(g, j, 3);
	hook_calls = 0;
	sk_core_set_change_hook(count_hook, NULL);
	assert_int_equal(sk_core_group_run(t->core, g, 3, &t->err), 0);
	assert_int_equal(hook_calls, 1);
	struct job bad[2] = {{.email = "h4@example.com", .fail_after = 1},
			     {.email = "h5@example.com", .purpose = "no_such_purpose"}};
	jobs_init(g, bad, 2);
	assert_int_equal(sk_core_group_run(t->core, g, 2, &t->err), 0);
	assert_int_equal(hook_calls, 1); /* nothing of that group changed anything */
	sk_core_set_change_hook(NULL, NULL);
	tenv_free(t);
}

/* The store's savepoint: only inside a write transaction; an unknown op is a usage error;
 * a group that is asked to run inside a batch is refused and fails each job. */
static void savepoint_outside_a_transaction(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct job j[1] = {{.email = "sp@example.com"}};
	struct sk_group_job g[1];
	assert_int_equal(sk_store_savepoint(t->store, SK_SAVEPOINT_SET), SK_ERR_STORAGE);
	assert_int_equal(sk_store_begin(t->store, 0), 0);
	assert_int_equal(sk_store_savepoint(t->store, SK_SAVEPOINT_SET), SK_ERR_STORAGE);
	assert_int_equal(sk_store_rollback(t->store), 0);
	assert_int_equal(sk_store_begin(t->store, 1), 0);
	assert_int_equal(sk_store_savepoint(t->store, 7), SK_ERR_USAGE);
	assert_int_equal(sk_store_savepoint(t->store, SK_SAVEPOINT_SET), 0);
	assert_int_equal(sk_store_savepoint(t->store, SK_SAVEPOINT_UNDO), 0);
	assert_int_equal(sk_store_rollback(t->store), 0);
	jobs_init(g, j, 1);
	assert_int_equal(sk_core_batch_begin(t->core, &t->err), 0);
	assert_int_equal(sk_core_group_run(t->core, g, 1, &t->err), SK_ERR_USAGE);
	assert_int_equal(g[0].rc, SK_ERR_USAGE);
	sk_core_batch_rollback(t->core);
	assert_string_equal(t_gate(t, "sp@example.com", "newsletter", 0), "no_consent");
	tenv_free(t);
}

/* ---- the writer (serve/writer.c) ---- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int blocked, release_writer, ndone;
static struct tenv *wenv;

/* The writer's core: the first call blocks until the test releases it. */
static struct sk_core *blocking_core(struct sk_errctx *err)
{
	(void)err;
	pthread_mutex_lock(&mu);
	blocked = 1;
	pthread_cond_broadcast(&cv);
	while (!release_writer)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return wenv->core;
}

struct wjob {
	struct sk_http_write w;
	struct job j;
	int done;
};

static void wjob_done(struct sk_http_write *w)
{
	struct wjob *x = (struct wjob *)w;
	pthread_mutex_lock(&mu);
	x->done = 1;
	ndone++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void wjob_init(struct wjob *x, const char *email)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->j.email, sizeof(x->j.email), "%s", email);
	x->j.purpose = "newsletter";
	x->w.job = (struct sk_group_job){.run = job_run, .arg = &x->j, .err = &x->j.err};
	x->w.done = wjob_done;
}

static void writer_queue_is_bounded(void **state)
{
	(void)state;
	struct sk_writer *wr = NULL;
	struct sk_errctx err = {0};
	struct wjob a, b, c, d;
	wenv = tenv_new(0);
	long events = t_count(wenv, "consent_ledger");
	blocked = release_writer = ndone = 0;
	assert_int_equal(sk_writer_start(0, blocking_core, &wr, &err), SK_ERR_USAGE);
	assert_int_equal(sk_writer_start(1, blocking_core, &wr, &err), 0);
	wjob_init(&a, "q1@example.com");
	wjob_init(&b, "q2@example.com");
	wjob_init(&c, "q3@example.com");
	wjob_init(&d, "q4@example.com");
	assert_int_equal(sk_writer_submit(wr, &a.w, &err), 0);
	pthread_mutex_lock(&mu);
	while (!blocked) /* the writer has taken a and waits for its core */
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	assert_int_equal(sk_writer_submit(wr, &b.w, &err), 0); /* the one place in the queue */
	assert_int_equal(sk_writer_submit(wr, &c.w, &err), SK_ERR_BUSY);
	assert_non_null(strstr(err.msg, "queue is full"));
	assert_int_equal(a.done, 0); /* nobody is answered before the commit */
	pthread_mutex_lock(&mu);
	release_writer = 1;
	pthread_cond_broadcast(&cv);
	while (ndone < 2)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	assert_int_equal(a.w.job.rc, 0);
	assert_int_equal(b.w.job.rc, 0);
	assert_int_equal(c.done, 0);
	assert_int_equal(t_count(wenv, "consent_ledger"), events + 2);
	assert_string_equal(t_gate(wenv, "q3@example.com", "newsletter", 0), "no_consent");
	/* stop: what is queued is run first; then submits are refused */
	assert_int_equal(sk_writer_submit(wr, &d.w, &err), 0);
	sk_writer_stop(wr);
	assert_int_equal(d.done, 1);
	assert_int_equal(d.w.job.rc, 0);
	assert_int_equal(sk_writer_submit(wr, &c.w, &err), SK_ERR_BUSY);
	assert_non_null(strstr(err.msg, "stopping"));
	sk_writer_stop(wr); /* again: a no-op */
	long ngroups, nwrites;
	sk_writer_stats(wr, &ngroups, &nwrites);
	assert_int_equal(nwrites, 3);
	sk_writer_free(wr);
	assert_int_equal(t_count(wenv, "consent_ledger"), events + 3);
	chain_whole(wenv);
	tenv_free(wenv);
}

/* A writer whose core cannot be opened answers every write with that error. */
static struct sk_core *no_core(struct sk_errctx *err)
{
	sk_errf(err, SK_ERR_STORAGE, "cannot open the store");
	return NULL;
}

static void writer_without_core_fails_each_write(void **state)
{
	(void)state;
	struct sk_writer *wr = NULL;
	struct sk_errctx err = {0};
	struct wjob a;
	ndone = 0;
	wjob_init(&a, "nc@example.com");
	assert_int_equal(sk_writer_start(4, no_core, &wr, &err), 0);
	assert_int_equal(sk_writer_submit(wr, &a.w, &err), 0);
	sk_writer_free(wr);
	assert_int_equal(a.done, 1);
	assert_int_equal(a.w.job.rc, SK_ERR_STORAGE);
	assert_string_equal(a.j.err.msg, "cannot open the store");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(failing_job_between_good_ones),
		cmocka_unit_test(refused_job_keeps_its_error),
		cmocka_unit_test(storage_failure_at_every_call),
		cmocka_unit_test(idempotency_within_a_group),
		cmocka_unit_test(change_hook_once_per_group),
		cmocka_unit_test(savepoint_outside_a_transaction),
		cmocka_unit_test(writer_queue_is_bounded),
		cmocka_unit_test(writer_without_core_fails_each_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
