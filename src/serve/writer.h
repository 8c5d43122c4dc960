/* writer.h: group commit for API writes (docs/internals/group-commit.md): one thread with
 * its own core takes every write queued by the HTTP threads, runs them in one transaction
 * (sk_core_group_run) and commits once; each request is answered after that commit. */
#ifndef SK_WRITER_H
#define SK_WRITER_H

#include <stddef.h>

#include "http/http.h"

struct sk_writer;

/* Starts the writer thread; core() gives it its core (called on the writer's thread, so
 * that the core is that thread's own). cap: writes that may wait in the queue (1 to
 * SK_WRITE_QUEUE_MAX). */
int sk_writer_start(size_t cap, struct sk_core *(*core)(struct sk_errctx *err),
		    struct sk_writer **out, struct sk_errctx *err);
/* Queues w: 0 (w->done will be called, on the writer's thread), or SK_ERR_BUSY in err when
 * cap writes already wait or the writer is stopping (nothing run, done not called). */
int sk_writer_submit(struct sk_writer *wr, struct sk_http_write *w, struct sk_errctx *err);
/* Runs every write still queued (new ones are refused from now on, SK_ERR_BUSY), then stops
 * the thread; once is enough, again is a no-op, and so is NULL. wr stays valid (a late
 * submit is refused) until sk_writer_free. */
void sk_writer_stop(struct sk_writer *wr);
/* Stops (as above) and frees wr; NULL is a no-op. */
void sk_writer_free(struct sk_writer *wr);
/* Statistics since start: groups committed or failed, and writes run. */
void sk_writer_stats(struct sk_writer *wr, long *ngroups, long *nwrites);

#endif
