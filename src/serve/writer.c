/* writer.c: the group-commit writer of `samtycke serve` (docs/internals/group-commit.md).
 * HTTP threads queue their writes (a closure over the request) and suspend the request; this
 * thread takes the whole queue as one group, runs it in one transaction with a savepoint per
 * write, commits once, and hands each write back (done) to be answered. */
#include "serve/writer.h"

#include <pthread.h>

#include "util/err.h"
#include "util/mem.h"

struct sk_writer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sk_http_write *head, **tail;
	size_t nqueued, cap;
	int stopping;
	struct sk_core *(*core)(struct sk_errctx *err);
	struct sk_group_job *jobs; /* cap of them: a group is at most the whole queue */
	struct sk_http_write **group;
	long ngroups, nwrites;
};

/* One group: the jobs of list (n of them), run and committed on the writer's core. */
static void run_group(struct sk_writer *wr, struct sk_http_write *list, size_t n)
{
	struct sk_errctx err = {0};
	size_t i = 0;
	for (struct sk_http_write *w = list; w; w = w->next)
		wr->group[i++] = w;
	for (i = 0; i < n; i++)
		wr->jobs[i] = wr->group[i]->job;
	struct sk_core *c = wr->core(&err);
	if (!c) {
		int rc = err.code ? err.code : SK_ERR_STORAGE;
		for (i = 0; i < n; i++) {
			wr->jobs[i].rc = rc;
			*wr->jobs[i].err = err;
		}
	} else {
		sk_core_group_run(c, wr->jobs, n, &err); /* each job's rc says how it went */
	}
	for (i = 0; i < n; i++) {
		struct sk_http_write *w = wr->group[i];
		w->job.rc = wr->jobs[i].rc;
		w->next = NULL;
		w->done(w); /* may free w: not touched after */
	}
}

static void *writer_main(void *arg)
{
	struct sk_writer *wr = arg;
	pthread_mutex_lock(&wr->mu);
	for (;;) {
		while (!wr->head && !wr->stopping)
			pthread_cond_wait(&wr->cv, &wr->mu);
		if (!wr->head)
			break; /* stopping, and nothing left */
		struct sk_http_write *list = wr->head;
		size_t n = wr->nqueued;
		wr->head = NULL;
		wr->tail = &wr->head;
		wr->nqueued = 0;
		pthread_mutex_unlock(&wr->mu);
		run_group(wr, list, n);
		pthread_mutex_lock(&wr->mu);
		wr->ngroups++;
		wr->nwrites += (long)n;
	}
	pthread_mutex_unlock(&wr->mu);
	return NULL;
}

int sk_writer_start(size_t cap, struct sk_core *(*core)(struct sk_errctx *err),
		    struct sk_writer **out, struct sk_errctx *err)
{
	if (cap < 1 || cap > SK_WRITE_QUEUE_MAX)
		return sk_errf(err, SK_ERR_USAGE, "the write queue holds 1 to %d writes",
			       SK_WRITE_QUEUE_MAX);
	struct sk_writer *wr = sk_calloc(1, sizeof(*wr));
	if (!wr)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	wr->cap = cap;
	wr->core = core;
	wr->tail = &wr->head;
	wr->jobs = sk_calloc(cap, sizeof(*wr->jobs));
	wr->group = sk_calloc(cap, sizeof(*wr->group));
	if (!wr->jobs || !wr->group) {
		sk_free(wr->jobs);
		sk_free(wr->group);
		sk_free(wr);
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	}
	pthread_mutex_init(&wr->mu, NULL);
	pthread_cond_init(&wr->cv, NULL);
	if (pthread_create(&wr->thread, NULL, writer_main, wr) != 0) {
		pthread_mutex_destroy(&wr->mu);
		pthread_cond_destroy(&wr->cv);
		sk_free(wr->jobs);
		sk_free(wr->group);
		sk_free(wr);
		return sk_errf(err, SK_ERR_IO, "cannot start the writer thread");
	}
	*out = wr;
	return 0;
}

int sk_writer_submit(struct sk_writer *wr, struct sk_http_write *w, struct sk_errctx *err)
{
	int rc = 0;
	pthread_mutex_lock(&wr->mu);
	if (wr->stopping) {
		rc = sk_errf(err, SK_ERR_BUSY, "the server is stopping; retry later");
	} else if (wr->nqueued >= wr->cap) {
		rc = sk_errf(err, SK_ERR_BUSY, "the write queue is full (%zu writes wait); retry "
			     "later", wr->cap);
	} else {
		w->next = NULL;
		*wr->tail = w;
		wr->tail = &w->next;
		if (wr->nqueued++ == 0)
			pthread_cond_signal(&wr->cv);
	}
	pthread_mutex_unlock(&wr->mu);
	return rc;
}

void sk_writer_stop(struct sk_writer *wr)
{
	if (!wr)
		return;
	pthread_mutex_lock(&wr->mu);
	int joined = wr->stopping;
	wr->stopping = 1;
	pthread_cond_signal(&wr->cv);
	pthread_mutex_unlock(&wr->mu);
	if (!joined)
		pthread_join(wr->thread, NULL); /* after it has run what was queued */
}

void sk_writer_free(struct sk_writer *wr)
{
	if (!wr)
		return;
	sk_writer_stop(wr);
	pthread_mutex_destroy(&wr->mu);
	pthread_cond_destroy(&wr->cv);
	sk_free(wr->jobs);
	sk_free(wr->group);
	sk_free(wr);
}

void sk_writer_stats(struct sk_writer *wr, long *ngroups, long *nwrites)
{
	pthread_mutex_lock(&wr->mu);
	*ngroups = wr->ngroups;
	*nwrites = wr->nwrites;
	pthread_mutex_unlock(&wr->mu);
}
