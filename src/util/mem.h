/* mem.h: every allocation in samtycke goes through these wrappers, so that tests can make
 * the Nth allocation fail (sk_mem_fail_after) and check that each path cleans up. */
#ifndef SK_MEM_H
#define SK_MEM_H

#include <stddef.h>

void *sk_malloc(size_t n);
void *sk_calloc(size_t count, size_t n);
void *sk_realloc(void *p, size_t n);
void sk_free(void *p);
char *sk_strdup(const char *s);
char *sk_strndup(const char *s, size_t n);
void *sk_memdup(const void *p, size_t n);

/* Tests: after n more successful allocations every allocation fails; -1 switches it off. */
void sk_mem_fail_after(long n);

#endif
