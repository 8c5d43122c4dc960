/* mem.c: the allocation wrappers and their fault injection for tests. */
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

static long fail_countdown = -1;

static int should_fail(void)
{
	if (fail_countdown < 0)
		return 0;
	if (fail_countdown == 0)
		return 1;
	fail_countdown--;
	return 0;
}

void sk_mem_fail_after(long n) { fail_countdown = n; }

void *sk_malloc(size_t n)
{
	if (should_fail())
		return NULL;
	return malloc(n ? n : 1);
}

void *sk_calloc(size_t count, size_t n)
{
	if (should_fail())
		return NULL;
	return calloc(count ? count : 1, n ? n : 1);
}

void *sk_realloc(void *p, size_t n)
{
	if (should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

void sk_free(void *p) { free(p); }

void *sk_memdup(const void *p, size_t n)
{
	void *q = sk_malloc(n);
	if (q && n)
		memcpy(q, p, n);
	return q;
}

char *sk_strndup(const char *s, size_t n)
{
	char *q = sk_malloc(n + 1);
	if (!q)
		return NULL;
	memcpy(q, s, n);
	q[n] = '\0';
	return q;
}

char *sk_strdup(const char *s)
{
	return s ? sk_strndup(s, strlen(s)) : NULL;
}
