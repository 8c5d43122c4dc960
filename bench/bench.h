/* bench.h: what the C benchmarks share (bench_core.c, bench_audience.c, bench_campaign.c):
 * dying with the program's name, a monotonic clock, reading and applying the policy file, a file's
 * size. Header-only;
 * each program defines BENCH_NAME before including it. */
#ifndef SK_BENCH_H
#define SK_BENCH_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/core.h"
#include "util/buf.h"

static inline void die(const char *what, const char *detail)
{
	fprintf(stderr, "%s: %s: %s\n", BENCH_NAME, what, detail);
	exit(1);
}

static inline double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The file at path appended to b (capped by b's cap); dies on any error. */
static inline void read_policy(const char *path, struct sk_buf *b)
{
	char chunk[8192];
	size_t n;
	FILE *f = fopen(path, "rb");
	if (!f)
		die(path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (sk_buf_append(b, chunk, n))
			die(path, "too large");
	if (ferror(f))
		die(path, "read error");
	fclose(f);
}

/* Applies the policy file at path to core; dies on any error. */
static inline void apply_policy(struct sk_core *core, const char *path)
{
	struct sk_errctx err = {0};
	struct sk_buf b;
	sk_buf_init(&b, 1024 * 1024);
	read_policy(path, &b);
	if (sk_policy_apply(core, b.data ? b.data : "", b.len, path, NULL, NULL, &err))
		die("applying the policy", err.msg);
	sk_buf_reset(&b);
}

/* The size of DIR/NAME in MiB, 0 when it does not exist. */
static inline double file_mib(const char *dir, const char *name)
{
	char path[4096];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &sb) == 0 ? (double)sb.st_size / (1024.0 * 1024.0) : 0.0;
}

#endif
