/* accesslog.c: the buffered access-log writer (accesslog.h). Two buffers: workers fill one
 * under a mutex while the writer thread writes the other, so a worker waits only for a
 * memcpy, never for the disk; a clean stop writes what is left before the thread ends. */
#include "http/accesslog.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/sktime.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;  /* to the writer: a first line, half full, or stop */
static pthread_cond_t drained = PTHREAD_COND_INITIALIZER; /* to workers: a buffer came back */
static char bufs[2][SK_ALOG_BUF];
static char *fill = bufs[0];  /* the buffer workers append to */
static size_t used;           /* bytes in fill */
static int out_fd = STDERR_FILENO;
static int running, stopping, writing; /* writing: the writer holds the other buffer */
static pthread_t writer;

/* Writes all N bytes (a short write or EINTR continues); an error drops the rest, as a log
 * must never stop the server. */
static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void *writer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		if (!stopping && used < SK_ALOG_BUF / 2) {
			/* wait for a first line, then give it SK_ALOG_FLUSH_MS to gather others */
			while (!used && !stopping)
				pthread_cond_wait(&wake, &lock);
			struct timespec until;
			sk_deadline(SK_ALOG_FLUSH_MS, &until);
			while (!stopping && used < SK_ALOG_BUF / 2 &&
			       pthread_cond_timedwait(&wake, &lock, &until) != ETIMEDOUT)
				;
		}
		if (!used && stopping)
			break;
		char *full = fill;
		size_t n = used;
		fill = full == bufs[0] ? bufs[1] : bufs[0];
		used = 0;
		writing = 1;
		pthread_mutex_unlock(&lock);
		write_all(out_fd, full, n);
		pthread_mutex_lock(&lock);
		writing = 0;
		pthread_cond_broadcast(&drained);
	}
	running = 0;
	pthread_mutex_unlock(&lock);
	return NULL;
}

int sk_alog_start(int fd, struct sk_errctx *err)
{
	pthread_mutex_lock(&lock);
	out_fd = fd;
	stopping = 0;
	used = 0;
	running = pthread_create(&writer, NULL, writer_main, NULL) == 0;
	int ok = running;
	pthread_mutex_unlock(&lock);
	return ok ? 0 : sk_errf(err, SK_ERR_IO, "cannot start the access-log writer thread");
}

void sk_alog_line(const char *line, size_t n)
{
	pthread_mutex_lock(&lock);
	/* A line beyond the buffer (the server's are at most 512 bytes) goes out at once, after
	 * the lines queued before it: wait until the writer has written them. */
	while (running && n > SK_ALOG_BUF && (used || writing)) {
		pthread_cond_signal(&wake);
		pthread_cond_wait(&drained, &lock);
	}
	if (!running || n > SK_ALOG_BUF) {
		/* no writer, or a line beyond the buffer: at once, and still whole */
		write_all(out_fd, line, n);
		pthread_mutex_unlock(&lock);
		return;
	}
	/* Full: the writer is behind (a slow disk or pipe). Wait for it to hand back a buffer,
	 * which keeps every line and bounds the memory; the request waits, as it did before. */
	while (running && used + n > SK_ALOG_BUF) {
		if (!writing) {
			pthread_cond_signal(&wake);
			pthread_cond_wait(&drained, &lock);
		} else {
			pthread_cond_wait(&drained, &lock);
		}
	}
	if (!running) {
		write_all(out_fd, line, n);
	} else {
		/* the first line in an empty buffer wakes the writer, which then gives it
		 * SK_ALOG_FLUSH_MS to gather others; half full wakes it at once */
		int first = used == 0;
		memcpy(fill + used, line, n);
		used += n;
		if (first || used >= SK_ALOG_BUF / 2)
			pthread_cond_signal(&wake);
	}
	pthread_mutex_unlock(&lock);
}

void sk_alog_stop(void)
{
	pthread_mutex_lock(&lock);
	if (!running) {
		pthread_mutex_unlock(&lock);
		return;
	}
	stopping = 1;
	pthread_cond_broadcast(&wake);
	pthread_mutex_unlock(&lock);
	pthread_join(writer, NULL);
	pthread_mutex_lock(&lock);
	pthread_cond_broadcast(&drained); /* a worker waiting on a full buffer writes at once */
	pthread_mutex_unlock(&lock);
}
