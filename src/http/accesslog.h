/* accesslog.h: the access log off the request path: worker threads append finished lines to a
 * shared buffer, and one writer thread writes it in blocks (every SK_ALOG_FLUSH_MS, or sooner
 * when half full). Nothing is dropped: a full buffer is written by the thread that finds it so. */
#ifndef SK_HTTP_ACCESSLOG_H
#define SK_HTTP_ACCESSLOG_H

#include <stddef.h>

#include "util/err.h"

#define SK_ALOG_BUF (64 * 1024) /* bytes buffered at most; a crash loses at most these */
#define SK_ALOG_FLUSH_MS 100    /* a line waits at most this long before it is written */

/* Starts the writer thread for FD (not closed by the log). 0, or SK_ERR_IO when the thread
 * cannot start; lines are then written at once, one write each, as before. */
int sk_alog_start(int fd, struct sk_errctx *err);

/* Queues one whole line (N bytes, ending in '\n'). Without a writer thread (before start,
 * after stop, or when it could not start) the line is written at once to the last FD given
 * (standard error before any start). Lines are never split or interleaved. */
void sk_alog_line(const char *line, size_t n);

/* Writes everything queued and stops the writer thread. Safe to call when not started. */
void sk_alog_stop(void);

#endif
