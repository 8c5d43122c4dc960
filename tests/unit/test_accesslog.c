/* test_accesslog.c: the buffered access-log writer (src/http/accesslog.c): every line of
 * several threads arrives whole and in each thread's order, also when the buffer fills many
 * times; a clean stop writes what is queued; without the writer, lines are written at once; a
 * lone line is written soon (SK_ALOG_FLUSH_MS), with the writer still running. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http/accesslog.h"

#define LINES 20000

static int temp_fd(char *path)
{
	strcpy(path, "/tmp/sk-test-alog-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

static off_t size_of(int fd)
{
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	return st.st_size;
}

static char *read_all(int fd, size_t *len)
{
	off_t n = size_of(fd);
	char *p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(pread(fd, p, (size_t)n, 0), n);
	p[n] = '\0';
	*len = (size_t)n;
	return p;
}

static void *logger(void *arg)
{
	int t = (int)(intptr_t)arg;
	char line[128];
	for (int i = 0; i < LINES; i++) {
		/* lengths vary, so that lines straddle where a buffer fills */
		int n = snprintf(line, sizeof(line), "T%d %d %.*s\n", t, i, i % 40,
				 "........................................");
		sk_alog_line(line, (size_t)n);
	}
	return NULL;
}

static void every_line_whole_and_in_order(void **state)
{
	(void)state;
	char path[64];
	int fd = temp_fd(path);
	assert_int_equal(sk_alog_start(fd, NULL), 0);
	pthread_t th[3];
	for (int t = 0; t < 3; t++)
		assert_int_equal(pthread_create(&th[t], NULL, logger, (void *)(intptr_t)t), 0);
	for (int t = 0; t < 3; t++)
		pthread_join(th[t], NULL);
	sk_alog_stop();
	size_t len;
	char *all = read_all(fd, &len);
	assert_true(len > 4 * SK_ALOG_BUF); /* the buffers filled and were handed over many times */
	int next[3] = {0, 0, 0};
	for (char *s = all, *e; *s; s = e + 1) {
		assert_non_null(e = strchr(s, '\n'));
		int t, i, dots;
		char rest[64];
		*e = '\0';
		assert_int_equal(sscanf(s, "T%d %d %63s", &t, &i, rest) >= 2, 1);
		assert_true(t >= 0 && t < 3);
		assert_int_equal(i, next[t]);
		dots = (int)strlen(s) - (int)(strchr(strchr(s, ' ') + 1, ' ') - s) - 1;
		assert_int_equal(dots, i % 40);
		next[t]++;
	}
	for (int t = 0; t < 3; t++)
		assert_int_equal(next[t], LINES);
	free(all);
	close(fd);
}

static void clean_stop_writes_the_queue(void **state)
{
	(void)state;
	char path[64];
	int fd = temp_fd(path);
	assert_int_equal(sk_alog_start(fd, NULL), 0);
	sk_alog_line("a\n", 2);
	sk_alog_line("b\n", 2);
	sk_alog_stop(); /* at once, before the writer's own interval */
	size_t len;
	char *all = read_all(fd, &len);
	assert_string_equal(all, "a\nb\n");
	free(all);
	/* stopped: a line is written at once, and a second stop is harmless */
	sk_alog_line("c\n", 2);
	assert_int_equal(size_of(fd), 6);
	sk_alog_stop();
	/* a line longer than the buffer is written whole, also while the writer runs */
	assert_int_equal(sk_alog_start(fd, NULL), 0);
	size_t big = SK_ALOG_BUF + 100;
	char *line = malloc(big);
	assert_non_null(line);
	memset(line, 'x', big - 1);
	line[big - 1] = '\n';
	sk_alog_line("d\n", 2);
	sk_alog_line(line, big);
	sk_alog_stop();
	all = read_all(fd, &len);
	assert_int_equal(len, 6 + 2 + big);
	assert_int_equal(strspn(all + 8, "x"), big - 1);
	free(all);
	free(line);
	close(fd);
}

/* One line into an empty buffer is written without more lines and without a stop: polled for
 * up to 5 s (the promise is SK_ALOG_FLUSH_MS; the slack is for a busy machine). */
static void a_lone_line_is_written_soon(void **state)
{
	(void)state;
	char path[64];
	int fd = temp_fd(path);
	assert_int_equal(sk_alog_start(fd, NULL), 0);
	for (int round = 0; round < 2; round++) { /* also after the writer wrote once */
		sk_alog_line("one\n", 4);
		struct timespec ms = {0, 10 * 1000 * 1000};
		for (int i = 0; i < 500 && size_of(fd) < 4 * (round + 1); i++)
			nanosleep(&ms, NULL);
		assert_int_equal(size_of(fd), 4 * (round + 1));
	}
	sk_alog_stop();
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_line_whole_and_in_order),
		cmocka_unit_test(clean_stop_writes_the_queue),
		cmocka_unit_test(a_lone_line_is_written_soon),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
