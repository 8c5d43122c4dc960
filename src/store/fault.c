/* fault.c: a backend that wraps another and fails the Nth method call with
 * SK_ERR_STORAGE (as SQLite's crash VFS in test6.c), so tests can prove that every path
 * survives a storage failure and that the gate fails closed. */
#include "store/store.h"

#include "util/err.h"
#include "util/mem.h"

struct fault_store {
	struct sk_store base;
	struct sk_store *inner;
	long calls;
	long fail_at;
	int sticky;
};

/* Counts a call; 1 when this call must fail. */
static int fault_tick(struct sk_store *s)
{
	struct fault_store *f = (struct fault_store *)s;
	f->calls++;
	if (f->fail_at <= 0)
		return 0;
	return f->calls == f->fail_at || (f->sticky && f->calls > f->fail_at);
}

#define SK__FAULT_METHOD(name, params, args)                          \
	static int fault_##name params                                \
	{                                                             \
		if (fault_tick(s))                                    \
			return SK_ERR_STORAGE;                        \
		s = ((struct fault_store *)s)->inner;                 \
		return s->m->name args;                               \
	}
SK_STORE_METHOD_LIST(SK__FAULT_METHOD)
#undef SK__FAULT_METHOD

static void fault_close(struct sk_store *s)
{
	struct fault_store *f = (struct fault_store *)s;
	sk_store_close(f->inner);
	sk_free(f);
}

static const struct sk_store_methods fault_methods = {
	.version = SK_STORE_VERSION,
	.name = "fault",
	.close = fault_close,
#define SK__FAULT_ENTRY(name, params, args) .name = fault_##name,
	SK_STORE_METHOD_LIST(SK__FAULT_ENTRY)
#undef SK__FAULT_ENTRY
};

int sk_store_fault_wrap(struct sk_store *inner, long fail_at, int sticky, struct sk_store **out)
{
	struct fault_store *f = sk_calloc(1, sizeof(*f));
	if (!f)
		return SK_ERR_NOMEM;
	f->base.m = &fault_methods;
	f->inner = inner;
	f->fail_at = fail_at;
	f->sticky = sticky;
	*out = &f->base;
	return 0;
}

void sk_store_fault_set(struct sk_store *s, long fail_at, int sticky)
{
	struct fault_store *f = (struct fault_store *)s;
	f->calls = 0;
	f->fail_at = fail_at;
	f->sticky = sticky;
}

long sk_store_fault_calls(struct sk_store *s)
{
	return ((struct fault_store *)s)->calls;
}
